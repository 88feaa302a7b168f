-- name: taxonomy_version_diff
-- question: How did the current taxonomy version change relevance and topic tags compared with the previous version, per topic (articles gained and lost)?
-- params: none
-- run: newsmon query taxonomy_version_diff
-- notes: previous version = the most recently first used non-current row of taxonomy_versions; only articles that have a relevance row in both versions are compared, so articles tagged in one version only do not show up as changes; row '(relevant)' compares relevance, other rows compare topic tags (a tag counts only on an article judged relevant in its version); empty when there is no previous version
WITH cur AS (
    SELECT version
    FROM taxonomy_versions
    WHERE is_current = TRUE
),
prev AS (
    SELECT version
    FROM taxonomy_versions
    WHERE is_current = FALSE
    ORDER BY first_used_at DESC, version DESC
    LIMIT 1
),
common AS (
    SELECT
        rc.article_id,
        CASE WHEN rc.relevant = TRUE THEN 1 ELSE 0 END AS relevant_cur,
        CASE WHEN rp.relevant = TRUE THEN 1 ELSE 0 END AS relevant_prev
    FROM article_relevance rc
    JOIN cur ON cur.version = rc.taxonomy_version
    JOIN article_relevance rp ON rp.article_id = rc.article_id
    JOIN prev ON prev.version = rp.taxonomy_version
),
tag_rows AS (
    SELECT t.article_id, t.topic, 1 AS in_cur, 0 AS in_prev
    FROM article_topics t
    JOIN cur ON cur.version = t.taxonomy_version
    JOIN common c ON c.article_id = t.article_id AND c.relevant_cur = 1
    UNION ALL
    SELECT t.article_id, t.topic, 0 AS in_cur, 1 AS in_prev
    FROM article_topics t
    JOIN prev ON prev.version = t.taxonomy_version
    JOIN common c ON c.article_id = t.article_id AND c.relevant_prev = 1
),
per_article AS (
    SELECT article_id, topic, MAX(in_cur) AS in_cur, MAX(in_prev) AS in_prev
    FROM tag_rows
    GROUP BY article_id, topic
),
relevance_diff AS (
    SELECT
        COUNT(*) AS compared,
        SUM(relevant_prev) AS prev_articles,
        SUM(relevant_cur) AS cur_articles,
        SUM(CASE WHEN relevant_cur = 1 AND relevant_prev = 0 THEN 1 ELSE 0 END) AS gained,
        SUM(CASE WHEN relevant_cur = 0 AND relevant_prev = 1 THEN 1 ELSE 0 END) AS lost
    FROM common
),
diff AS (
    SELECT '(relevant)' AS topic, prev_articles, cur_articles, gained, lost
    FROM relevance_diff
    WHERE compared > 0
    UNION ALL
    SELECT
        topic,
        SUM(in_prev) AS prev_articles,
        SUM(in_cur) AS cur_articles,
        SUM(CASE WHEN in_cur = 1 AND in_prev = 0 THEN 1 ELSE 0 END) AS gained,
        SUM(CASE WHEN in_cur = 0 AND in_prev = 1 THEN 1 ELSE 0 END) AS lost
    FROM per_article
    GROUP BY topic
)
SELECT
    prev.version AS previous_version,
    cur.version AS current_version,
    d.topic,
    d.prev_articles,
    d.cur_articles,
    d.cur_articles - d.prev_articles AS net_change,
    d.gained,
    d.lost
FROM diff d
CROSS JOIN cur
CROSS JOIN prev
ORDER BY
    CASE WHEN d.topic = '(relevant)' THEN 0 ELSE 1 END,
    d.gained + d.lost DESC,
    d.topic
