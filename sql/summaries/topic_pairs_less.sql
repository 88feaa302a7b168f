-- Take the touched stories' current pair counts out of the all-time pairs (before they are recounted).
UPDATE summary_topic_pairs
SET articles = summary_topic_pairs.articles - d.articles,
    stories = summary_topic_pairs.stories - d.stories
FROM (
    SELECT topic_a, topic_b, SUM(articles) AS articles, COUNT(*) AS stories
    FROM summary_story_pairs
    WHERE story_id IN (SELECT story_id FROM summary_touched)
    GROUP BY topic_a, topic_b
) d
WHERE summary_topic_pairs.topic_a = d.topic_a AND summary_topic_pairs.topic_b = d.topic_b
