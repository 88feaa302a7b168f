-- view: coverage_daily
-- question: On each day the pipeline fetched feeds, was each source's feed expected and fetched successfully, how many feed and article fetches failed, and is there a coverage gap that could explain a dip in a trend?
-- notes: days = every fetched_day with at least one feed fetch (kind 'feed') in fetch_log, for any source.
--   Rows = enabled sources on each of those days, plus any source (even disabled) that has feed fetches that day.
--   expected = 1 when the source is enabled now and the day is on or after its first logged feed fetch (a source
--   added later is not expected before the pipeline first tried it; an enabled source never tried at all is
--   expected every day). "enabled" is today's setting: sources.enabled keeps no history.
--   fetched_ok = 1 when at least one feed fetch that day ended 'ok' or 'not_modified'.
--   failures = feed fetches that day with any other status (temporary, permanent, not_a_feed, refused).
--   last_status / last_http_status / last_reason = the latest feed fetch of that day (by fetched_at, then id).
--   article_fetches / article_failures = article-page fetches (kind 'article') that day, same ok rule.
--   coverage_gap = 1 when expected = 1 and fetched_ok = 0.
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW coverage_daily AS
WITH per_day AS (
    SELECT
        day,
        source_id,
        fetches AS feed_fetches,
        fetches - failures AS ok_fetches,
        failures,
        last_status,
        last_http_status,
        last_reason
    FROM summary_fetch_day
    WHERE kind = 'feed'
      AND source_id IS NOT NULL
),
feed_days AS (
    SELECT DISTINCT day
    FROM summary_fetch_day
    WHERE kind = 'feed'
),
first_feed AS (
    SELECT source_id, MIN(day) AS first_feed_day
    FROM per_day
    GROUP BY source_id
),
article_fetch AS (
    SELECT
        day,
        source_id,
        fetches AS article_fetches,
        failures AS article_failures
    FROM summary_fetch_day
    WHERE kind = 'article'
      AND source_id IS NOT NULL
),
grid AS (
    SELECT d.day, s.id AS source_id
    FROM feed_days d
    CROSS JOIN sources s
    WHERE s.enabled = TRUE
    UNION
    SELECT day, source_id
    FROM per_day
),
flags AS (
    SELECT
        g.day,
        g.source_id,
        CASE
            WHEN s.enabled = TRUE
             AND (ff.first_feed_day IS NULL OR g.day >= ff.first_feed_day)
            THEN 1 ELSE 0
        END AS expected,
        CASE WHEN COALESCE(p.ok_fetches, 0) > 0 THEN 1 ELSE 0 END AS fetched_ok
    FROM grid g
    JOIN sources s ON s.id = g.source_id
    LEFT JOIN first_feed ff ON ff.source_id = g.source_id
    LEFT JOIN per_day p ON p.day = g.day AND p.source_id = g.source_id
)
SELECT
    f.day,
    f.source_id,
    s.name AS source_name,
    s.perspective,
    s.language AS source_language,
    s.country AS source_country,
    f.expected,
    f.fetched_ok,
    COALESCE(p.feed_fetches, 0) AS feed_fetches,
    COALESCE(p.failures, 0) AS failures,
    p.last_status,
    p.last_http_status,
    p.last_reason,
    COALESCE(af.article_fetches, 0) AS article_fetches,
    COALESCE(af.article_failures, 0) AS article_failures,
    CASE WHEN f.expected = 1 AND f.fetched_ok = 0 THEN 1 ELSE 0 END AS coverage_gap
FROM flags f
JOIN sources s ON s.id = f.source_id
LEFT JOIN per_day p ON p.day = f.day AND p.source_id = f.source_id
LEFT JOIN article_fetch af ON af.day = f.day AND af.source_id = f.source_id
