-- name: drone_coverage_weekly
-- question: How much defence coverage per week is about drones (Shahed / Geran and the like), in articles, stories and sources, and from which perspectives?
-- params: since (date, default 2025-01-17)
-- run: newsmon query drone_coverage_weekly --param since=2025-01-17
-- notes: current taxonomy version; relevant articles tagged defence with day >= since; a drone article is one whose title, text or defence evidence contains drone, shahed, geran (any case), Russian дрон / беспилотн / БПЛА / шахед / герань, or Persian پهپاد; Cyrillic patterns are listed in lower and capitalised forms because SQLite's LOWER() folds ASCII only, so an all-caps Russian word other than БПЛА can be missed on SQLite; every week with defence articles gets a row; pct_of_defence_stories = drone stories / defence stories that week
WITH defence AS (
    SELECT
        f.week,
        f.article_id,
        f.story_id,
        f.source_id,
        f.perspective,
        LOWER(COALESCE(a.title, '') || ' ' || a.text || ' ' || COALESCE(t.evidence, '')) AS body
    FROM summary_relevant_topics f
    JOIN taxonomy_versions tv
        ON tv.version = f.taxonomy_version
       AND tv.is_current = TRUE
    JOIN article_topics t
        ON t.article_id = f.article_id
       AND t.taxonomy_version = f.taxonomy_version
       AND t.topic = f.topic
    JOIN articles a ON a.id = f.article_id
    WHERE f.topic = 'defence'
      AND f.day >= :since
),
flagged AS (
    SELECT
        week,
        article_id,
        story_id,
        source_id,
        perspective,
        CASE
            WHEN body LIKE '%drone%'
              OR body LIKE '%shahed%'
              OR body LIKE '%geran%'
              OR body LIKE '%дрон%' OR body LIKE '%Дрон%'
              OR body LIKE '%беспилотн%' OR body LIKE '%Беспилотн%'
              OR body LIKE '%бпла%' OR body LIKE '%БПЛА%'
              OR body LIKE '%шахед%' OR body LIKE '%Шахед%'
              OR body LIKE '%герань%' OR body LIKE '%Герань%'
              OR body LIKE '%پهپاد%'
            THEN 1 ELSE 0
        END AS drone
    FROM defence
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
