"""The run record (table pipeline_runs): open a run, close it with its counts, close the runs left open."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, update

from pipeline.vocabulary import Counts, RunMode, RunStatus, utc
from pipeline.warehouse.db import tables

STALE_RUN_HOURS = 24  # a run still `running` after this long is closed as abandoned by the next run


def start_run(
    conn: Connection,
    mode: RunMode,
    now: datetime,
    interval: tuple[datetime, datetime] | None,
    triggered_by: str | None,
    taxonomy_version: str,
) -> int:
    runs = tables(conn).tables["pipeline_runs"]
    start, end = interval or (None, None)
    return conn.execute(
        runs.insert()
        .values(
            mode=mode,
            triggered_by=triggered_by,
            interval_start=start,
            interval_end=end,
            started_at=now,
            status=RunStatus.RUNNING,
            taxonomy_version=taxonomy_version,
            pid=os.getpid(),
            host=socket.gethostname()[:255],
        )
        .returning(runs.c.id)
    ).scalar_one()


def finish_run(conn: Connection, run_id: int, status: RunStatus, counts: Counts, error: str | None = None) -> None:
    runs = tables(conn).tables["pipeline_runs"]
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(status=status, finished_at=datetime.now(UTC), error=error, **counts.as_row())
    )


def latest_runs(conn: Connection, limit: int) -> list:
    """The latest `limit` runs, newest first, as mappings."""
    runs = tables(conn).tables["pipeline_runs"]
    return list(conn.execute(select(runs).order_by(runs.c.id.desc()).limit(limit)).mappings().all())


def close_stale_runs(
    conn: Connection, now: datetime, stale_after: timedelta = timedelta(hours=STALE_RUN_HOURS), host: str | None = None
) -> list[int]:
    """Close as `abandoned` the runs left `running` by a process that is gone (a `newsmon` run on this host whose
    pid no longer exists) or that are older than `stale_after` (any run, Airflow's included, whose tasks run in
    processes of their own). Returns the ids closed."""
    runs = tables(conn).tables["pipeline_runs"]
    host = host or socket.gethostname()[:255]
    closed = []
    for run in conn.execute(
        select(runs.c.id, runs.c.started_at, runs.c.pid, runs.c.host, runs.c.triggered_by).where(
            runs.c.status == RunStatus.RUNNING
        )
    ).mappings():
        started = utc(run["started_at"])
        if started and started < now - stale_after:
            why = f"abandoned: still running {stale_after.total_seconds() / 3600:.0f} hours after it started"
        elif (
            run["host"] == host
            and run["pid"]
            and run["pid"] != os.getpid()
            and str(run["triggered_by"] or "").startswith("newsmon")
            and not _process_alive(run["pid"])
        ):
            why = f"abandoned: its process {run['pid']} on {host} is gone (killed, or the machine restarted)"
        else:
            continue
        conn.execute(
            update(runs)
            .where(runs.c.id == run["id"], runs.c.status == RunStatus.RUNNING)
            .values(status=RunStatus.ABANDONED, finished_at=now, error=why)
        )
        closed.append(run["id"])
    return closed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that pid
    return True
