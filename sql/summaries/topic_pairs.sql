-- Add the touched stories' recounted pair counts to the all-time co-occurrence of two topics on one article.
INSERT INTO summary_topic_pairs (topic_a, topic_b, taxonomy_version, articles, stories)
SELECT topic_a, topic_b, :version, SUM(articles), COUNT(*)
FROM summary_story_pairs
WHERE story_id IN (SELECT story_id FROM summary_touched)
GROUP BY topic_a, topic_b
ON CONFLICT (topic_a, topic_b) DO UPDATE SET
    taxonomy_version = excluded.taxonomy_version,
    articles = summary_topic_pairs.articles + excluded.articles,
    stories = summary_topic_pairs.stories + excluded.stories
