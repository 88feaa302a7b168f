-- view: stories
-- question: What are the stories (groups of near-duplicate / syndicated articles), when and by whom was each first reported, and how far did it spread?
-- notes: one row per story_id (the id of the first article of its near-duplicate group; an article whose story_id
--   is not set yet counts as its own story). All articles count, relevant or not.
--   The first article is the earliest by day, then by published_at (articles without a published_at last within
--   the same day), then lowest id; first_* columns, title and url come from it. first_seen / last_seen are days.
--   copies = articles in the group; sources / perspectives = distinct outlets / perspectives carrying it;
--   relevant_copies = copies judged relevant in the current taxonomy version (filter relevant_copies > 0 for
--   Russia-Iran stories).
CREATE VIEW stories AS
WITH grouped AS (
    SELECT
        a.id AS article_id,
        COALESCE(a.story_id, a.id) AS story_id,
        a.source_id,
        a.day,
        a.title,
        a.url,
        a.published_at,
        ROW_NUMBER() OVER (
            PARTITION BY COALESCE(a.story_id, a.id)
            ORDER BY
                a.day,
                CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END,
                a.published_at,
                a.id
        ) AS rn
    FROM articles a
),
spread AS (
    SELECT
        g.story_id,
        COUNT(*) AS copies,
        COUNT(DISTINCT g.source_id) AS sources,
        COUNT(DISTINCT s.perspective) AS perspectives,
        MIN(g.day) AS first_seen,
        MAX(g.day) AS last_seen
    FROM grouped g
    JOIN sources s ON s.id = g.source_id
    GROUP BY g.story_id
),
relevant AS (
    SELECT
        COALESCE(a.story_id, a.id) AS story_id,
        COUNT(*) AS relevant_copies
    FROM articles a
    JOIN article_relevance r ON r.article_id = a.id
    JOIN taxonomy_versions tv
        ON tv.version = r.taxonomy_version
       AND tv.is_current = TRUE
    WHERE r.relevant = TRUE
    GROUP BY COALESCE(a.story_id, a.id)
)
SELECT
    f.story_id,
    sp.first_seen,
    sp.last_seen,
    f.article_id AS first_article_id,
    f.source_id AS first_source_id,
    s.name AS first_source_name,
    s.perspective AS first_perspective,
    s.language AS first_source_language,
    f.published_at AS first_published_at,
    f.title,
    f.url,
    sp.copies,
    sp.sources,
    sp.perspectives,
    COALESCE(rel.relevant_copies, 0) AS relevant_copies
FROM grouped f
JOIN spread sp ON sp.story_id = f.story_id
JOIN sources s ON s.id = f.source_id
LEFT JOIN relevant rel ON rel.story_id = f.story_id
WHERE f.rn = 1
