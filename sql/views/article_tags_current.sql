-- view: article_tags_current
-- question: Which articles carry which topic in the current taxonomy version, and what evidence earned each tag?
-- notes: one row per (article, topic) of the current taxonomy version (taxonomy_versions.is_current), restricted
--   to articles judged relevant in that same version, so counts here match topic_daily/topic_weekly.
--   story_id falls back to the article's own id when the dedup step has not set it yet.
--   This is the row-level view analysts open to check evidence; it carries no article text (join articles for it).
CREATE VIEW article_tags_current AS
SELECT
    t.article_id,
    COALESCE(a.story_id, a.id) AS story_id,
    t.topic,
    t.taxonomy_version,
    t.score,
    t.evidence,
    t.evidence_field,
    t.evidence_start,
    t.evidence_end,
    r.score AS relevance_score,
    r.evidence AS relevance_evidence,
    a.day,
    a.week,
    a.month,
    a.source_id,
    s.name AS source_name,
    s.perspective,
    s.country AS source_country,
    COALESCE(a.language, s.language) AS language,
    a.url,
    a.title,
    a.published_at,
    a.date_source
FROM article_topics t
JOIN taxonomy_versions tv
    ON tv.version = t.taxonomy_version
   AND tv.is_current = TRUE
JOIN article_relevance r
    ON r.article_id = t.article_id
   AND r.taxonomy_version = t.taxonomy_version
   AND r.relevant = TRUE
JOIN articles a ON a.id = t.article_id
JOIN sources s ON s.id = a.source_id
