"""Refresh the trend summaries (tables of migrations 0003, 0006 and 0007) from the warehouse, after each load.

What changed since the last refresh is found through indexed timestamps (articles.updated_at, tagged_at of the
tags) and the fetch log's ids, and only that is rebuilt: the changed articles' rows in the narrow fact tables, the
stories those articles belong to (and those an article left), the fetch days from the oldest new fetch on. The
all-time topic totals and pairs move by the difference of the touched stories' per-story counts. A change of the
current taxonomy version, a change of the sources' perspectives or `full=True` rebuilds everything.

The statements are in sql/summaries. The views in sql/views read these tables, so a view shows the warehouse as of the
last refresh: the pipeline run, the retag and the `news_trends` DAG refresh after writing. Same SQL on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import Connection, DateTime, Engine, bindparam, text

from pipeline.warehouse.db import SQL_DIR

log = logging.getLogger(__name__)

# a write whose transaction started before the last refresh but committed after it carries an older timestamp
OVERLAP = timedelta(hours=1)
# (table, period column, columns, SELECT over the facts f): counts per topic or over all relevant articles
PERIODS = (
    (
        "summary_topic_day",
        "day",
        "topic, day, taxonomy_version, articles, stories, sources",
        "SELECT topic, day, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id), COUNT(DISTINCT source_id) "
        "FROM summary_relevant_topics f {where} GROUP BY topic, day, taxonomy_version",
    ),
    (
        "summary_relevant_day",
        "day",
        "day, taxonomy_version, articles, stories",
        "SELECT day, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id) "
        "FROM summary_relevant_articles f {where} GROUP BY day, taxonomy_version",
    ),
    (
        "summary_topic_week",
        "week",
        "topic, week, taxonomy_version, articles, stories, sources",
        "SELECT topic, week, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id), COUNT(DISTINCT source_id) "
        "FROM summary_relevant_topics f {where} GROUP BY topic, week, taxonomy_version",
    ),
    (
        "summary_relevant_week",
        "week",
        "week, taxonomy_version, articles, stories",
        "SELECT week, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id) "
        "FROM summary_relevant_articles f {where} GROUP BY week, taxonomy_version",
    ),
    (
        "summary_topic_month",
        "month",
        "topic, month, taxonomy_version, articles, stories",
        "SELECT topic, month, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id) "
        "FROM summary_relevant_topics f {where} GROUP BY topic, month, taxonomy_version",
    ),
    (
        "summary_relevant_month",
        "month",
        "month, taxonomy_version, articles, stories",
        "SELECT month, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id) "
        "FROM summary_relevant_articles f {where} GROUP BY month, taxonomy_version",
    ),
    (
        "summary_topic_perspective_week",
        "week",
        "topic, week, perspective, taxonomy_version, articles, stories, sources",
        "SELECT topic, week, perspective, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id), "
        "COUNT(DISTINCT source_id) FROM summary_relevant_topics f {where} "
        "GROUP BY topic, week, perspective, taxonomy_version",
    ),
    (
        "summary_topic_source_week",
        "week",
        "topic, week, source_id, taxonomy_version, articles, stories",
        "SELECT topic, week, source_id, taxonomy_version, COUNT(*), COUNT(DISTINCT story_id) "
        "FROM summary_relevant_topics f {where} GROUP BY topic, week, source_id, taxonomy_version",
    ),
)
REFRESH_LOCK_KEY = 0x6E6577736D7375  # "newsmsu": serializes summary refreshes on PostgreSQL
SUMMARY_TABLES = (
    "summary_relevant_articles",
    "summary_relevant_topics",
    "summary_drone_articles",
    "summary_stories",
    "summary_fetch_day",
    "summary_topic_pairs",
    "summary_topic_totals",
    "summary_story_topics",
    "summary_story_pairs",
    "summary_story_perspectives",
    "summary_topic_perspectives",
    *(table for table, *_ in PERIODS),
)
PERIOD_TEMP = {"day": "summary_days", "week": "summary_weeks", "month": "summary_months"}

SUMMARY_SQL = SQL_DIR / "summaries"


@cache
def summary_sql(name: str) -> str:
    """The statement in sql/summaries/NAME.sql; `{facts}` in it stands for the SELECT of facts.sql."""
    statement = (SUMMARY_SQL / f"{name}.sql").read_text(encoding="utf-8")
    if "{facts}" in statement:
        statement = statement.replace("{facts}", summary_sql("facts"))
    return statement


def refresh_summaries(engine: Engine, full: bool = False) -> dict[str, int]:
    """Bring every summary table up to date in one transaction; returns each table's row count."""
    with engine.begin() as conn:
        _serialize_refreshes(conn)
        started = datetime.now(UTC)
        state = _read_state(conn)
        full = (
            full
            or state.get("taxonomy_version") != _current_version(conn)
            or state.get("sources") != _sources_fingerprint(conn)
        )
        full = full or not state.get("articles_since")
        _refresh_articles(conn, state.get("articles_since"), full)
        _refresh_fetch_days(conn, None if full else int(state.get("fetch_log_id") or 0))
        _write_state(
            conn,
            {
                "articles_since": (started - OVERLAP).isoformat(),
                "taxonomy_version": _current_version(conn),
                "sources": _sources_fingerprint(conn),
                "fetch_log_id": str(_max_fetch_id(conn)),
            },
        )
        counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in SUMMARY_TABLES}
        if full:
            _analyze(conn, *SUMMARY_TABLES)
    log.info("summaries refreshed (%s): %s", "full" if full else "incremental", counts)
    return counts


def _refresh_articles(conn: Connection, since: str | None, full: bool) -> None:
    """Facts, period counts and stories of the articles changed since `since` (all of them when `full`)."""
    _temp_table(conn, "summary_changed", "article_id INTEGER")
    _temp_table(conn, "summary_touched", "story_id INTEGER")
    for period, temp in PERIOD_TEMP.items():
        _temp_table(conn, temp, f"{period} {'VARCHAR(7)' if period == 'month' else 'DATE'}")
    if full:
        conn.execute(text("INSERT INTO summary_changed (article_id) SELECT id FROM articles"))
        _analyze(conn, "summary_changed")
        for table in (
            "summary_relevant_articles",
            "summary_relevant_topics",
            "summary_stories",
            "summary_drone_articles",
        ):
            conn.execute(text(f"DELETE FROM {table}"))
    else:
        changed = text(summary_sql("changed_articles")).bindparams(bindparam("since", type_=DateTime(timezone=True)))
        assert since is not None  # refresh_summaries refreshes in full when there is no `since`
        conn.execute(changed, {"since": datetime.fromisoformat(since)})
        _note_periods(conn)  # the periods the changed articles were counted in so far
        for table in ("summary_relevant_articles", "summary_relevant_topics", "summary_drone_articles"):
            conn.execute(text(f"DELETE FROM {table} WHERE article_id IN (SELECT article_id FROM summary_changed)"))
    conn.execute(text(summary_sql("relevant_articles")))
    conn.execute(text(summary_sql("relevant_topics")))
    conn.execute(text(summary_sql("drone_articles")))
    if full:
        _analyze(conn, "summary_relevant_articles", "summary_relevant_topics")
    else:
        _note_periods(conn)  # ... and the periods they count in now
    _refresh_periods(conn, full)
    conn.execute(text(summary_sql("touched_stories")))
    conn.execute(
        text(  # stories an article left (a merge): recounted too, so that nothing is left of them
            "INSERT INTO summary_touched (story_id) SELECT story_id FROM summary_recount_stories "
            "WHERE story_id NOT IN (SELECT story_id FROM summary_touched)"
        )
    )
    conn.execute(text("DELETE FROM summary_recount_stories"))
    if full:
        _analyze(conn, "summary_touched")
    else:
        conn.execute(text("DELETE FROM summary_stories WHERE story_id IN (SELECT story_id FROM summary_touched)"))
    conn.execute(text(summary_sql("stories")))
    _recount_topics(conn, full)
    for temp in ("summary_changed", "summary_touched", *PERIOD_TEMP.values()):
        conn.execute(text(f"DROP TABLE {temp}"))


def _note_periods(conn: Connection) -> None:
    for period, temp in PERIOD_TEMP.items():
        conn.execute(
            text(
                f"INSERT INTO {temp} ({period}) SELECT DISTINCT f.{period} FROM summary_relevant_articles f "
                f"JOIN summary_changed c ON c.article_id = f.article_id "
                f"WHERE f.{period} NOT IN (SELECT {period} FROM {temp})"
            )
        )


def _refresh_periods(conn: Connection, full: bool) -> None:
    """Recount the noted days, weeks and months (every one when `full`) from the facts."""
    for table, period, columns, select in PERIODS:
        temp = PERIOD_TEMP[period]
        where = "" if full else f"WHERE f.{period} IN (SELECT {period} FROM {temp})"
        conn.execute(
            text(f"DELETE FROM {table}" + ("" if full else f" WHERE {period} IN (SELECT {period} FROM {temp})"))
        )
        conn.execute(text(f"INSERT INTO {table} ({columns}) " + select.format(where=where)))


def _refresh_fetch_days(conn: Connection, after_id: int | None) -> None:
    """Fetch-log days from the oldest fetch logged after `after_id` on (every day when None)."""
    if after_id is None:
        from_day = conn.execute(text("SELECT MIN(fetched_day) FROM fetch_log")).scalar()
    else:
        from_day = conn.execute(
            text("SELECT MIN(fetched_day) FROM fetch_log WHERE id > :id"), {"id": after_id}
        ).scalar()
    if after_id is None:
        conn.execute(text("DELETE FROM summary_fetch_day"))
    if from_day is None:
        return
    conn.execute(text("DELETE FROM summary_fetch_day WHERE day >= :d"), {"d": from_day})
    conn.execute(text(summary_sql("fetch_days")), {"from_day": from_day})


def _recount_topics(conn: Connection, full: bool) -> None:
    """The all-time topic totals and pairs, moved by the touched stories' difference: their old per-story counts
    out, their recounted ones in (every story when `full`)."""
    story_tables = ("summary_story_topics", "summary_story_pairs", "summary_story_perspectives")
    kept = ("summary_topic_totals", "summary_topic_pairs", "summary_topic_perspectives")
    if full:
        for table in (*story_tables, *kept):
            conn.execute(text(f"DELETE FROM {table}"))
    else:
        for statement in ("topic_totals_less", "topic_pairs_less", "topic_perspectives_less"):
            conn.execute(text(summary_sql(statement)))
        for table in story_tables:
            conn.execute(text(f"DELETE FROM {table} WHERE story_id IN (SELECT story_id FROM summary_touched)"))
    for statement in ("story_topics", "story_pairs", "story_perspectives", "topic_totals", "topic_perspectives"):
        conn.execute(text(summary_sql(statement)))
    conn.execute(text(summary_sql("topic_pairs")), {"version": _current_version(conn) or ""})
    for table in kept:
        conn.execute(text(f"DELETE FROM {table} WHERE stories <= 0"))
    if full:
        _analyze(conn, *story_tables)


def _analyze(conn: Connection, *tables: str) -> None:
    """Fresh planner statistics after a rebuild: without them PostgreSQL plans the joins over the new rows as if
    the tables were empty (nested loops over millions of rows)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE " + ", ".join(tables)))


def _temp_table(conn: Connection, name: str, column: str) -> None:
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} ({column} PRIMARY KEY)"))


def _serialize_refreshes(conn: Connection) -> None:
    """One refresh at a time per warehouse (a scheduled and a manual run can finish together).

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a first statement that writes, so that the transaction
    holds the database's write lock before it reads anything.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK_KEY})
    else:
        conn.execute(text("DELETE FROM summary_state WHERE 1 = 0"))


def _read_state(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(text("SELECT name, value FROM summary_state")).all())


def _write_state(conn: Connection, values: dict[str, str | None]) -> None:
    conn.execute(text("DELETE FROM summary_state"))
    conn.execute(
        text("INSERT INTO summary_state (name, value) VALUES (:name, :value)"),
        [{"name": k, "value": v} for k, v in values.items()],
    )


def _current_version(conn: Connection) -> str | None:
    return conn.execute(text("SELECT MAX(version) FROM taxonomy_versions WHERE is_current = TRUE")).scalar()


def _sources_fingerprint(conn: Connection) -> str:
    """Perspective and language of every source: the facts copy them, so a change means a full rebuild."""
    rows = conn.execute(text("SELECT id, perspective, language FROM sources ORDER BY id")).all()
    return ";".join(f"{i}:{p}:{lang}" for i, p, lang in rows)


def _max_fetch_id(conn: Connection) -> int:
    return conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM fetch_log")).scalar_one()
