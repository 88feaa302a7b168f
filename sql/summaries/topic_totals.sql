-- Add the touched stories' recounted counts to the all-time totals per topic.
INSERT INTO summary_topic_totals (topic, articles, stories)
SELECT topic, SUM(articles), COUNT(*)
FROM summary_story_topics
WHERE story_id IN (SELECT story_id FROM summary_touched)
GROUP BY topic
ON CONFLICT (topic) DO UPDATE SET
    articles = summary_topic_totals.articles + excluded.articles,
    stories = summary_topic_totals.stories + excluded.stories
