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
    SELECT topic, perspective, COUNT(DISTINCT story_id) AS stories
    FROM tagged
    GROUP BY topic, perspective
),
leaders AS (
    SELECT topic, perspective,
           ROW_NUMBER() OVER (PARTITION BY topic ORDER BY stories DESC, perspective) AS rank
    FROM per_perspective
),
per_topic AS (
    SELECT topic,
           COUNT(*) AS articles,
           COUNT(DISTINCT story_id) AS stories,
           COUNT(DISTINCT source_id) AS sources,
           MIN(day) AS first_day,
           MAX(day) AS last_day
    FROM tagged
    GROUP BY topic
)
SELECT t.topic,
       t.articles,
       t.stories,
       t.sources,
       t.first_day,
       t.last_day,
       l.perspective AS leading_perspective
FROM per_topic t
JOIN leaders l ON l.topic = t.topic AND l.rank = 1
ORDER BY t.stories DESC, t.articles DESC, t.topic
