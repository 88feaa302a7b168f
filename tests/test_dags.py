"""DAG integrity and structure: the dags folder loads without errors, fast, with tags and retries, and each DAG is
wired as documented (schedule, mapping, pool, params, assets)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

import tests.airflow_env as airflow_env

pytestmark = pytest.mark.airflow

EXPECTED_DAGS = {"news_daily", "news_retag", "news_trends"}
HEAVY_MODULES = (
    "trafilatura",
    "bs4",
    "lxml",
    "feedparser",
    "httpx",
    "pipeline.runs.live",
    "pipeline.warehouse",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
)


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(airflow_env.DAGS_FOLDER))


def test_dags_folder_loads_without_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


def test_every_file_parses_in_under_a_second(dagbag):
    files = {stat.file: stat.duration for stat in dagbag.dagbag_stats}
    assert len(files) == len(EXPECTED_DAGS)
    slow = {f: d.total_seconds() for f, d in files.items() if d > timedelta(seconds=1)}
    assert not slow, slow


def test_dag_files_import_nothing_heavy_at_top_level():
    """Parsing a DAG file must not load extraction, HTTP or database libraries (those live in task bodies)."""
    code = (
        "import runpy, sys, airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"for f in {sorted(str(p) for p in airflow_env.DAGS_FOLDER.glob('*.py'))!r}: runpy.run_path(f)\n"
        f"print(sorted(m for m in set(sys.modules) - before if m.startswith({HEAVY_MODULES!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_tags_docs_and_retries(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.tags and "newsmon" in dag.tags
    assert dag.doc_md and dag.doc_md.strip()
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff > 1, task.task_id


def test_news_daily_covers_a_full_day(dagbag):
    from airflow.sdk import CronDataIntervalTimetable
    from airflow.serialization.encoders import coerce_to_core_timetable

    dag = dagbag.dags["news_daily"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    timetable = coerce_to_core_timetable(dag.timetable)
    interval = timetable.infer_manual_data_interval(run_after=datetime(2025, 1, 28, 15, tzinfo=UTC))
    assert (interval.start, interval.end) == (datetime(2025, 1, 27, tzinfo=UTC), datetime(2025, 1, 28, tzinfo=UTC))
    from airflow.timetables.base import TimeRestriction

    first = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=datetime(2025, 1, 1, tzinfo=UTC), latest=None, catchup=True),
    )
    assert first.data_interval.end - first.data_interval.start == timedelta(days=1)


def test_news_daily_maps_one_task_per_feed_in_a_pool(dagbag):
    from pipeline_airflow.assets import FETCH_POOL, WAREHOUSE

    dag = dagbag.dags["news_daily"]
    assert set(dag.task_dict) == {"plan", "process_feed", "finish"}
    process = dag.get_task("process_feed")
    assert type(process).__name__.endswith("MappedOperator") and process.pool == FETCH_POOL
    assert dag.get_task("plan").downstream_task_ids == {"process_feed", "finish"}
    finish = dag.get_task("finish")
    assert finish.trigger_rule == "none_failed" and WAREHOUSE in finish.outlets
    assert dag.max_active_runs == 1 and not dag.catchup
    assert set(dag.params) == {"mode", "feeds_path", "feeds_base_url", "taxonomy_path", "private_hosts"}
    assert dag.params["mode"] == "auto" and dag.params["private_hosts"] == ""


def test_news_trends_follows_the_warehouse_asset(dagbag):
    from pipeline_airflow.assets import WAREHOUSE

    dag = dagbag.dags["news_trends"]
    assert list(dag.timetable.asset_condition.objects) == [WAREHOUSE]
    assert dag.get_task("refresh").downstream_task_ids == {"check_quality"}


def test_news_retag_is_manual_with_typed_params(dagbag):
    dag = dagbag.dags["news_retag"]
    assert type(dag.timetable).__name__ == "NullTimetable"
    params = dag.params.dump()
    assert set(params) == {"start_date", "end_date", "taxonomy_version", "taxonomy_path", "dry_run", "make_current"}
    schema = {name: dag.params.get_param(name).schema for name in params}
    assert schema["start_date"]["format"] == "date" and schema["dry_run"]["type"] == "boolean"
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        dag.params.get_param("dry_run").resolve("yes")


# ---------------------------------------------------------------- the wiring helpers


def test_mode_follows_the_run_type_and_interval():
    from pipeline_airflow.daily_tasks import choose_mode

    now = datetime(2026, 3, 2, 1, tzinfo=UTC)
    assert choose_mode("auto", "scheduled", datetime(2026, 3, 2, tzinfo=UTC), now) == "live"
    assert choose_mode("auto", "manual", datetime(2026, 3, 2, tzinfo=UTC), now) == "live"
    assert choose_mode("auto", "backfill", datetime(2026, 3, 2, tzinfo=UTC), now) == "replay"
    assert choose_mode("auto", "scheduled", datetime(2026, 2, 20, tzinfo=UTC), now) == "replay"
    assert choose_mode("live", "backfill", datetime(2026, 2, 20, tzinfo=UTC), now) == "live"
    with pytest.raises(ValueError):
        choose_mode("sometimes", "manual", now, now)


def test_runs_without_a_logical_date_cover_the_day_before_they_were_queued():
    from types import SimpleNamespace

    from pipeline_airflow.daily_tasks import run_interval

    queued = datetime(2026, 3, 2, 9, tzinfo=UTC)
    context = {"dag_run": SimpleNamespace(run_after=queued)}  # no data_interval_* keys, as Airflow leaves them
    assert run_interval(context) == (queued - timedelta(days=1), queued)
    day = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    assert run_interval({**context, "data_interval_start": day[0], "data_interval_end": day[1]}) == day


def test_the_warehouse_connection_becomes_a_sqlalchemy_url():
    from airflow.sdk import Connection

    from pipeline_airflow.connection import WarehouseConnectionError, url_from_connection

    pg = Connection(
        conn_id="news_warehouse",
        conn_type="postgres",
        host="db",
        port=5432,
        login="newsmon",
        password="s3cret",
        schema="warehouse",
        extra='{"sslmode": "require"}',
    )
    assert url_from_connection(pg) == "postgresql+psycopg://newsmon:s3cret@db:5432/warehouse?sslmode=require"
    sqlite = Connection(conn_id="news_warehouse", conn_type="sqlite", host="/data/warehouse.sqlite")
    assert url_from_connection(sqlite) == "sqlite:////data/warehouse.sqlite"
    explicit = Connection(conn_id="news_warehouse", conn_type="generic", extra='{"sqlalchemy_url": "sqlite:///x.db"}')
    assert url_from_connection(explicit) == "sqlite:///x.db"
    with pytest.raises(WarehouseConnectionError):
        url_from_connection(Connection(conn_id="news_warehouse", conn_type="http", host="example.org"))


def test_the_private_hosts_param_can_only_narrow_the_deployment(monkeypatch):
    """Anyone who may trigger news_daily sets its params: they can narrow NEWSMON_PRIVATE_ALLOWLIST, not widen it."""
    from pipeline_airflow.daily_tasks import run_config

    monkeypatch.setenv("NEWSMON_PRIVATE_ALLOWLIST", "127.0.0.1/32")
    for wider in ("10.0.0.0/8", "127.0.0.0/8", "169.254.169.254"):
        with pytest.raises(ValueError):
            run_config({"private_hosts": wider, "feeds_path": "f.yaml", "taxonomy_path": "t.yaml"})
    narrowed = run_config({"private_hosts": "127.0.0.1", "feeds_path": "f.yaml", "taxonomy_path": "t.yaml"})
    assert narrowed.settings.limits.private_allowlist == ("127.0.0.1/32",)
