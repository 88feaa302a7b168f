"""Engines, migrations and views. The Alembic migrations are the one definition of the tables; code reflects them."""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pipeline.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQL_DIR = PROJECT_ROOT / "sql"
_metadata_cache: dict[str, MetaData] = {}
_metadata_lock = threading.Lock()
_upgrade_lock = threading.Lock()


class WarehouseError(RuntimeError):
    """The warehouse URL is unusable or the warehouse is not at the current schema."""


SUPPORTED = "use sqlite:///path/warehouse.sqlite or postgresql://user@host:5432/database"
MIGRATION_LOCK_KEY = 0x6E65_7773_6D6F_6E  # "newsmon": one advisory lock for migrations on a PostgreSQL server


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite files get their folder, WAL and foreign keys. Only SQLite and
    PostgreSQL are supported; `postgres://` (Heroku's and libpq's spelling) means PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise WarehouseError(f"{url[:100]!r} is not a SQLAlchemy URL; {SUPPORTED}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise WarehouseError(f"the warehouse cannot be {parsed.get_backend_name()!r}: {SUPPORTED}")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver this project installs
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Migrate to the newest schema and (re)create the analyst views; safe to run any number of times, and from
    several processes at once: a database-level lock (PostgreSQL advisory lock, a lock file beside a SQLite file)
    lets one migrate while the others wait, then find nothing to do."""
    config = alembic_config()
    with _upgrade_lock, _file_lock(engine), engine.begin() as conn:  # alembic's API is not safe for threads either
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        apply_views(conn)
    with _metadata_lock:
        _metadata_cache.pop(_cache_key(engine), None)
    return head_revision()


@contextlib.contextmanager
def _file_lock(engine: Engine):
    """An exclusive lock on `<database file>.migrate.lock` for a SQLite file (nothing for other databases)."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.migrate.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def view_files() -> list[Path]:
    return sorted((SQL_DIR / "views").glob("*.sql"))


def apply_views(conn) -> None:
    """Drop and recreate every view in sql/views in file-name order (a view's file is named after it)."""
    files = view_files()
    cascade = " CASCADE" if conn.dialect.name == "postgresql" else ""
    for path in reversed(files):
        conn.execute(text(f"DROP VIEW IF EXISTS {path.stem}{cascade}"))
    for path in files:
        conn.execute(text(path.read_text(encoding="utf-8")))


def _cache_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def tables(engine_or_conn) -> MetaData:
    """The warehouse tables, reflected once per database from what the migrations created."""
    engine = getattr(engine_or_conn, "engine", engine_or_conn)
    key = _cache_key(engine)
    with _metadata_lock:
        if key not in _metadata_cache:
            if current_revision(engine) != head_revision():
                raise WarehouseError(
                    f"the warehouse at {engine.url.render_as_string()} is not at the current "
                    "schema; run `newsmon db upgrade` first"
                )
            metadata = MetaData()
            metadata.reflect(bind=engine, views=False)
            _metadata_cache[key] = metadata
        return _metadata_cache[key]


def upsert(conn: Connection, table, rows: list[dict], keys: list[str], update_columns: list[str] | None = None) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE the given columns (or DO NOTHING), for many rows at once."""
    if not rows:
        return
    statement = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
    if update_columns:
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={c: statement.excluded[c] for c in update_columns}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    conn.execute(statement, rows)


def unique_rows(rows: list, key) -> list:
    """The first of the rows that share `key(row)`, in order."""
    unique: dict = {}
    for row in rows:
        unique.setdefault(key(row), row)
    return list(unique.values())
