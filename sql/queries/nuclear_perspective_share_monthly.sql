-- name: nuclear_perspective_share_monthly
-- question: Which perspective drives the nuclear story (or any other topic) - per month, what share of the topic's articles and stories comes from russian_state, iranian_state, western, regional and independent outlets, and who reported the stories first?
-- params: topic (text, default nuclear), since (date, default 2025-01-01)
-- run: newsmon query nuclear_perspective_share_monthly --param topic=nuclear --param since=2025-01-01
-- notes: current taxonomy version, relevant articles with day >= since; pct_articles adds up to 100 per month; pct_stories does not (a story carried by several perspectives counts for each); stories_first_reported counts the month's topic stories whose earliest copy (stories view; any copy, relevant or not) came from that perspective, and adds up to the month's stories; a story spanning months counts in each month it appears
WITH tagged AS (
    SELECT t.month, t.perspective, t.article_id, t.story_id
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    WHERE t.topic = :topic
      AND t.day >= :since
),
month_totals AS (
    SELECT month, COUNT(*) AS total_articles, COUNT(DISTINCT story_id) AS total_stories
    FROM tagged
    GROUP BY month
),
per_perspective AS (
    SELECT month, perspective, COUNT(*) AS articles, COUNT(DISTINCT story_id) AS stories
    FROM tagged
    GROUP BY month, perspective
),
month_stories AS (
    SELECT DISTINCT month, story_id
    FROM tagged
),
first_reported AS (
    SELECT ms.month, st.first_perspective AS perspective, COUNT(*) AS stories_first_reported
    FROM month_stories ms
    JOIN stories st ON st.story_id = ms.story_id
    GROUP BY ms.month, st.first_perspective
),
keys AS (
    SELECT month, perspective FROM per_perspective
    UNION
    SELECT month, perspective FROM first_reported
)
SELECT
    k.month,
    k.perspective,
    COALESCE(p.articles, 0) AS articles,
    COALESCE(p.stories, 0) AS stories,
    COALESCE(f.stories_first_reported, 0) AS stories_first_reported,
    ROUND(CAST(100.0 * COALESCE(p.articles, 0) / m.total_articles AS NUMERIC), 1) AS pct_articles,
    ROUND(CAST(100.0 * COALESCE(p.stories, 0) / m.total_stories AS NUMERIC), 1) AS pct_stories,
    ROUND(CAST(100.0 * COALESCE(f.stories_first_reported, 0) / m.total_stories AS NUMERIC), 1) AS pct_first_reported,
    m.total_articles AS month_articles,
    m.total_stories AS month_stories
FROM keys k
JOIN month_totals m ON m.month = k.month
LEFT JOIN per_perspective p ON p.month = k.month AND p.perspective = k.perspective
LEFT JOIN first_reported f ON f.month = k.month AND f.perspective = k.perspective
ORDER BY k.month, COALESCE(p.articles, 0) DESC, k.perspective
