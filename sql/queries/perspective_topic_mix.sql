-- name: perspective_topic_mix
-- question: What does each perspective emphasise - for russian_state, iranian_state, western, regional and independent outlets, what share of their relevant Russia-Iran stories falls under each topic?
-- params: since (date, default 2025-01-17)
-- run: newsmon query perspective_topic_mix --param since=2025-01-17
-- notes: current taxonomy version, relevant articles with day >= since; a story counts for a perspective when at least one of that perspective's copies is relevant (and, for a topic, tagged with it); stories have several topics, so pct_of_perspective_stories adds up to more than 100; compare a topic's row across perspectives rather than down one perspective
WITH relevant AS (
    SELECT
        a.perspective,
        a.article_id,
        a.story_id
    FROM summary_relevant_articles a
    JOIN taxonomy_versions tv
        ON tv.version = a.taxonomy_version
       AND tv.is_current = TRUE
    WHERE a.day >= :since
),
perspective_totals AS (
    SELECT perspective, COUNT(DISTINCT story_id) AS perspective_stories, COUNT(*) AS perspective_articles
    FROM relevant
    GROUP BY perspective
),
per_topic AS (
    SELECT t.perspective, t.topic, COUNT(DISTINCT t.story_id) AS stories, COUNT(*) AS articles
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv
        ON tv.version = t.taxonomy_version
       AND tv.is_current = TRUE
    WHERE t.day >= :since
    GROUP BY t.perspective, t.topic
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
