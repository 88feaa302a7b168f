-- name: coverage_gaps_since
-- question: On which days was an expected source feed not fetched successfully since a given day, so that a dip in a trend on those days may be a fetch gap rather than a real drop?
-- params: since (date, default 2025-01-17)
-- run: newsmon query coverage_gaps_since --param since=2025-01-17
-- notes: one row per (day, source) with coverage_gap = 1 in coverage_daily; day_ok_share = share of the day's expected feeds fetched ok (coverage_summary_daily); last_* = the source's latest feed fetch that day (NULL when no fetch was even tried); newest first
SELECT
    c.day,
    c.source_name,
    c.perspective,
    c.source_language,
    c.feed_fetches,
    c.failures,
    c.last_status,
    c.last_http_status,
    c.last_reason,
    sd.feeds_expected AS day_feeds_expected,
    sd.feeds_ok AS day_feeds_ok,
    ROUND(CAST(100.0 * sd.ok_share AS NUMERIC), 1) AS day_pct_ok
FROM coverage_daily c
JOIN coverage_summary_daily sd ON sd.day = c.day
WHERE c.coverage_gap = 1
  AND c.day >= :since
ORDER BY c.day DESC, c.source_name
