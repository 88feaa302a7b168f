-- name: fetch_failures_by_source
-- question: Since a given day, which sources had fetch failures and coverage gaps (expected days without a successful feed fetch), and what went wrong last?
-- params: since (date, default 2025-01-17)
-- run: newsmon query fetch_failures_by_source --param since=2025-01-17
-- notes: built on coverage_daily (days on which the pipeline fetched any feed); gap_days = expected days with no 'ok' or 'not_modified' feed fetch; feed failures are split by status; last_failure_* = the latest failed fetch of any kind (feed, article, robots) since the since day; consecutive_failures / current_status are the sources table's live feed state; enabled sources are listed even without rows in the period, disabled ones only if they were fetched; worst first
WITH coverage AS (
    SELECT *
    FROM coverage_daily
    WHERE day >= :since
),
per_source AS (
    SELECT
        source_id,
        SUM(expected) AS days_expected,
        SUM(CASE WHEN expected = 1 AND fetched_ok = 1 THEN 1 ELSE 0 END) AS days_ok,
        SUM(coverage_gap) AS gap_days,
        MAX(CASE WHEN coverage_gap = 1 THEN day END) AS last_gap_day,
        MAX(CASE WHEN fetched_ok = 1 THEN day END) AS last_ok_day,
        CAST(SUM(feed_fetches) AS INTEGER) AS feed_fetches,
        CAST(SUM(failures) AS INTEGER) AS feed_failures,
        CAST(SUM(article_fetches) AS INTEGER) AS article_fetches,
        CAST(SUM(article_failures) AS INTEGER) AS article_failures
    FROM coverage
    GROUP BY source_id
),
feed_status AS (
    SELECT
        source_id,
        SUM(CASE WHEN status = 'temporary' THEN 1 ELSE 0 END) AS feed_temporary,
        SUM(CASE WHEN status = 'permanent' THEN 1 ELSE 0 END) AS feed_permanent,
        SUM(CASE WHEN status = 'not_a_feed' THEN 1 ELSE 0 END) AS feed_not_a_feed,
        SUM(CASE WHEN status = 'refused' THEN 1 ELSE 0 END) AS feed_refused
    FROM fetch_log
    WHERE kind = 'feed'
      AND fetched_day >= :since
      AND source_id IS NOT NULL
    GROUP BY source_id
),
last_failure AS (
    SELECT
        source_id,
        fetched_day,
        kind,
        status,
        http_status,
        reason,
        ROW_NUMBER() OVER (PARTITION BY source_id ORDER BY fetched_at DESC, id DESC) AS rn
    FROM fetch_log
    WHERE fetched_day >= :since
      AND source_id IS NOT NULL
      AND status NOT IN ('ok', 'not_modified')
)
SELECT
    s.id AS source_id,
    s.name AS source_name,
    s.perspective,
    CASE WHEN s.enabled = TRUE THEN 1 ELSE 0 END AS enabled,
    COALESCE(ps.days_expected, 0) AS days_expected,
    COALESCE(ps.days_ok, 0) AS days_ok,
    COALESCE(ps.gap_days, 0) AS gap_days,
    ROUND(CAST(100.0 * ps.gap_days / NULLIF(ps.days_expected, 0) AS NUMERIC), 1) AS pct_days_gap,
    ps.last_gap_day,
    ps.last_ok_day,
    COALESCE(ps.feed_fetches, 0) AS feed_fetches,
    COALESCE(ps.feed_failures, 0) AS feed_failures,
    COALESCE(fs.feed_temporary, 0) AS feed_temporary,
    COALESCE(fs.feed_permanent, 0) AS feed_permanent,
    COALESCE(fs.feed_not_a_feed, 0) AS feed_not_a_feed,
    COALESCE(fs.feed_refused, 0) AS feed_refused,
    COALESCE(ps.article_fetches, 0) AS article_fetches,
    COALESCE(ps.article_failures, 0) AS article_failures,
    lf.fetched_day AS last_failure_day,
    lf.kind AS last_failure_kind,
    lf.status AS last_failure_status,
    lf.http_status AS last_failure_http_status,
    lf.reason AS last_failure_reason,
    s.consecutive_failures,
    s.last_status AS current_status
FROM sources s
LEFT JOIN per_source ps ON ps.source_id = s.id
LEFT JOIN feed_status fs ON fs.source_id = s.id
LEFT JOIN last_failure lf ON lf.source_id = s.id AND lf.rn = 1
WHERE s.enabled = TRUE
   OR ps.source_id IS NOT NULL
ORDER BY
    COALESCE(ps.gap_days, 0) DESC,
    COALESCE(ps.feed_failures, 0) DESC,
    COALESCE(ps.article_failures, 0) DESC,
    s.name
