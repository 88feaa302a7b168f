-- name: topic_summary
-- question: For each topic, how much relevant coverage is there since a date (articles, distinct stories, distinct sources), over which days, and which perspective carries most of it?
-- params: since (date, default 1990-01-01)
-- run: newsmon query topic_summary --param since=2025-01-01
-- notes: current taxonomy version, relevant articles only; the trend summary printed by `newsmon demo` and `newsmon run`; when since is on or before the first relevant day the answer comes from the all-time summaries (summary_topic_totals, summary_topic_perspectives), which the refresh keeps story by story, else from the facts since that day
WITH current_version AS (
    SELECT version FROM taxonomy_versions WHERE is_current = TRUE
),
first_day AS (
    SELECT MIN(d.day) AS day
    FROM summary_topic_day d
    JOIN current_version cv ON cv.version = d.taxonomy_version
),
all_time AS (  -- 1 when `since` reaches back to the first relevant day: then the all-time summaries answer
    SELECT CASE WHEN :since <= day THEN 1 ELSE 0 END AS yes FROM first_day
),
tagged AS (
    SELECT t.topic, t.article_id, t.story_id, t.source_id, t.perspective, t.day
    FROM summary_relevant_topics t
    JOIN current_version cv ON cv.version = t.taxonomy_version
    WHERE t.day >= :since
      AND (SELECT yes FROM all_time) = 0
),
per_perspective AS (
    SELECT topic, perspective, COUNT(DISTINCT story_id) AS stories
    FROM tagged
    GROUP BY topic, perspective
    UNION ALL
    SELECT topic, perspective, stories
    FROM summary_topic_perspectives
    WHERE (SELECT yes FROM all_time) = 1
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
    UNION ALL
    SELECT t.topic, t.articles, t.stories, s.sources, d.first_day, d.last_day
    FROM summary_topic_totals t
    JOIN (
        SELECT w.topic, COUNT(DISTINCT w.source_id) AS sources
        FROM summary_topic_source_week w
        JOIN current_version cv ON cv.version = w.taxonomy_version
        GROUP BY w.topic
    ) s ON s.topic = t.topic
    JOIN (
        SELECT d.topic, MIN(d.day) AS first_day, MAX(d.day) AS last_day
        FROM summary_topic_day d
        JOIN current_version cv ON cv.version = d.taxonomy_version
        GROUP BY d.topic
    ) d ON d.topic = t.topic
    WHERE (SELECT yes FROM all_time) = 1
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
