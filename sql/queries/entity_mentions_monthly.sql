-- name: entity_mentions_monthly
-- question: How often is a named system, project, agreement or person (Su-35, Bushehr, INSTC, the 2025 treaty...) mentioned per month in relevant Russia–Iran coverage?
-- params: entity (text, default su-35), since (date, default 1990-01-01)
-- run: newsmon query entity_mentions_monthly --param entity=shahed
-- notes: entity ids are the keys of config/gazetteer.yaml (table entities); current taxonomy version; relevant articles only; stories count near-duplicate copies once
SELECT a.month,
       COUNT(*) AS mentions,
       COUNT(DISTINCT a.id) AS articles,
       COUNT(DISTINCT COALESCE(a.story_id, a.id)) AS stories
FROM article_entities e
JOIN taxonomy_versions tv ON tv.version = e.taxonomy_version AND tv.is_current = TRUE
JOIN article_relevance r ON r.article_id = e.article_id AND r.taxonomy_version = e.taxonomy_version
                        AND r.relevant = TRUE
JOIN articles a ON a.id = e.article_id
WHERE e.entity_id = :entity
  AND a.day >= :since
GROUP BY a.month
ORDER BY a.month
