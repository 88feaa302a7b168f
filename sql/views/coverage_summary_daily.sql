-- view: coverage_summary_daily
-- question: On each day the pipeline fetched feeds, how many source feeds were expected, how many were fetched successfully, and what share of expected feeds made it?
-- notes: same rules as coverage_daily (kept self-contained so the views can be dropped and recreated in any
--   order): days = fetched_days with any feed fetch; a source is expected when enabled now and the day is on or
--   after its first logged feed fetch (or it was never tried); ok = at least one feed fetch 'ok' or 'not_modified'.
--   feeds_ok counts expected sources fetched ok; coverage_gaps = feeds_expected - feeds_ok;
--   ok_share = feeds_ok / feeds_expected (NULL when nothing was expected).
--   feed_fetches / feed_failures count every feed fetch that day, expected source or not.
--   reads the summary tables (refreshed after each load by pipeline.warehouse.summaries.refresh_summaries).
CREATE VIEW coverage_summary_daily AS
WITH feed AS (
    SELECT day, source_id, fetches, failures
    FROM summary_fetch_day
    WHERE kind = 'feed'
      AND source_id IS NOT NULL
),
feed_days AS (
    SELECT
        day,
        SUM(fetches) AS feed_fetches,
        SUM(failures) AS feed_failures
    FROM summary_fetch_day
    WHERE kind = 'feed'
    GROUP BY day
),
first_feed AS (
    SELECT source_id, MIN(day) AS first_feed_day
    FROM feed
    GROUP BY source_id
),
ok_days AS (
    SELECT DISTINCT day, source_id
    FROM feed
    WHERE fetches > failures
),
expected AS (
    SELECT d.day, s.id AS source_id
    FROM feed_days d
    CROSS JOIN sources s
    LEFT JOIN first_feed ff ON ff.source_id = s.id
    WHERE s.enabled = TRUE
      AND (ff.first_feed_day IS NULL OR d.day >= ff.first_feed_day)
),
per_day AS (
    SELECT
        e.day,
        COUNT(*) AS feeds_expected,
        SUM(CASE WHEN o.source_id IS NOT NULL THEN 1 ELSE 0 END) AS feeds_ok
    FROM expected e
    LEFT JOIN ok_days o ON o.day = e.day AND o.source_id = e.source_id
    GROUP BY e.day
)
SELECT
    d.day,
    COALESCE(p.feeds_expected, 0) AS feeds_expected,
    COALESCE(p.feeds_ok, 0) AS feeds_ok,
    COALESCE(p.feeds_expected, 0) - COALESCE(p.feeds_ok, 0) AS coverage_gaps,
    CAST(p.feeds_ok AS DOUBLE PRECISION) / NULLIF(p.feeds_expected, 0) AS ok_share,
    d.feed_fetches,
    d.feed_failures
FROM feed_days d
LEFT JOIN per_day p ON p.day = d.day
