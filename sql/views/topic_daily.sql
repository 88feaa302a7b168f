-- view: topic_daily
-- question: Per topic and day, how many relevant articles, distinct stories and distinct sources were there, and what share of that day's relevant coverage does the topic hold?
-- notes: current taxonomy version only; relevant articles only; day = articles.day (published day, or fetched day
--   when no usable date). Sparse: a topic with no article on a day has no row (read it as 0).
--   article_share = articles / all relevant articles that day; story_share = stories / all relevant stories that
--   day (an article can carry several topics, so shares of one day add up to more than 1).
--   Check coverage_daily / coverage_summary_daily before reading a dip as a real drop.
--   reads the summary tables (refreshed after each load by pipeline.summaries.refresh_summaries).
CREATE VIEW topic_daily AS
WITH day_totals AS (
    SELECT
        f.day,
        f.taxonomy_version,
        COUNT(*) AS relevant_articles,
        COUNT(DISTINCT f.story_id) AS relevant_stories
    FROM summary_relevant_articles f
    JOIN taxonomy_versions tv
        ON tv.version = f.taxonomy_version
       AND tv.is_current = TRUE
    GROUP BY f.day, f.taxonomy_version
),
topic_counts AS (
    SELECT
        t.topic,
        t.day,
        t.taxonomy_version,
        COUNT(*) AS articles,
        COUNT(DISTINCT t.story_id) AS stories,
        COUNT(DISTINCT t.source_id) AS sources
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    GROUP BY t.topic, t.day, t.taxonomy_version
)
SELECT
    tc.topic,
    tc.day,
    tc.articles,
    tc.stories,
    tc.sources,
    d.relevant_articles,
    d.relevant_stories,
    CAST(tc.articles AS DOUBLE PRECISION) / d.relevant_articles AS article_share,
    CAST(tc.stories AS DOUBLE PRECISION) / d.relevant_stories AS story_share,
    tc.taxonomy_version
FROM topic_counts tc
JOIN day_totals d ON d.day = tc.day AND d.taxonomy_version = tc.taxonomy_version
