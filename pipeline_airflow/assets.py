"""What the DAGs share: the warehouse asset that `news_daily` and `news_retag` update and `news_trends` follows,
the pool that bounds concurrent feed fetching (created by the compose init service and the docs), and the retry
policy (only infrastructure failures reach Airflow: a warehouse that is down for a while is waited for)."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset

WAREHOUSE = Asset(name="news_warehouse", uri="newsmon://warehouse", group="newsmon")
FETCH_POOL = "news_fetch"
FETCH_POOL_SLOTS = 4

DEFAULT_ARGS = {
    "owner": "newsmon",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
}
