-- name: most_syndicated_stories
-- question: Which Russia-Iran stories spread furthest - carried by the most outlets and perspectives - since a given day?
-- params: since (date, default 2025-01-17)
-- run: newsmon query most_syndicated_stories --param since=2025-01-17
-- notes: stories view; stories first seen on or after since with at least one copy relevant in the current taxonomy version; copies / sources / perspectives count all copies of the near-duplicate group; top 50 by distinct sources, then perspectives, then copies
SELECT
    story_id,
    first_seen,
    last_seen,
    first_source_name,
    first_perspective,
    title,
    sources,
    perspectives,
    copies,
    relevant_copies,
    url
FROM stories
WHERE relevant_copies > 0
  AND first_seen >= :since
ORDER BY sources DESC, perspectives DESC, copies DESC, first_seen, story_id
LIMIT 50
