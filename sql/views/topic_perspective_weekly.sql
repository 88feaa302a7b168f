-- view: topic_perspective_weekly
-- question: Per topic, ISO week and source perspective (russian_state, iranian_state, western, regional, independent), how many relevant articles, stories and sources covered the topic, and what share of the topic's articles that week came from each perspective?
-- notes: current taxonomy version only; relevant articles only; sparse (no row = 0).
--   stories counts distinct stories among that perspective's articles; one story syndicated across perspectives is
--   counted once in each, so stories do not add up across perspectives (articles do).
--   share_of_topic_week = articles / all articles of the topic that week (adds up to 1 over perspectives).
CREATE VIEW topic_perspective_weekly AS
WITH tagged AS (
    SELECT
        t.topic,
        a.week,
        s.perspective,
        a.id AS article_id,
        COALESCE(a.story_id, a.id) AS story_id,
        a.source_id,
        t.taxonomy_version
    FROM article_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    JOIN article_relevance r
        ON r.article_id = t.article_id
       AND r.taxonomy_version = t.taxonomy_version
       AND r.relevant = TRUE
    JOIN articles a ON a.id = t.article_id
    JOIN sources s ON s.id = a.source_id
),
grouped AS (
    SELECT
        topic,
        week,
        perspective,
        taxonomy_version,
        COUNT(*) AS articles,
        COUNT(DISTINCT story_id) AS stories,
        COUNT(DISTINCT source_id) AS sources
    FROM tagged
    GROUP BY topic, week, perspective, taxonomy_version
)
SELECT
    topic,
    week,
    perspective,
    articles,
    stories,
    sources,
    CAST(articles AS DOUBLE PRECISION)
        / SUM(articles) OVER (PARTITION BY topic, week) AS share_of_topic_week,
    taxonomy_version
FROM grouped
