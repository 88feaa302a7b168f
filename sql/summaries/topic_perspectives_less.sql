-- Take the touched stories out of the all-time stories per topic and perspective (before they are recounted).
UPDATE summary_topic_perspectives
SET stories = summary_topic_perspectives.stories - d.stories
FROM (
    SELECT topic, perspective, COUNT(*) AS stories
    FROM summary_story_perspectives
    WHERE story_id IN (SELECT story_id FROM summary_touched)
    GROUP BY topic, perspective
) d
WHERE summary_topic_perspectives.topic = d.topic AND summary_topic_perspectives.perspective = d.perspective
