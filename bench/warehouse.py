"""Warehouse at scale: a synthetic warehouse of N articles in its own PostgreSQL schema, every view and documented
trend query timed on it, the EXPLAIN plans of the two slowest queries, and the load of one more day of articles
through the real loader at N rows against the same load on an empty warehouse. The schemas are dropped at the end.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, text

from .synth import Shape, generate
from .table import print_table

POSTGRES_URL = os.environ.get("NEWSMON_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_SECONDS = 1.0
REPEATS = 3  # each view and query runs this many times; the median is reported
# Row-level views answer analysts' filtered questions, not full dumps: they are timed with a typical filter.
VIEW_PROBES = {
    "article_tags_current": "SELECT * FROM article_tags_current WHERE topic = 'nuclear' AND day >= :recent",
    "stories": "SELECT * FROM stories WHERE first_seen >= :recent",
}


@contextmanager
def bench_schema(prefix: str = "bench_wh"):
    """A fresh schema of its own in the benchmark database, dropped afterwards; yields (url, schema)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", schema
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def schema_size(engine, schema: str) -> list[tuple[str, int, str]]:
    """(table, rows, total size with indexes and TOAST) of each table in the schema, biggest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r', 'm') "
                "ORDER BY 3 DESC"
            ),
            {"s": schema},
        ).all()
    total = sum(size for *_, size in rows)
    return [(name, count, f"{size / 2**20:,.0f} MB") for name, count, size in rows] + [
        ("total", "", f"{total / 2**20:,.0f} MB")
    ]


def timed(fn, repeats: int = REPEATS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def time_views(engine, recent: date) -> list[tuple]:
    from pipeline.warehouse.db import view_files

    rows = []
    for path in view_files():
        sql = VIEW_PROBES.get(path.stem, f"SELECT * FROM {path.stem}")
        with engine.connect() as conn:
            seconds, result = timed(lambda conn=conn, sql=sql: conn.execute(text(sql), {"recent": recent}).all())
        rows.append(
            (
                path.stem,
                len(result),
                f"{seconds:.3f}",
                "yes" if seconds < TARGET_SECONDS else "NO",
                sql.replace(f"FROM {path.stem}", "").replace("SELECT * ", "").strip() or "all rows",
            )
        )
    return rows


def time_queries(engine) -> list[tuple]:
    from pipeline.warehouse.trends import list_queries, run_query

    rows = []
    for name in sorted(list_queries()):
        seconds, (_, result) = timed(lambda name=name: run_query(engine, name))
        rows.append((name, len(result), f"{seconds:.3f}", "yes" if seconds < TARGET_SECONDS else "NO"))
    return rows


def explain(engine, name: str) -> str:
    from pipeline.warehouse.trends import list_queries

    query = list_queries()[name]
    with engine.connect() as conn:
        plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query.sql), query.bind({})).scalars()
        return "\n".join(plan)


def build_warehouse(url: str, shape: Shape, progress=print):
    """Migrate the schema and fill it; returns (engine, generation seconds)."""
    from pipeline.warehouse.db import make_engine, upgrade
    from pipeline.warehouse.story_index import index_window

    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    with engine.begin() as conn:
        generate(conn, shape, progress)
    with engine.begin() as conn:  # bulk-loaded rows bypassed the load step: index the story window's band keys
        indexed = index_window(conn, datetime.combine(shape.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC))
        progress(f"story window indexed: {indexed:,} articles")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return engine, time.perf_counter() - start


def main(args) -> int:
    from pipeline.warehouse.summaries import refresh_summaries

    shape = Shape(articles=20_000 if args.quick else args.articles)
    print(f"warehouse benchmark: {shape.articles:,} synthetic articles over {shape.days} days in PostgreSQL")
    with bench_schema() as (url, schema):
        engine, seconds = build_warehouse(url, shape)
        print(f"generated and bulk-loaded in {seconds:.0f} s (target: 1,000,000 in under 600 s)")
        refresh_seconds, counts = timed(lambda: refresh_summaries(engine), repeats=1)
        print(f"refresh_summaries (full rebuild): {refresh_seconds:.1f} s, {sum(counts.values()):,} summary rows")
        print_table(f"Disk use of schema {schema}", ["table", "rows", "size"], schema_size(engine, schema))
        recent = shape.end - timedelta(days=30)
        views = time_views(engine, recent)
        print_table(
            f"Views at {shape.articles:,} articles (median of {REPEATS})",
            ["view", "rows", "seconds", "< 1 s", "probe"],
            views,
        )
        queries = time_queries(engine)
        print_table(
            f"Trend queries at {shape.articles:,} articles, default parameters (median of {REPEATS})",
            ["query", "rows", "seconds", "< 1 s"],
            queries,
        )
        for name, *_ in sorted(queries, key=lambda row: -float(row[2]))[:2]:
            print(f"\nEXPLAIN ANALYZE of {name}:\n{explain(engine, name)}")
        from .dayload import compare_day_loads

        compare_day_loads(engine, shape, bench_schema, args.day_articles)
        engine.dispose()
    return 0
