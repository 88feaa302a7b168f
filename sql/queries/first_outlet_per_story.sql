-- name: first_outlet_per_story
-- question: Which outlet (and perspective) reported each Russia-Iran story first, with the story's topics, how many copies it had and how far it spread?
-- params: since (date, default 2025-01-17)
-- run: newsmon query first_outlet_per_story --param since=2025-01-17
-- notes: one row per story first seen on or after since that has at least one relevant copy in the current taxonomy version; first outlet = earliest copy by day, then published_at, then lowest id (stories view, any copy); topics = comma-separated, alphabetical union of the current-version topics of the story's relevant copies (summary_stories.topics, built at refresh with a recursive CTE because SQLite 3.40 has no string_agg); copies / sources / perspectives count all copies; filter with topics LIKE '%defence%' for one topic
SELECT
    s.story_id,
    s.first_seen,
    s.first_source_name,
    s.first_perspective,
    s.title,
    st.topic_count,
    st.topics,
    s.copies,
    s.sources,
    s.perspectives,
    s.relevant_copies,
    s.last_seen,
    s.url
FROM stories s
JOIN summary_stories st ON st.story_id = s.story_id
WHERE s.relevant_copies > 0
  AND s.first_seen >= :since
ORDER BY s.first_seen DESC, s.story_id DESC
