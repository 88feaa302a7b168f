-- All-time co-occurrence of two topics on one article.
INSERT INTO summary_topic_pairs (topic_a, topic_b, taxonomy_version, articles, stories)
SELECT x.topic, y.topic, x.taxonomy_version, COUNT(*), COUNT(DISTINCT x.story_id)
FROM summary_relevant_topics x
JOIN summary_relevant_topics y ON y.article_id = x.article_id AND x.topic < y.topic
GROUP BY x.topic, y.topic, x.taxonomy_version
