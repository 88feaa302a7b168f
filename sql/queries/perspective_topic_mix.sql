-- name: perspective_topic_mix
-- question: What does each perspective emphasise - for russian_state, iranian_state, western, regional and independent outlets, what share of their relevant Russia-Iran stories falls under each topic?
-- params: since (date, default 2025-01-17)
-- run: newsmon query perspective_topic_mix --param since=2025-01-17
-- notes: current taxonomy version, relevant articles with day >= since; a story counts for a perspective when at least one of that perspective's copies is relevant (and, for a topic, tagged with it); stories have several topics, so pct_of_perspective_stories adds up to more than 100; compare a topic's row across perspectives rather than down one perspective
WITH relevant AS (
    SELECT
        s.perspective,
        a.id AS article_id,
        COALESCE(a.story_id, a.id) AS story_id
    FROM articles a
    JOIN sources s ON s.id = a.source_id
    JOIN article_relevance r ON r.article_id = a.id
    JOIN taxonomy_versions tv
        ON tv.version = r.taxonomy_version
       AND tv.is_current = TRUE
    WHERE r.relevant = TRUE
      AND a.day >= :since
),
perspective_totals AS (
    SELECT perspective, COUNT(DISTINCT story_id) AS perspective_stories, COUNT(*) AS perspective_articles
    FROM relevant
    GROUP BY perspective
),
per_topic AS (
    SELECT perspective, topic, COUNT(DISTINCT story_id) AS stories, COUNT(*) AS articles
    FROM article_tags_current
    WHERE day >= :since
    GROUP BY perspective, topic
)
SELECT
    p.perspective,
    p.topic,
    p.stories,
    p.articles,
    ROUND(CAST(100.0 * p.stories / t.perspective_stories AS NUMERIC), 1) AS pct_of_perspective_stories,
    t.perspective_stories,
    t.perspective_articles
FROM per_topic p
JOIN perspective_totals t ON t.perspective = p.perspective
ORDER BY p.perspective, p.stories DESC, p.topic
