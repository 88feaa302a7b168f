-- Fetches and failures per day, source and kind from the given day on, with the day's last status and reason.
WITH recent AS (
    SELECT fetched_day, source_id, kind, status, http_status, reason,
           ROW_NUMBER() OVER (PARTITION BY fetched_day, source_id, kind ORDER BY fetched_at DESC, id DESC) AS rn
    FROM fetch_log
    WHERE fetched_day >= :from_day AND kind IN ('feed', 'article')
)
INSERT INTO summary_fetch_day (day, source_id, kind, fetches, failures, last_status, last_http_status, last_reason)
SELECT fetched_day, source_id, kind, COUNT(*),
       SUM(CASE WHEN status IN ('ok', 'not_modified') THEN 0 ELSE 1 END),
       MAX(CASE WHEN rn = 1 THEN status END), MAX(CASE WHEN rn = 1 THEN http_status END),
       MAX(CASE WHEN rn = 1 THEN reason END)
FROM recent
GROUP BY fetched_day, source_id, kind
