-- view: topic_weekly
-- question: Per topic and ISO week, how many relevant articles, distinct stories and distinct sources were there, and what share of that week's relevant coverage does the topic hold?
-- notes: current taxonomy version only; relevant articles only; week = articles.week (Monday of the ISO week of
--   articles.day, which is the published day, or the fetched day when no usable date). Sparse: a topic with no article in a week has no row (read it as 0).
--   article_share = articles / all relevant articles that week; story_share = stories / all relevant stories that week
--   (an article can carry several topics, so shares of one week add up to more than 1).
--   Check coverage_daily / coverage_summary_daily before reading a dip as a real drop.
--   reads the summary tables (refreshed after each load by pipeline.summaries.refresh_summaries).
CREATE VIEW topic_weekly AS
WITH week_totals AS (
    SELECT
        f.week,
        f.taxonomy_version,
        COUNT(*) AS relevant_articles,
        COUNT(DISTINCT f.story_id) AS relevant_stories
    FROM summary_relevant_articles f
    JOIN taxonomy_versions tv
        ON tv.version = f.taxonomy_version
       AND tv.is_current = TRUE
    GROUP BY f.week, f.taxonomy_version
),
topic_counts AS (
    SELECT
        t.topic,
        t.week,
        t.taxonomy_version,
        COUNT(*) AS articles,
        COUNT(DISTINCT t.story_id) AS stories,
        COUNT(DISTINCT t.source_id) AS sources
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    GROUP BY t.topic, t.week, t.taxonomy_version
)
SELECT
    tc.topic,
    tc.week,
    tc.articles,
    tc.stories,
    tc.sources,
    d.relevant_articles,
    d.relevant_stories,
    CAST(tc.articles AS DOUBLE PRECISION) / d.relevant_articles AS article_share,
    CAST(tc.stories AS DOUBLE PRECISION) / d.relevant_stories AS story_share,
    tc.taxonomy_version
FROM topic_counts tc
JOIN week_totals d ON d.week = tc.week AND d.taxonomy_version = tc.taxonomy_version
