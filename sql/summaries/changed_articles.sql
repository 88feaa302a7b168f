-- The articles changed since the last refresh (updated, or tagged again): what an incremental refresh rebuilds.
INSERT INTO summary_changed (article_id)
SELECT id FROM articles WHERE updated_at >= :since
UNION SELECT article_id FROM article_relevance WHERE tagged_at >= :since
UNION SELECT article_id FROM article_topics WHERE tagged_at >= :since
