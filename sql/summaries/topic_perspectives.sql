-- Add the touched stories, recounted, to the all-time stories per topic and perspective.
INSERT INTO summary_topic_perspectives (topic, perspective, stories)
SELECT topic, perspective, COUNT(*)
FROM summary_story_perspectives
WHERE story_id IN (SELECT story_id FROM summary_touched)
GROUP BY topic, perspective
ON CONFLICT (topic, perspective) DO UPDATE SET stories = summary_topic_perspectives.stories + excluded.stories
