-- The narrow fact table of relevant articles, for the changed articles (the facts: facts.sql, in place of the placeholder below).
INSERT INTO summary_relevant_articles (article_id, taxonomy_version, story_id, source_id, perspective, language,
                                       day, week, month)
{facts}
