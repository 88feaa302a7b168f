-- view: stories
-- question: What are the stories (groups of near-duplicate / syndicated articles), when and by whom was each first reported, and how far did it spread?
-- notes: one row per story_id (the id of the first article of its near-duplicate group; an article whose story_id
--   is not set yet counts as its own story). All articles count, relevant or not.
--   The first article is the earliest by day, then by published_at (articles without a published_at last within
--   the same day), then lowest id; first_* columns, title and url come from it. first_seen / last_seen are days.
--   copies = articles in the group; sources / perspectives = distinct outlets / perspectives carrying it;
--   relevant_copies = copies judged relevant in the current taxonomy version (filter relevant_copies > 0 for
--   Russia-Iran stories).
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW stories AS
SELECT
    st.story_id,
    st.first_seen,
    st.last_seen,
    st.first_article_id,
    st.first_source_id,
    s.name AS first_source_name,
    s.perspective AS first_perspective,
    s.language AS first_source_language,
    st.first_published_at,
    st.title,
    st.url,
    st.copies,
    st.sources,
    st.perspectives,
    st.relevant_copies
FROM summary_stories st
JOIN sources s ON s.id = st.first_source_id
