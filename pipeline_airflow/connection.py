"""The warehouse as the Airflow Connection `news_warehouse` (AIRFLOW_CONN_NEWS_WAREHOUSE), defaulting to the
pipeline's own setting (NEWSMON_WAREHOUSE_URL, else the embedded SQLite file)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import URL

CONN_ID = "news_warehouse"
log = logging.getLogger(__name__)


class WarehouseConnectionError(ValueError):
    """The `news_warehouse` connection cannot be turned into a SQLAlchemy URL."""


def url_from_connection(conn) -> str:
    """SQLAlchemy URL of an Airflow Connection: `extra.sqlalchemy_url` wins; else postgres or sqlite fields."""
    extra = dict(conn.extra_dejson or {})
    if extra.get("sqlalchemy_url"):
        return str(extra["sqlalchemy_url"])
    kind = (conn.conn_type or "").lower()
    if kind == "sqlite":
        return f"sqlite:///{conn.host}"
    if kind in ("postgres", "postgresql"):
        query = {key: str(value) for key, value in extra.items()}
        return URL.create(
            "postgresql+psycopg",
            username=conn.login or None,
            password=conn.password or None,
            host=conn.host or None,
            port=conn.port or None,
            database=conn.schema or None,
            query=query,
        ).render_as_string(hide_password=False)
    raise WarehouseConnectionError(
        f"connection {conn.conn_id!r} has type {conn.conn_type!r}; use postgres or "
        "sqlite, or put a SQLAlchemy URL in its extra as sqlalchemy_url"
    )


def warehouse_url(conn_id: str = CONN_ID) -> str:
    """The warehouse URL from the connection, or the pipeline's default when the connection is not defined."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from pipeline.settings import load_settings

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        url = load_settings().warehouse_url
        log.info("connection %s is not defined; using the default warehouse %s", conn_id, url)
        return url
    return url_from_connection(conn)


@contextmanager
def warehouse_engine(conn_id: str = CONN_ID) -> Iterator[Engine]:
    """An engine on the warehouse for the length of one task body, disposed of at the end (a task runs in a process
    of its own: its connections must not outlive it)."""
    from pipeline.warehouse.db import make_engine

    engine = make_engine(warehouse_url(conn_id))
    try:
        yield engine
    finally:
        engine.dispose()
