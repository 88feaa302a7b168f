-- Take the touched stories' current counts out of the all-time totals (before they are recounted).
UPDATE summary_topic_totals
SET articles = summary_topic_totals.articles - d.articles,
    stories = summary_topic_totals.stories - d.stories
FROM (
    SELECT topic, SUM(articles) AS articles, COUNT(*) AS stories
    FROM summary_story_topics
    WHERE story_id IN (SELECT story_id FROM summary_touched)
    GROUP BY topic
) d
WHERE summary_topic_totals.topic = d.topic
