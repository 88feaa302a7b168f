-- view: topic_cooccurrence
-- question: Which pairs of topics are tagged together on the same article, how often (articles and distinct stories), and how strong is the overlap?
-- notes: current taxonomy version only; relevant articles only; one row per pair with topic_a < topic_b (plain
--   string order, as under the C / binary collation). Pairs that never co-occur have no row.
--   articles_a / articles_b = all articles tagged with topic_a / topic_b;
--   jaccard = articles / (articles_a + articles_b - articles), 0..1.
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW topic_cooccurrence AS
SELECT
    p.topic_a,
    p.topic_b,
    p.articles,
    p.stories,
    ta.articles AS articles_a,
    tb.articles AS articles_b,
    ta.stories AS stories_a,
    tb.stories AS stories_b,
    CAST(p.articles AS DOUBLE PRECISION)
        / (ta.articles + tb.articles - p.articles) AS jaccard,
    p.taxonomy_version
FROM summary_topic_pairs p
JOIN taxonomy_versions tv
    ON tv.version = p.taxonomy_version
   AND tv.is_current = TRUE
JOIN summary_topic_totals ta ON ta.topic = p.topic_a
JOIN summary_topic_totals tb ON tb.topic = p.topic_b
