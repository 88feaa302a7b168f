-- One row per changed article that is relevant under the current taxonomy version, with what the summaries
-- count it by. Read by relevant_articles.sql and relevant_topics.sql, in place of their facts placeholder.
SELECT a.id AS article_id, r.taxonomy_version, COALESCE(a.story_id, a.id) AS story_id, a.source_id,
       s.perspective, COALESCE(a.language, s.language) AS language, a.day, a.week, a.month
FROM summary_changed c
JOIN articles a ON a.id = c.article_id
JOIN article_relevance r ON r.article_id = a.id AND r.relevant = TRUE
JOIN taxonomy_versions tv ON tv.version = r.taxonomy_version AND tv.is_current = TRUE
JOIN sources s ON s.id = a.source_id
