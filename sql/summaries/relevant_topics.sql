-- The narrow fact table of (relevant article, topic), for the changed articles (the facts: facts.sql, in place of the placeholder below).
INSERT INTO summary_relevant_topics (article_id, topic, taxonomy_version, story_id, source_id, perspective, language,
                                     day, week, month)
SELECT f.article_id, t.topic, f.taxonomy_version, f.story_id, f.source_id, f.perspective, f.language, f.day, f.week,
       f.month
FROM ({facts}) f
JOIN article_topics t ON t.article_id = f.article_id AND t.taxonomy_version = f.taxonomy_version
