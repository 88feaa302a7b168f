"""Summaries of the trend views, refreshed after each load so that dashboards read small precomputed tables.

They are derived data, rebuilt whole from the views in sql/views (which the migrations' tables feed): materialized
views on PostgreSQL, plain tables on SQLite (which has no materialized views). Readers fall back to the live view
while a summary does not exist yet, e.g. right after `upgrade()` recreated the views.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, text

# summary name -> the view it materializes
SUMMARIES = {
    "summary_topic_weekly": "topic_weekly",
    "summary_topic_perspective_weekly": "topic_perspective_weekly",
    "summary_coverage_daily": "coverage_summary_daily",
}


def summary_exists(conn: Connection, name: str) -> bool:
    if conn.dialect.name == "postgresql":
        found = conn.execute(text("SELECT 1 FROM pg_matviews WHERE matviewname = :n AND schemaname = current_schema()"),
                             {"n": name}).first()
    else:
        found = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}).first()
    return found is not None


def source_of(conn: Connection, view: str) -> str:
    """The summary of `view` when it exists, else the view itself (always correct, maybe slower)."""
    summary = next((s for s, v in SUMMARIES.items() if v == view), None)
    return summary if summary and summary_exists(conn, summary) else view


def refresh_summaries(engine: Engine) -> dict[str, int]:
    """Rebuild every summary in one transaction; returns each summary's row count."""
    counts = {}
    with engine.begin() as conn:
        for summary, view in SUMMARIES.items():
            if conn.dialect.name == "postgresql":
                if summary_exists(conn, summary):
                    conn.execute(text(f"REFRESH MATERIALIZED VIEW {summary}"))
                else:
                    conn.execute(text(f"CREATE MATERIALIZED VIEW {summary} AS SELECT * FROM {view}"))
            else:
                conn.execute(text(f"DROP TABLE IF EXISTS {summary}"))
                conn.execute(text(f"CREATE TABLE {summary} AS SELECT * FROM {view}"))
            counts[summary] = conn.execute(text(f"SELECT COUNT(*) FROM {summary}")).scalar_one()
    return counts
