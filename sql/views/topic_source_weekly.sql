-- view: topic_source_weekly
-- question: Per topic, ISO week and source, how many relevant articles and distinct stories did each outlet publish on the topic, and what share of the topic's articles that week was theirs?
-- notes: current taxonomy version only; relevant articles only; sparse (no row = 0). The source is the article's
--   own source (articles.source_id). share_of_topic_week = articles / all articles of the topic that week.
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW topic_source_weekly AS
SELECT
    g.topic,
    g.week,
    g.source_id,
    s.name AS source_name,
    s.perspective,
    s.language AS source_language,
    s.country AS source_country,
    g.articles,
    g.stories,
    CAST(g.articles AS DOUBLE PRECISION)
        / SUM(g.articles) OVER (PARTITION BY g.topic, g.week) AS share_of_topic_week,
    g.taxonomy_version
FROM summary_topic_source_week g
JOIN taxonomy_versions tv
    ON tv.version = g.taxonomy_version
   AND tv.is_current = TRUE
JOIN sources s ON s.id = g.source_id
