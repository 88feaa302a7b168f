-- view: topic_weekly
-- question: Per topic and ISO week, how many relevant articles, distinct stories and distinct sources were there, and what share of that week's relevant coverage does the topic hold?
-- notes: current taxonomy version only; relevant articles only; week = articles.week (Monday of the ISO week of
--   articles.day, which is the published day, or the fetched day when no usable date). Sparse: a topic with no article in a week has no row (read it as 0).
--   article_share = articles / all relevant articles that week; story_share = stories / all relevant stories that week
--   (an article can carry several topics, so shares of one week add up to more than 1).
--   Check coverage_daily / coverage_summary_daily before reading a dip as a real drop.
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW topic_weekly AS
SELECT
    t.topic,
    t.week,
    t.articles,
    t.stories,
    t.sources,
    d.articles AS relevant_articles,
    d.stories AS relevant_stories,
    CAST(t.articles AS DOUBLE PRECISION) / d.articles AS article_share,
    CAST(t.stories AS DOUBLE PRECISION) / d.stories AS story_share,
    t.taxonomy_version
FROM summary_topic_week t
JOIN taxonomy_versions tv
    ON tv.version = t.taxonomy_version
   AND tv.is_current = TRUE
JOIN summary_relevant_week d
    ON d.week = t.week
   AND d.taxonomy_version = t.taxonomy_version
