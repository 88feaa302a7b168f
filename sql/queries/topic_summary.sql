-- name: topic_summary
-- question: For each topic, how much relevant coverage is there since a date (articles, distinct stories, distinct sources), over which days, and which perspective carries most of it?
-- params: since (date, default 1990-01-01)
-- run: newsmon query topic_summary --param since=2025-01-01
-- notes: current taxonomy version, relevant articles only; the trend summary printed by `newsmon demo` and `newsmon run`
WITH tagged AS (
    SELECT t.topic, t.article_id, t.story_id, t.source_id, t.perspective, t.day
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    WHERE t.day >= :since
),
per_perspective AS (
    SELECT topic, perspective, COUNT(DISTINCT story_id) AS stories,
           ROW_NUMBER() OVER (PARTITION BY topic ORDER BY COUNT(DISTINCT story_id) DESC, perspective) AS rank
    FROM tagged
    GROUP BY topic, perspective
)
SELECT t.topic,
       COUNT(*) AS articles,
       COUNT(DISTINCT t.story_id) AS stories,
       COUNT(DISTINCT t.source_id) AS sources,
       MIN(t.day) AS first_day,
       MAX(t.day) AS last_day,
       p.perspective AS leading_perspective
FROM tagged t
JOIN per_perspective p ON p.topic = t.topic AND p.rank = 1
GROUP BY t.topic, p.perspective
ORDER BY stories DESC, articles DESC, t.topic
