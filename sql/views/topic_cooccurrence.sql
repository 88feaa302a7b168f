-- view: topic_cooccurrence
-- question: Which pairs of topics are tagged together on the same article, how often (articles and distinct stories), and how strong is the overlap?
-- notes: current taxonomy version only; relevant articles only; one row per pair with topic_a < topic_b (plain
--   string order, as under the C / binary collation). Pairs that never co-occur have no row.
--   articles_a / articles_b = all articles tagged with topic_a / topic_b;
--   jaccard = articles / (articles_a + articles_b - articles), 0..1.
CREATE VIEW topic_cooccurrence AS
WITH tagged AS (
    SELECT
        t.article_id,
        COALESCE(a.story_id, a.id) AS story_id,
        t.topic,
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
topic_totals AS (
    SELECT topic, COUNT(*) AS articles, COUNT(DISTINCT story_id) AS stories
    FROM tagged
    GROUP BY topic
),
pairs AS (
    SELECT
        x.topic AS topic_a,
        y.topic AS topic_b,
        x.taxonomy_version,
        COUNT(*) AS articles,
        COUNT(DISTINCT x.story_id) AS stories
    FROM tagged x
    JOIN tagged y
        ON y.article_id = x.article_id
       AND x.topic < y.topic
    GROUP BY x.topic, y.topic, x.taxonomy_version
)
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
FROM pairs p
JOIN topic_totals ta ON ta.topic = p.topic_a
JOIN topic_totals tb ON tb.topic = p.topic_b
