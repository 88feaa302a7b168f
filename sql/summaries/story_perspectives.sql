-- Per touched story: the perspectives whose sources carried it on each topic.
INSERT INTO summary_story_perspectives (story_id, topic, perspective)
SELECT DISTINCT story_id, topic, perspective
FROM summary_relevant_topics
WHERE story_id IN (SELECT story_id FROM summary_touched)
