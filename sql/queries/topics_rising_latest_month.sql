-- name: topics_rising_latest_month
-- question: Which topics rose most in the latest month of data compared with the average of the previous three months?
-- params: none
-- run: newsmon query topics_rising_latest_month
-- notes: months = the distinct months (articles.month) that have relevant articles in the current taxonomy version, ranked newest first, so a month with no relevant data at all is skipped rather than counted as 0; a topic absent in one of those months counts 0 for it; prev_months = how many earlier months were available (up to 3); the latest month is usually still partial, so the table is ordered by the change in story share (topic stories / all relevant stories of the month, in percentage points), which a partial month does not bias; raw story counts and their ratio are shown too
WITH months AS (
    SELECT
        m.month,
        m.stories AS relevant_stories,
        DENSE_RANK() OVER (ORDER BY m.month DESC) AS month_rank
    FROM summary_relevant_month m
    JOIN taxonomy_versions tv
        ON tv.version = m.taxonomy_version
       AND tv.is_current = TRUE
),
topic_months AS (
    SELECT t.topic, t.month, t.articles, t.stories
    FROM summary_topic_month t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
),
recent_topics AS (
    SELECT DISTINCT tm.topic
    FROM topic_months tm
    JOIN months m ON m.month = tm.month
    WHERE m.month_rank <= 4
),
filled AS (
    SELECT
        t.topic,
        m.month,
        m.month_rank,
        COALESCE(tm.stories, 0) AS stories,
        COALESCE(tm.articles, 0) AS articles,
        CAST(COALESCE(tm.stories, 0) AS DOUBLE PRECISION) / m.relevant_stories AS story_share
    FROM recent_topics t
    CROSS JOIN months m
    LEFT JOIN topic_months tm ON tm.topic = t.topic AND tm.month = m.month
    WHERE m.month_rank <= 4
),
latest AS (
    SELECT topic, month, stories, articles, story_share
    FROM filled
    WHERE month_rank = 1
),
previous AS (
    SELECT
        topic,
        COUNT(*) AS prev_months,
        CAST(SUM(stories) AS DOUBLE PRECISION) / COUNT(*) AS avg_stories,
        CAST(SUM(articles) AS DOUBLE PRECISION) / COUNT(*) AS avg_articles,
        AVG(story_share) AS avg_story_share
    FROM filled
    WHERE month_rank BETWEEN 2 AND 4
    GROUP BY topic
)
SELECT
    l.topic,
    l.month AS latest_month,
    COALESCE(p.prev_months, 0) AS prev_months,
    l.stories AS latest_stories,
    ROUND(CAST(p.avg_stories AS NUMERIC), 2) AS prev_avg_stories,
    ROUND(CAST(l.stories - p.avg_stories AS NUMERIC), 2) AS story_change,
    ROUND(CAST(l.stories / NULLIF(p.avg_stories, 0) AS NUMERIC), 2) AS story_ratio,
    l.articles AS latest_articles,
    ROUND(CAST(p.avg_articles AS NUMERIC), 2) AS prev_avg_articles,
    ROUND(CAST(100.0 * l.story_share AS NUMERIC), 1) AS latest_pct_of_stories,
    ROUND(CAST(100.0 * p.avg_story_share AS NUMERIC), 1) AS prev_avg_pct_of_stories,
    ROUND(CAST(100.0 * (l.story_share - p.avg_story_share) AS NUMERIC), 1) AS share_change_pp
FROM latest l
LEFT JOIN previous p ON p.topic = l.topic
ORDER BY
    CASE WHEN p.avg_story_share IS NULL THEN 1 ELSE 0 END,
    l.story_share - p.avg_story_share DESC,
    l.stories - p.avg_stories DESC,
    l.topic
