-- name: drone_coverage_weekly
-- question: How much defence coverage per week is about drones (Shahed / Geran and the like), in articles, stories and sources, and from which perspectives?
-- params: since (date, default 2025-01-17)
-- run: newsmon query drone_coverage_weekly --param since=2025-01-17
-- notes: current taxonomy version; relevant articles tagged defence with day >= since; a drone article is one whose title, text or defence evidence contains drone, shahed, geran (any case), Russian дрон / беспилотн / БПЛА / шахед / герань, or Persian پهپاد (the words are in sql/summaries/drone_articles.sql: the summary refresh marks such articles once, in summary_drone_articles); Cyrillic patterns are listed in lower and capitalised forms because SQLite's LOWER() folds ASCII only, so an all-caps Russian word other than БПЛА can be missed on SQLite; every week with defence articles gets a row; pct_of_defence_stories = drone stories / defence stories that week
WITH flagged AS (
    SELECT
        f.week,
        f.article_id,
        f.story_id,
        f.source_id,
        f.perspective,
        CASE WHEN d.article_id IS NULL THEN 0 ELSE 1 END AS drone
    FROM summary_relevant_topics f
    JOIN taxonomy_versions tv
        ON tv.version = f.taxonomy_version
       AND tv.is_current = TRUE
    LEFT JOIN summary_drone_articles d
        ON d.article_id = f.article_id
       AND d.taxonomy_version = f.taxonomy_version
    WHERE f.topic = 'defence'
      AND f.day >= :since
)
SELECT
    week,
    COUNT(DISTINCT CASE WHEN drone = 1 THEN story_id END) AS drone_stories,
    SUM(drone) AS drone_articles,
    COUNT(DISTINCT CASE WHEN drone = 1 THEN source_id END) AS drone_sources,
    COUNT(DISTINCT story_id) AS defence_stories,
    COUNT(*) AS defence_articles,
    ROUND(CAST(100.0 * COUNT(DISTINCT CASE WHEN drone = 1 THEN story_id END)
               / COUNT(DISTINCT story_id) AS NUMERIC), 1) AS pct_of_defence_stories,
    SUM(CASE WHEN drone = 1 AND perspective = 'russian_state' THEN 1 ELSE 0 END) AS drone_articles_russian_state,
    SUM(CASE WHEN drone = 1 AND perspective = 'iranian_state' THEN 1 ELSE 0 END) AS drone_articles_iranian_state,
    SUM(CASE WHEN drone = 1 AND perspective = 'western' THEN 1 ELSE 0 END) AS drone_articles_western,
    SUM(CASE WHEN drone = 1 AND perspective = 'regional' THEN 1 ELSE 0 END) AS drone_articles_regional,
    SUM(CASE WHEN drone = 1 AND perspective = 'independent' THEN 1 ELSE 0 END) AS drone_articles_independent
FROM flagged
GROUP BY week
ORDER BY week
