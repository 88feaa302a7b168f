"""Names the DAGs share: the warehouse asset that `news_daily` and `news_retag` update and `news_trends` follows,
and the pool that bounds concurrent feed fetching (created by the compose init service and the docs)."""
from __future__ import annotations

from airflow.sdk import Asset

WAREHOUSE = Asset(name="news_warehouse", uri="newsmon://warehouse", group="newsmon")
FETCH_POOL = "news_fetch"
FETCH_POOL_SLOTS = 4
