"""A backfill end to end through Airflow's REST API: scheduler, dag-processor and api-server started here on a
PostgreSQL metadata database, `POST /api/v2/backfills` over several past days, and the warehouse checked: the
archive was replayed for each day (a damaged article is restored), and nothing was added or duplicated.

Everything this test starts it stops (process groups), and the metadata database it creates it drops."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

import tests.airflow_env as airflow_env
from pipeline.warehouse.db import make_engine
from tests.conftest import _PG_PROBLEM, POSTGRES_URL, REQUIRE_POSTGRES
from tests.sample_warehouse import fill_from_sample_site

pytestmark = [pytest.mark.airflow, pytest.mark.postgres]
TABLES = (
    "sources",
    "articles",
    "feed_items",
    "raw_pages",
    "article_topics",
    "article_relevance",
    "article_sources",
    "fetch_log",
)
BACKFILL_FROM, BACKFILL_TO = "2025-01-27", "2025-01-29"  # logical dates = interval starts: days 01-27 .. 01-29
STARTUP_TIMEOUT, BACKFILL_TIMEOUT = 180, 420
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
PASSWORD = "e2e-admin-pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}


@pytest.fixture(scope="module")
def postgres():
    if _PG_PROBLEM:
        if REQUIRE_POSTGRES:
            pytest.fail(_PG_PROBLEM)
        pytest.skip(_PG_PROBLEM)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


@pytest.fixture(scope="module")
def metadata_url(postgres):
    name = f"newsmon_af_{uuid.uuid4().hex[:10]}"
    with postgres.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with postgres.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="module")
def warehouse(postgres, taxonomy, tagger, rules):
    """A warehouse (its own PostgreSQL schema) filled once from the sample site, which is then shut down."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with postgres.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    fill_from_sample_site(engine, taxonomy, tagger, rules)
    yield url, engine
    engine.dispose()
    with postgres.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


class AirflowStack:
    """scheduler + dag-processor + api-server as child process groups, with their logs in a folder."""

    def __init__(self, home: Path, env: dict[str, str], port: int):
        self.home, self.env, self.port = home, env, port
        self.base = f"http://127.0.0.1:{port}"
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.log", "wb")  # noqa: SIM115 - the server process writes it until stopped
        self.processes[name] = subprocess.Popen(
            [AIRFLOW, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.home,
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}.log (end)\n" + (self.home / f"{name}.log").read_text(errors="replace")[-3000:]
            for name in self.processes
        )

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not dead, f"Airflow components exited: {dead}\n{self.logs()}"

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture(scope="module")
def stack(metadata_url, warehouse, tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow-e2e")
    port = free_port()
    (home / "passwords.json").write_text(json.dumps({"admin": PASSWORD}), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "NEWSMON_TEST_AIRFLOW"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(airflow_env.DAGS_FOLDER),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(airflow_env.PLUGINS_FOLDER),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex * 2,
            "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            # No scheduled runs: a live run would fetch the real feeds of config/feeds.yaml. Backfills still run.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW_CONN_NEWS_WAREHOUSE": json.dumps(
                {"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse[0]}}
            ),
        }
    )
    setup = (
        "from airflow.utils.db import initdb; initdb()\n"
        "from airflow.models.pool import Pool\n"
        "from pipeline_airflow.assets import FETCH_POOL, FETCH_POOL_SLOTS\n"
        "Pool.create_or_update_pool(FETCH_POOL, FETCH_POOL_SLOTS, 'feed fetches', include_deferred=False)\n"
    )
    migrated = subprocess.run([sys.executable, "-c", setup], env=env, capture_output=True, text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    airflow = AirflowStack(home, env, port)
    try:
        airflow.start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1")
        airflow.start("scheduler", "scheduler")
        airflow.start("dag-processor", "dag-processor")
        yield airflow
    finally:
        airflow.stop()


def wait_for(condition, timeout: float, stack: AirflowStack, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            result = condition()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{stack.logs()}")


def test_backfill_through_the_rest_api_replays_the_archive(stack, warehouse):
    url, engine = warehouse
    before = counts(engine)
    with engine.begin() as conn:
        damaged = conn.execute(
            text("SELECT id FROM articles WHERE day = '2025-01-27' ORDER BY id LIMIT 1")
        ).scalar_one()
        original = conn.execute(text("SELECT title, text FROM articles WHERE id = :id"), {"id": damaged}).one()
        topics = conn.execute(
            text("SELECT COUNT(*) FROM article_topics WHERE article_id = :id"), {"id": damaged}
        ).scalar()
        conn.execute(text("UPDATE articles SET text = 'damaged' WHERE id = :id"), {"id": damaged})
        conn.execute(text("DELETE FROM article_topics WHERE article_id = :id"), {"id": damaged})

    client = httpx.Client(base_url=stack.base, timeout=30)
    wait_for(lambda: client.get("/api/v2/monitor/health").status_code == 200, STARTUP_TIMEOUT, stack, "the api-server")
    token = client.post("/auth/token", json={"username": "admin", "password": PASSWORD}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    wait_for(
        lambda: client.get("/api/v2/dags/news_daily").status_code == 200,
        STARTUP_TIMEOUT,
        stack,
        "news_daily to be parsed",
    )
    assert client.patch("/api/v2/dags/news_daily", json={"is_paused": False}).status_code == 200

    created = client.post(
        "/api/v2/backfills",
        json={
            "dag_id": "news_daily",
            "from_date": f"{BACKFILL_FROM}T00:00:00Z",
            "to_date": f"{BACKFILL_TO}T00:00:00Z",
            "max_active_runs": 2,
            "reprocess_behavior": "completed",
            "dag_run_conf": {},
        },
    )
    assert created.status_code == 200, created.text
    backfill_id = created.json()["id"]

    def finished_runs():
        runs = client.get("/api/v2/dags/news_daily/dagRuns", params={"limit": 50}).json()["dag_runs"]
        runs = [r for r in runs if r["run_type"] == "backfill"]
        done = client.get(f"/api/v2/backfills/{backfill_id}").json().get("completed_at")
        return runs if done and runs and all(r["state"] in ("success", "failed") for r in runs) else None

    runs = wait_for(finished_runs, BACKFILL_TIMEOUT, stack, "the backfill to complete", interval=3)
    assert len(runs) == 3 and {r["state"] for r in runs} == {"success"}, (runs, stack.logs())
    with engine.connect() as conn:
        known_sources = conn.execute(text("SELECT COUNT(*) FROM sources")).scalar()
    for run in runs:  # a backfilled day maps one task per source with archived pages that day, not one per source
        instances = client.get(
            f"/api/v2/dags/news_daily/dagRuns/{run['dag_run_id']}/taskInstances", params={"limit": 500}
        ).json()["task_instances"]
        mapped = [t for t in instances if t["task_id"] == "process_feed" and t["map_index"] >= 0]
        with engine.connect() as conn:
            expected = conn.execute(
                text(
                    "SELECT COUNT(DISTINCT a.source_id) FROM articles a JOIN raw_pages r ON r.article_id = a.id "
                    "WHERE a.day = :day"
                ),
                {"day": date.fromisoformat(run["data_interval_start"][:10])},
            ).scalar()
        assert len(mapped) == expected < known_sources, (run["data_interval_start"], len(mapped), expected)

    assert counts(engine) == before  # the damage is repaired, and replay adds and duplicates nothing
    with engine.connect() as conn:
        replays = conn.execute(
            text(
                "SELECT interval_start, status, articles_new FROM pipeline_runs "
                "WHERE mode = 'replay' ORDER BY interval_start"
            )
        ).all()
        restored = conn.execute(text("SELECT title, text FROM articles WHERE id = :id"), {"id": damaged}).one()
        restored_topics = conn.execute(
            text("SELECT COUNT(*) FROM article_topics WHERE article_id = :id"), {"id": damaged}
        ).scalar()
    assert [str(r.interval_start)[:10] for r in replays] == ["2025-01-27", "2025-01-28", "2025-01-29"]
    assert {(r.status, r.articles_new) for r in replays} == {("ok", 0)}
    assert tuple(restored) == tuple(original) and restored_topics == topics > 0
