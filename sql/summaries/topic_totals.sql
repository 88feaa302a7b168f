-- All-time articles and stories per topic.
INSERT INTO summary_topic_totals (topic, articles, stories)
SELECT topic, COUNT(*), COUNT(DISTINCT story_id) FROM summary_relevant_topics GROUP BY topic
