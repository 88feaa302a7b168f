-- view: topic_perspective_weekly
-- question: Per topic, ISO week and source perspective (russian_state, iranian_state, western, regional, independent), how many relevant articles, stories and sources covered the topic, and what share of the topic's articles that week came from each perspective?
-- notes: current taxonomy version only; relevant articles only; sparse (no row = 0).
--   stories counts distinct stories among that perspective's articles; one story syndicated across perspectives is
--   counted once in each, so stories do not add up across perspectives (articles do).
--   share_of_topic_week = articles / all articles of the topic that week (adds up to 1 over perspectives).
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW topic_perspective_weekly AS
SELECT
    t.topic,
    t.week,
    t.perspective,
    t.articles,
    t.stories,
    t.sources,
    CAST(t.articles AS DOUBLE PRECISION)
        / SUM(t.articles) OVER (PARTITION BY t.topic, t.week) AS share_of_topic_week,
    t.taxonomy_version
FROM summary_topic_perspective_week t
JOIN taxonomy_versions tv
    ON tv.version = t.taxonomy_version
   AND tv.is_current = TRUE
