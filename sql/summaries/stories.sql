-- The stories view's definition, for the touched stories only, with the story's topic list (comma-separated,
-- alphabetical union of its relevant copies' topics; a recursive CTE because SQLite 3.40 has no ordered string_agg).
WITH RECURSIVE members AS (
    SELECT a.id AS article_id, a.story_id, a.source_id, a.day, a.title, a.url, a.published_at
    FROM articles a
    WHERE a.story_id IN (SELECT story_id FROM summary_touched)
    UNION ALL
    SELECT a.id, a.id, a.source_id, a.day, a.title, a.url, a.published_at
    FROM articles a
    WHERE a.story_id IS NULL AND a.id IN (SELECT story_id FROM summary_touched)
),
ranked AS (
    SELECT m.*, ROW_NUMBER() OVER (
        PARTITION BY m.story_id
        ORDER BY m.day, CASE WHEN m.published_at IS NULL THEN 1 ELSE 0 END, m.published_at, m.article_id) AS rn
    FROM members m
),
spread AS (
    SELECT m.story_id, COUNT(*) AS copies, COUNT(DISTINCT m.source_id) AS sources,
           COUNT(DISTINCT s.perspective) AS perspectives, MIN(m.day) AS first_seen, MAX(m.day) AS last_seen
    FROM members m
    JOIN sources s ON s.id = m.source_id
    GROUP BY m.story_id
),
relevant AS (
    SELECT m.story_id, COUNT(*) AS relevant_copies
    FROM members m
    JOIN article_relevance r ON r.article_id = m.article_id AND r.relevant = TRUE
    JOIN taxonomy_versions tv ON tv.version = r.taxonomy_version AND tv.is_current = TRUE
    GROUP BY m.story_id
),
numbered AS (
    SELECT story_id, topic, ROW_NUMBER() OVER (PARTITION BY story_id ORDER BY topic) AS n
    FROM (SELECT DISTINCT story_id, topic FROM summary_relevant_topics
          WHERE story_id IN (SELECT story_id FROM summary_touched)) story_topics
),
topic_list (story_id, n, topics) AS (
    SELECT story_id, n, CAST(topic AS TEXT) FROM numbered WHERE n = 1
    UNION ALL
    SELECT nb.story_id, nb.n, tl.topics || ', ' || CAST(nb.topic AS TEXT)
    FROM topic_list tl
    JOIN numbered nb ON nb.story_id = tl.story_id AND nb.n = tl.n + 1
),
full_list AS (
    SELECT story_id, MAX(n) AS topic_count FROM topic_list GROUP BY story_id
)
INSERT INTO summary_stories (story_id, first_seen, last_seen, first_article_id, first_source_id, first_published_at,
                             title, url, copies, sources, perspectives, relevant_copies, topics, topic_count)
SELECT f.story_id, sp.first_seen, sp.last_seen, f.article_id, f.source_id, f.published_at, f.title, f.url,
       sp.copies, sp.sources, sp.perspectives, COALESCE(rel.relevant_copies, 0), tl.topics,
       COALESCE(fl.topic_count, 0)
FROM ranked f
JOIN spread sp ON sp.story_id = f.story_id
LEFT JOIN relevant rel ON rel.story_id = f.story_id
LEFT JOIN full_list fl ON fl.story_id = f.story_id
LEFT JOIN topic_list tl ON tl.story_id = fl.story_id AND tl.n = fl.topic_count
WHERE f.rn = 1
