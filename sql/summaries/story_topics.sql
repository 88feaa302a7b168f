-- Per touched story: how many of its relevant articles carry each topic.
INSERT INTO summary_story_topics (story_id, topic, articles)
SELECT story_id, topic, COUNT(*)
FROM summary_relevant_topics
WHERE story_id IN (SELECT story_id FROM summary_touched)
GROUP BY story_id, topic
