-- name: weekly_defence_stories_since_treaty
-- question: How many distinct defence stories (or stories of any other topic) per week since the 2025 Comprehensive Strategic Partnership Treaty, and what share of all relevant stories is that?
-- params: since (date, default 2025-01-17), topic (text, default defence)
-- run: newsmon query weekly_defence_stories_since_treaty --param since=2025-01-17 --param topic=defence
-- notes: counts stories (near-duplicate copies collapse) plus articles and sources; current taxonomy version; relevant articles only; only articles with day >= since count, so the first week is partial when since is not a Monday; every week with any relevant article from since on gets a row (0 when the topic is absent); weeks with no relevant article at all have no row; check coverage_summary_daily before reading a dip as a drop
WITH relevant AS (
    SELECT
        a.week,
        a.story_id
    FROM summary_relevant_articles a
    JOIN taxonomy_versions tv
        ON tv.version = a.taxonomy_version
       AND tv.is_current = TRUE
    WHERE a.day >= :since
),
weeks AS (
    SELECT
        week,
        COUNT(*) AS relevant_articles,
        COUNT(DISTINCT story_id) AS relevant_stories
    FROM relevant
    GROUP BY week
),
topic_weeks AS (
    SELECT
        t.week,
        COUNT(*) AS articles,
        COUNT(DISTINCT t.story_id) AS stories,
        COUNT(DISTINCT t.source_id) AS sources
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    WHERE t.topic = :topic
      AND t.day >= :since
    GROUP BY t.week
)
SELECT
    w.week,
    COALESCE(t.stories, 0) AS stories,
    COALESCE(t.articles, 0) AS articles,
    COALESCE(t.sources, 0) AS sources,
    w.relevant_stories,
    w.relevant_articles,
    ROUND(CAST(100.0 * COALESCE(t.stories, 0) / w.relevant_stories AS NUMERIC), 1) AS pct_of_relevant_stories
FROM weeks w
LEFT JOIN topic_weeks t ON t.week = w.week
ORDER BY w.week
