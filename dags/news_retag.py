"""
### news_retag — re-tag stored articles with the current taxonomy

Manual only. Pick a date range (by article day), optionally the taxonomy version you expect the file to carry
(the run fails if it does not match), whether to do a dry run, and whether the trend views should read the new
version afterwards. Tags are written under the taxonomy's version next to the old ones (which stay, so a version
can be pinned back), and `news_trends` follows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import Param, dag, task

from pipeline_airflow.assets import DEFAULT_ARGS, WAREHOUSE

PARAMS = {
    "start_date": Param(
        "2025-01-01", type="string", format="date", title="First day", description="first article day to re-tag"
    ),
    "end_date": Param(
        "2025-12-31",
        type="string",
        format="date",
        title="Last day",
        description="last article day to re-tag (included)",
    ),
    "taxonomy_version": Param(
        "",
        type="string",
        title="Taxonomy version",
        description="expected version of the taxonomy file; empty: whatever the file says",
    ),
    "taxonomy_path": Param(
        "",
        type="string",
        title="Taxonomy file",
        description="empty: Variable newsmon_taxonomy_path, else config/taxonomy.yaml",
    ),
    "dry_run": Param(False, type="boolean", title="Dry run", description="count what would change, write nothing"),
    "make_current": Param(
        True,
        type="boolean",
        title="Make current",
        description="afterwards, the trend views read this version (else pin it later)",
    ),
}


@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    tags=["newsmon", "tagging"],
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
)
def news_retag():
    @task(outlets=[WAREHOUSE])
    def retag(params=None) -> dict:
        from pipeline_airflow.retag_tasks import retag_range

        return retag_range(params)

    retag()


news_retag()
