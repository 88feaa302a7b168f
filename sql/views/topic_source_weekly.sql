-- view: topic_source_weekly
-- question: Per topic, ISO week and source, how many relevant articles and distinct stories did each outlet publish on the topic, and what share of the topic's articles that week was theirs?
-- notes: current taxonomy version only; relevant articles only; sparse (no row = 0). The source is the article's
--   own source (articles.source_id). share_of_topic_week = articles / all articles of the topic that week.
CREATE VIEW topic_source_weekly AS
WITH tagged AS (
    SELECT
        t.topic,
        a.week,
        a.source_id,
        a.id AS article_id,
        COALESCE(a.story_id, a.id) AS story_id,
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
),
grouped AS (
    SELECT
        topic,
        week,
        source_id,
        taxonomy_version,
        COUNT(*) AS articles,
        COUNT(DISTINCT story_id) AS stories
    FROM tagged
    GROUP BY topic, week, source_id, taxonomy_version
)
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
FROM grouped g
JOIN sources s ON s.id = g.source_id
