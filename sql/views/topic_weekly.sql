-- view: topic_weekly
-- question: Per topic and ISO week, how many relevant articles, distinct stories and distinct sources were there, and what share of that week's relevant coverage does the topic hold?
-- notes: current taxonomy version only; relevant articles only; week = articles.week (Monday of the ISO week of
--   articles.day, which is the published day, or the fetched day when no usable date). Sparse: a topic with no article in a week has no row (read it as 0).
--   article_share = articles / all relevant articles that week; story_share = stories / all relevant stories that week
--   (an article can carry several topics, so shares of one week add up to more than 1).
--   Check coverage_daily / coverage_summary_daily before reading a dip as a real drop.
CREATE VIEW topic_weekly AS
WITH relevant AS (
    SELECT
        a.id AS article_id,
        COALESCE(a.story_id, a.id) AS story_id,
        a.source_id,
        a.week,
        r.taxonomy_version
    FROM articles a
    JOIN article_relevance r ON r.article_id = a.id
    JOIN taxonomy_versions tv
        ON tv.version = r.taxonomy_version
       AND tv.is_current = TRUE
    WHERE r.relevant = TRUE
),
week_totals AS (
    SELECT
        week,
        COUNT(*) AS relevant_articles,
        COUNT(DISTINCT story_id) AS relevant_stories
    FROM relevant
    GROUP BY week
),
topic_counts AS (
    SELECT
        t.topic,
        rel.week,
        rel.taxonomy_version,
        COUNT(*) AS articles,
        COUNT(DISTINCT rel.story_id) AS stories,
        COUNT(DISTINCT rel.source_id) AS sources
    FROM relevant rel
    JOIN article_topics t
        ON t.article_id = rel.article_id
       AND t.taxonomy_version = rel.taxonomy_version
    GROUP BY t.topic, rel.week, rel.taxonomy_version
)
SELECT
    tc.topic,
    tc.week,
    tc.articles,
    tc.stories,
    tc.sources,
    d.relevant_articles,
    d.relevant_stories,
    CAST(tc.articles AS DOUBLE PRECISION) / d.relevant_articles AS article_share,
    CAST(tc.stories AS DOUBLE PRECISION) / d.relevant_stories AS story_share,
    tc.taxonomy_version
FROM topic_counts tc
JOIN week_totals d ON d.week = tc.week
