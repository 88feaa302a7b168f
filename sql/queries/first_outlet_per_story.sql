-- name: first_outlet_per_story
-- question: Which outlet (and perspective) reported each Russia-Iran story first, with the story's topics, how many copies it had and how far it spread?
-- params: since (date, default 2025-01-17)
-- run: newsmon query first_outlet_per_story --param since=2025-01-17
-- notes: one row per story first seen on or after since that has at least one relevant copy in the current taxonomy version; first outlet = earliest copy by day, then published_at, then lowest id (stories view, any copy); topics = comma-separated, alphabetical union of the current-version topics of the story's relevant copies (built with a recursive CTE because SQLite 3.40 has no string_agg); copies / sources / perspectives count all copies; filter with topics LIKE '%defence%' for one topic
WITH RECURSIVE story_topics AS (
    SELECT DISTINCT t.story_id, t.topic
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    WHERE t.story_id IN (SELECT story_id FROM stories WHERE relevant_copies > 0 AND first_seen >= :since)
),
numbered AS (
    SELECT
        story_id,
        topic,
        ROW_NUMBER() OVER (PARTITION BY story_id ORDER BY topic) AS n
    FROM story_topics
),
topic_list (story_id, n, topics) AS (
    SELECT story_id, n, CAST(topic AS TEXT)
    FROM numbered
    WHERE n = 1
    UNION ALL
    SELECT nb.story_id, nb.n, tl.topics || ', ' || CAST(nb.topic AS TEXT)
    FROM topic_list tl
    JOIN numbered nb ON nb.story_id = tl.story_id AND nb.n = tl.n + 1
),
full_list AS (
    SELECT story_id, MAX(n) AS topic_count
    FROM topic_list
    GROUP BY story_id
)
SELECT
    s.story_id,
    s.first_seen,
    s.first_source_name,
    s.first_perspective,
    s.title,
    COALESCE(fl.topic_count, 0) AS topic_count,
    tl.topics,
    s.copies,
    s.sources,
    s.perspectives,
    s.relevant_copies,
    s.last_seen,
    s.url
FROM stories s
LEFT JOIN full_list fl ON fl.story_id = s.story_id
LEFT JOIN topic_list tl ON tl.story_id = fl.story_id AND tl.n = fl.topic_count
WHERE s.relevant_copies > 0
  AND s.first_seen >= :since
ORDER BY s.first_seen DESC, s.story_id DESC
