"""Data-quality checks on real SQLite and PostgreSQL warehouses: quiet on a healthy warehouse, and each one names
what is wrong when it fails."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from pipeline.warehouse.quality import Thresholds, run_quality_checks
from pipeline.warehouse.summaries import refresh_summaries

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)


def insert(conn, table: str, **values):
    columns = ", ".join(values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in values)})"), values)


def by_name(engine, **thresholds):
    return {r.name: r for r in run_quality_checks(engine, Thresholds(**thresholds))}


def test_an_empty_warehouse_passes(engine):
    assert all(r.ok for r in by_name(engine).values())


def test_each_check_fails_with_its_reason(engine):
    with engine.begin() as conn:
        for source_id in (1, 2):
            insert(
                conn,
                "sources",
                id=source_id,
                name=f"feed {source_id}",
                feed_url=f"https://e.org/{source_id}",
                language="en",
                country="GB",
                perspective="western",
                created_at=NOW,
            )
        insert(conn, "pipeline_runs", id=1, mode="live", started_at=NOW, status="partial", articles_new=2)
        insert(
            conn,
            "articles",
            id=1,
            url_hash="a" * 64,
            url="https://e.org/a",
            source_id=1,
            day=date(2026, 3, 1),
            week=date(2026, 2, 23),
            month="2026-03",
            date_source="page",
            fetched_at=NOW,
            extraction_method="trafilatura",
            word_count=1,
            text="t",
            text_hash="h",
            first_run_id=1,
            updated_at=NOW,
        )
        for source_id, status in ((1, "ok"), (2, "permanent")):
            insert(
                conn,
                "fetch_log",
                run_id=1,
                source_id=source_id,
                kind="feed",
                url="https://e.org/",
                status=status,
                fetched_at=NOW,
                fetched_day=NOW.date(),
            )
    refresh_summaries(engine)  # the coverage views read the summaries, as in news_trends (refresh, then check)
    checks = by_name(engine, max_feed_failure_share=0.25, min_coverage_share=0.75)
    assert not checks["run_counts"].ok and "run 1 logged 2 new, warehouse holds 1" in checks["run_counts"].detail
    assert not checks["articles_have_sources"].ok and checks["articles_have_sources"].detail.startswith("1 articles")
    assert not checks["feed_failure_share"].ok and "1 of 2 feed fetches failed" in checks["feed_failure_share"].detail
    assert not checks["coverage"].ok and "1 of 2 expected feeds" in checks["coverage"].detail
    lenient = by_name(engine, max_feed_failure_share=0.5, min_coverage_share=0.5)
    assert lenient["feed_failure_share"].ok and lenient["coverage"].ok
