"""
### news_daily — feeds → articles → clean text → tags → warehouse, once a day

Each run covers one full UTC day (its data interval). `plan` opens a run in the warehouse and lists one job per
feed; `process_feed` runs once per feed (dynamic task mapping, in the `news_fetch` pool): fetch, scrape new
articles, clean, deduplicate, tag, load, one transaction per feed. A broken feed is recorded with its reason and
never fails the run; only warehouse errors fail a task, so that Airflow retries it. `finish` closes the run and
updates the `news_warehouse` asset, which triggers `news_trends`.

**Backfills replay the archive.** A backfill (Trigger → Backfill, `airflow backfill create`, or
`POST /api/v2/backfills`), or any run whose interval ended more than two days ago, re-extracts, re-cleans and
re-tags the stored raw pages of its interval instead of fetching feeds that no longer list those items. Set the
`mode` param to force `live`, `replay`, or `archive` (fetch the history pages of sources with
`archive: wordpress_paged` for the interval).
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from pipeline_airflow.assets import DEFAULT_ARGS, FETCH_POOL, WAREHOUSE

PARAMS = {
    "mode": Param(
        "auto",
        type="string",
        enum=["auto", "live", "replay", "archive"],
        description="auto: backfills and past intervals replay the archive, current ones fetch live",
    ),
    "feeds_path": Param(
        "", type="string", description="feed list (YAML); empty: Variable newsmon_feeds_path, else config/feeds.yaml"
    ),
    "feeds_base_url": Param("", type="string", description="replaces {{BASE}} in the feed list (the sample site)"),
    "taxonomy_path": Param(
        "",
        type="string",
        description="taxonomy (YAML); empty: Variable newsmon_taxonomy_path, else config/taxonomy.yaml",
    ),
    "private_hosts": Param(
        "",
        type="string",
        description="non-public networks this run may fetch from (e.g. 127.0.0.1/32 for the "
        "sample site); only within the deployment's NEWSMON_PRIVATE_ALLOWLIST, "
        "empty: the deployment's list",
    ),
}


@dag(
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    tags=["newsmon", "ingest"],
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
)
def news_daily():
    @task
    def plan(params=None, **context) -> list[dict]:
        from pipeline_airflow.daily_tasks import plan_run

        return plan_run(params, context)

    @task(pool=FETCH_POOL, max_active_tis_per_dag=4)
    def process_feed(job: dict, params=None) -> dict:
        from pipeline_airflow.daily_tasks import process_feed

        return process_feed(job, params)

    @task(outlets=[WAREHOUSE], trigger_rule="none_failed")
    def finish(jobs: list[dict], reports: list[dict] | None, outlet_events=None) -> dict:
        from pipeline_airflow.daily_tasks import finish_run

        summary = finish_run(jobs, reports)
        outlet_events[WAREHOUSE].extra = summary
        return summary

    jobs = plan()
    reports = process_feed.expand(job=jobs)
    finish(jobs, reports)


news_daily()
