-- The changed articles' drone fact: relevant defence articles whose title, text or defence evidence contains drone,
-- shahed, geran (any case), Russian дрон / беспилотн / БПЛА / шахед / герань, or Persian پهپاد. Cyrillic patterns are
-- listed in lower and capitalised forms because SQLite's LOWER() folds ASCII only (an all-caps Russian word other
-- than БПЛА can be missed on SQLite). Read by sql/queries/drone_coverage_weekly.sql.
INSERT INTO summary_drone_articles (article_id, taxonomy_version)
SELECT article_id, taxonomy_version
FROM (
    SELECT
        f.article_id,
        f.taxonomy_version,
        LOWER(COALESCE(a.title, '') || ' ' || a.text || ' ' || COALESCE(t.evidence, '')) AS body
    FROM summary_relevant_topics f
    JOIN summary_changed c ON c.article_id = f.article_id
    JOIN article_topics t
        ON t.article_id = f.article_id
       AND t.taxonomy_version = f.taxonomy_version
       AND t.topic = f.topic
    JOIN articles a ON a.id = f.article_id
    WHERE f.topic = 'defence'
) defence
WHERE body LIKE '%drone%'
   OR body LIKE '%shahed%'
   OR body LIKE '%geran%'
   OR body LIKE '%дрон%' OR body LIKE '%Дрон%'
   OR body LIKE '%беспилотн%' OR body LIKE '%Беспилотн%'
   OR body LIKE '%бпла%' OR body LIKE '%БПЛА%'
   OR body LIKE '%шахед%' OR body LIKE '%Шахед%'
   OR body LIKE '%герань%' OR body LIKE '%Герань%'
   OR body LIKE '%پهپاد%'
