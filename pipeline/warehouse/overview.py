"""What the "Russia–Iran monitor" page shows, read from the warehouse over a read-only connection: weekly stories
per topic, the split by perspective, coverage gaps, and a topic-week's articles with their evidence sentences."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pipeline.warehouse.db import WarehouseError, make_engine

WEEKS_SHOWN = 104  # at most two years of weeks on the charts
ARTICLES_SHOWN = 50


def read_only_engine(url: str) -> Engine:
    """An engine whose sessions cannot write: a SQLite file opened `mode=ro` (a missing file is an error, never
    created) and query_only; PostgreSQL read-only transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        import sqlite3

        path = Path(parsed.database).resolve()
        engine = create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        )
    else:
        engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()
        else:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    return engine


@dataclass(frozen=True)
class Overview:
    weeks: list[str]  # Mondays, oldest first
    topics: dict[str, dict[str, int]]  # topic -> week -> stories
    perspectives: dict[str, dict[str, int]]  # topic -> perspective -> stories over the weeks shown
    gaps: dict[str, str]  # week -> what was missing that week
    busiest: tuple[str, str] | None  # (topic, week) with the most stories: the page's first selection

    def as_dict(self) -> dict:
        return asdict(self)


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _week_range(last: date, count: int) -> list[str]:
    return [(last - timedelta(weeks=count - 1 - i)).isoformat() for i in range(count)]


def overview(engine: Engine, weeks_shown: int = WEEKS_SHOWN) -> Overview:
    """Stories per topic and perspective, and gap weeks, over the weeks from the first to the latest with relevant
    coverage (at most `weeks_shown`, the latest ones)."""
    with engine.connect() as conn:
        weekly = conn.execute(text("SELECT topic, week, stories FROM topic_weekly")).all()
        if not weekly:
            return Overview([], {}, {}, {}, None)
        first = min(date.fromisoformat(_iso(r.week)) for r in weekly)
        last = max(date.fromisoformat(_iso(r.week)) for r in weekly)
        weeks = _week_range(last, min(weeks_shown, (last - first).days // 7 + 1))
        topics: dict[str, dict[str, int]] = {}
        for row in weekly:
            if _iso(row.week) >= weeks[0]:
                topics.setdefault(row.topic, {})[_iso(row.week)] = int(row.stories)
        split = conn.execute(
            text(
                "SELECT topic, perspective, SUM(stories) AS stories FROM topic_perspective_weekly "
                "WHERE week >= :first GROUP BY topic, perspective"
            ),
            {"first": date.fromisoformat(weeks[0])},
        ).all()
        days = conn.execute(
            text("SELECT day, feeds_expected, feeds_ok FROM coverage_summary_daily WHERE feeds_ok < feeds_expected")
        ).all()
    perspectives: dict[str, dict[str, int]] = {}
    for row in split:
        perspectives.setdefault(row.topic, {})[row.perspective] = int(row.stories)
    gaps: dict[str, list[str]] = {}
    for row in days:
        day = date.fromisoformat(_iso(row.day))
        week = (day - timedelta(days=day.weekday())).isoformat()
        gaps.setdefault(week, []).append(f"{day}: {row.feeds_ok} of {row.feeds_expected} feeds fetched")
    busiest = max(
        ((t, w) for t, by_week in topics.items() for w in by_week),
        key=lambda tw: (topics[tw[0]][tw[1]], tw[1]),
        default=None,
    )
    return Overview(
        weeks, dict(sorted(topics.items())), perspectives, {w: "; ".join(v) for w, v in sorted(gaps.items())}, busiest
    )


def topic_week_articles(engine: Engine, topic: str, week: str, limit: int = ARTICLES_SHOWN) -> list[dict]:
    """Articles of one topic and week with the evidence sentence that earned the tag, newest first."""
    monday = date.fromisoformat(week)
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT article_id, story_id, title, url, source_name, perspective, day, evidence, score "
                    "FROM article_tags_current WHERE topic = :topic AND week = :week "
                    "ORDER BY day DESC, score DESC, article_id LIMIT :limit"
                ),
                {"topic": topic, "week": monday, "limit": limit},
            )
            .mappings()
            .all()
        )
    return [dict(row, day=_iso(row["day"]), score=round(float(row["score"]), 3)) for row in rows]


NO_DATA = "No data yet: run news_daily (or `newsmon demo`) to fill the warehouse."


def overview_or_empty(engine: Engine) -> tuple[Overview, str | None]:
    """The overview, or an empty one and why, when the warehouse does not exist yet, is not migrated or holds
    nothing (the monitor's first visit comes before the first run)."""
    try:
        data = overview(engine)
    except (DBAPIError, WarehouseError):
        return Overview([], {}, {}, {}, None), NO_DATA
    return data, None if data.topics else NO_DATA
