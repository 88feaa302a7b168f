-- name: top_sources_for_topic
-- question: Which outlets drive coverage of a topic - who publishes the most stories on it, and who breaks them first?
-- params: topic (text, default energy), since (date, default 2025-01-17)
-- run: newsmon query top_sources_for_topic --param topic=energy --param since=2025-01-17
-- notes: current taxonomy version, relevant articles with day >= since; one row per source with at least one tagged article; pct_of_topic_stories = share of all the topic's stories in the period the source carried (does not add up to 100, stories are shared); stories_first_reported = the topic's stories whose earliest copy (stories view, any copy) is this source's; ordered by stories first reported, then stories
WITH tagged AS (
    SELECT t.article_id, t.story_id, t.source_id, t.day
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    WHERE t.topic = :topic
      AND t.day >= :since
),
topic_total AS (
    SELECT COUNT(DISTINCT story_id) AS total_stories
    FROM tagged
),
per_source AS (
    SELECT
        source_id,
        COUNT(*) AS articles,
        COUNT(DISTINCT story_id) AS stories,
        MIN(day) AS first_day,
        MAX(day) AS last_day
    FROM tagged
    GROUP BY source_id
),
first_reported AS (
    SELECT st.first_source_id AS source_id, COUNT(*) AS stories_first_reported
    FROM (SELECT DISTINCT story_id FROM tagged) ts
    JOIN stories st ON st.story_id = ts.story_id
    GROUP BY st.first_source_id
)
SELECT
    s.id AS source_id,
    s.name AS source_name,
    s.perspective,
    s.language,
    s.country,
    ps.stories,
    ps.articles,
    COALESCE(fr.stories_first_reported, 0) AS stories_first_reported,
    ROUND(CAST(100.0 * ps.stories / tt.total_stories AS NUMERIC), 1) AS pct_of_topic_stories,
    ROUND(CAST(100.0 * COALESCE(fr.stories_first_reported, 0) / tt.total_stories AS NUMERIC), 1) AS pct_first_reported,
    ps.first_day,
    ps.last_day
FROM per_source ps
JOIN sources s ON s.id = ps.source_id
CROSS JOIN topic_total tt
LEFT JOIN first_reported fr ON fr.source_id = ps.source_id
ORDER BY COALESCE(fr.stories_first_reported, 0) DESC, ps.stories DESC, ps.articles DESC, s.name
