-- name: language_mix_monthly
-- question: What is the language mix of relevant Russia-Iran coverage per month (articles and stories per language, and their shares)?
-- params: since (date, default 2025-01-01)
-- run: newsmon query language_mix_monthly --param since=2025-01-01
-- notes: current taxonomy version, relevant articles with day >= since; language = the article's detected language, else the source's declared language; a story syndicated in two languages counts in both, so pct_stories need not add up to 100 (pct_articles does); sources = distinct outlets publishing in that language that month
WITH relevant AS (
    SELECT
        a.month,
        a.language,
        a.story_id,
        a.source_id
    FROM summary_relevant_articles a
    JOIN taxonomy_versions tv
        ON tv.version = a.taxonomy_version
       AND tv.is_current = TRUE
    WHERE a.day >= :since
),
month_totals AS (
    SELECT month, COUNT(*) AS month_articles, COUNT(DISTINCT story_id) AS month_stories
    FROM relevant
    GROUP BY month
),
per_language AS (
    SELECT
        month,
        language,
        COUNT(*) AS articles,
        COUNT(DISTINCT story_id) AS stories,
        COUNT(DISTINCT source_id) AS sources
    FROM relevant
    GROUP BY month, language
)
SELECT
    p.month,
    p.language,
    p.articles,
    p.stories,
    p.sources,
    ROUND(CAST(100.0 * p.articles / m.month_articles AS NUMERIC), 1) AS pct_articles,
    ROUND(CAST(100.0 * p.stories / m.month_stories AS NUMERIC), 1) AS pct_stories,
    m.month_articles,
    m.month_stories
FROM per_language p
JOIN month_totals m ON m.month = p.month
ORDER BY p.month, p.articles DESC, p.language
