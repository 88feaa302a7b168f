-- Per touched story: how many of its relevant articles carry both topics of a pair (topic_a < topic_b).
INSERT INTO summary_story_pairs (story_id, topic_a, topic_b, articles)
SELECT x.story_id, x.topic, y.topic, COUNT(*)
FROM summary_relevant_topics x
JOIN summary_relevant_topics y ON y.article_id = x.article_id AND x.topic < y.topic
WHERE x.story_id IN (SELECT story_id FROM summary_touched)
GROUP BY x.story_id, x.topic, y.topic
