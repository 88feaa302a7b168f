"""
### news_trends — refresh the trend summaries and check the warehouse, after every load

Runs whenever `news_daily` or `news_retag` updates the `news_warehouse` asset. `refresh` brings up to date the summary
tables the trend views read (plain tables on SQLite and PostgreSQL alike, refreshed in part); `check_quality` then
compares row counts with each run's log, looks for articles without a source, the share of failed feed fetches and
coverage gaps, and fails loudly (no retry) naming every check that failed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import Param, dag, task

from pipeline_airflow.assets import DEFAULT_ARGS, WAREHOUSE

PARAMS = {
    "max_feed_failure_share": Param(
        0.5,
        type="number",
        minimum=0,
        maximum=1,
        description="fail when more feed fetches than this failed in the latest run",
    ),
    "min_coverage_share": Param(
        0.5,
        type="number",
        minimum=0,
        maximum=1,
        description="fail when fewer expected feeds than this were fetched on the latest day",
    ),
}


@dag(
    schedule=[WAREHOUSE],
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    tags=["newsmon", "trends", "quality"],
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
)
def news_trends():
    @task
    def refresh(params=None) -> dict:
        from pipeline_airflow.trends_tasks import refresh

        return refresh(params)

    @task
    def check_quality(params=None) -> list[str]:
        from pipeline_airflow.trends_tasks import check_quality

        return check_quality(params)

    refresh() >> check_quality()


news_trends()
