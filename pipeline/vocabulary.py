"""The words the stages and the warehouse share: fetch, item and run states, run modes, and the one counts type.

They are `StrEnum`s, so a member is the very string stored in the warehouse and compared in SQL (`'ok'`), and
code can still compare a value read back from the database with a member.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import overload


class FetchStatus(StrEnum):
    """How one fetch ended (fetch_log.status, sources.last_status); a feed report may also be SKIPPED."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    TEMPORARY = "temporary"  # 5xx, timeouts, refused connections: worth trying again soon
    PERMANENT = "permanent"  # 404/410 and the like
    NOT_A_FEED = "not_a_feed"
    REFUSED = "refused"  # by policy: a private address, robots.txt, a byte cap, a bad URL
    SKIPPED = "skipped"  # a feed not fetched this run: slowed down after failures, or the run was interrupted


SUCCESSFUL_FETCHES = (FetchStatus.OK, FetchStatus.NOT_MODIFIED)


class ItemState(StrEnum):
    """What became of one feed item (feed_items.state)."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # retried by the next runs, up to MAX_ITEM_ATTEMPTS
    REFUSED = "refused"
    GONE = "gone"  # the page is gone, has no article text, or takes too long to extract: not retried


RETRY_STATES = (ItemState.PENDING, ItemState.FAILED)
UNRESOLVED_STATES = (ItemState.FAILED, ItemState.REFUSED)  # counted as failed articles of a run


class RunStatus(StrEnum):
    """pipeline_runs.status."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # some feed failed
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # stopped by a signal; finished feeds are kept
    ABANDONED = "abandoned"  # its process went away without closing it


class RunMode(StrEnum):
    """pipeline_runs.mode: what a run did."""

    LIVE = "live"  # fetched the feeds
    DEMO = "demo"  # a live run over the bundled sample site
    ARCHIVE = "archive"  # fetched a paged feed's history for an interval
    REPLAY = "replay"  # rebuilt stored articles from their archived pages


LOADING_MODES = (RunMode.LIVE, RunMode.DEMO, RunMode.ARCHIVE)  # the modes that add articles


@dataclass
class Counts:
    """What a run, a feed or a batch did. The fields are pipeline_runs' count columns; every stage counts with this
    type, and counts add up with `+`."""

    feeds_total: int = 0
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_skipped: int = 0
    items_seen: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_failed: int = 0
    articles_relevant: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_row(self) -> dict[str, int]:
        return asdict(self)


@overload
def utc(value: datetime) -> datetime: ...


@overload
def utc(value: None) -> None: ...


def utc(value: datetime | None) -> datetime | None:
    """A datetime in UTC. SQLite gives datetimes back naive; they are always stored in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day_interval(day: date) -> tuple[datetime, datetime]:
    """The half-open UTC interval [day 00:00, next day 00:00)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)
