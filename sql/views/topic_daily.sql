-- view: topic_daily
-- question: Per topic and day, how many relevant articles, distinct stories and distinct sources were there, and what share of that day's relevant coverage does the topic hold?
-- notes: current taxonomy version only; relevant articles only; day = articles.day (published day, or fetched day
--   when no usable date). Sparse: a topic with no article on a day has no row (read it as 0).
--   article_share = articles / all relevant articles that day; story_share = stories / all relevant stories that
--   day (an article can carry several topics, so shares of one day add up to more than 1).
--   Check coverage_daily / coverage_summary_daily before reading a dip as a real drop.
CREATE VIEW topic_daily AS
WITH relevant AS (
    SELECT
        a.id AS article_id,
        COALESCE(a.story_id, a.id) AS story_id,
        a.source_id,
        a.day,
        r.taxonomy_version
    FROM articles a
    JOIN article_relevance r ON r.article_id = a.id
    JOIN taxonomy_versions tv
        ON tv.version = r.taxonomy_version
       AND tv.is_current = TRUE
    WHERE r.relevant = TRUE
),
day_totals AS (
    SELECT
        day,
        COUNT(*) AS relevant_articles,
        COUNT(DISTINCT story_id) AS relevant_stories
    FROM relevant
    GROUP BY day
),
topic_counts AS (
    SELECT
        t.topic,
        rel.day,
        rel.taxonomy_version,
        COUNT(*) AS articles,
        COUNT(DISTINCT rel.story_id) AS stories,
        COUNT(DISTINCT rel.source_id) AS sources
    FROM relevant rel
    JOIN article_topics t
        ON t.article_id = rel.article_id
       AND t.taxonomy_version = rel.taxonomy_version
    GROUP BY t.topic, rel.day, rel.taxonomy_version
)
SELECT
    tc.topic,
    tc.day,
    tc.articles,
    tc.stories,
    tc.sources,
    d.relevant_articles,
    d.relevant_stories,
    CAST(tc.articles AS DOUBLE PRECISION) / d.relevant_articles AS article_share,
    CAST(tc.stories AS DOUBLE PRECISION) / d.relevant_stories AS story_share,
    tc.taxonomy_version
FROM topic_counts tc
JOIN day_totals d ON d.day = tc.day
