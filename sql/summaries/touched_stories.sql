-- The stories the changed articles belong to.
INSERT INTO summary_touched (story_id)
SELECT DISTINCT COALESCE(a.story_id, a.id) FROM summary_changed c JOIN articles a ON a.id = c.article_id
