-- view: topic_daily
-- question: Per topic and day, how many relevant articles, distinct stories and distinct sources were there, and what share of that day's relevant coverage does the topic hold?
-- notes: current taxonomy version only; relevant articles only; day = articles.day (published day, or fetched day
--   when no usable date). Sparse: a topic with no article on a day has no row (read it as 0).
--   article_share = articles / all relevant articles that day; story_share = stories / all relevant stories that
--   day (an article can carry several topics, so shares of one day add up to more than 1).
--   Check coverage_daily / coverage_summary_daily before reading a dip as a real drop.
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW topic_daily AS
SELECT
    t.topic,
    t.day,
    t.articles,
    t.stories,
    t.sources,
    d.articles AS relevant_articles,
    d.stories AS relevant_stories,
    CAST(t.articles AS DOUBLE PRECISION) / d.articles AS article_share,
    CAST(t.stories AS DOUBLE PRECISION) / d.stories AS story_share,
    t.taxonomy_version
FROM summary_topic_day t
JOIN taxonomy_versions tv
    ON tv.version = t.taxonomy_version
   AND tv.is_current = TRUE
JOIN summary_relevant_day d
    ON d.day = t.day
   AND d.taxonomy_version = t.taxonomy_version
