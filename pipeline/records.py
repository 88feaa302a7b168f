"""Records that cross stage boundaries: small dataclasses, never parser or client objects (importing this module
imports no HTTP client, parser or database driver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pipeline.fetching.result import FetchResult
from pipeline.tagging.results import TagResult
from pipeline.vocabulary import FetchStatus, ItemState

__all__ = ["ArticleRecord", "FeedBatch", "FeedState", "FetchResult", "ItemOutcome"]


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one feed item in this run (state pending, done, failed or refused)."""

    url_hash: str
    url: str
    guid: str | None
    title: str | None
    summary: str | None
    published_raw: str | None
    published_at: datetime | None
    state: ItemState
    error: str | None = None
    attempts: int = 0
    date_problem: str | None = None


@dataclass(frozen=True)
class ArticleRecord:
    url_hash: str
    url: str
    canonical_url: str | None
    final_url: str | None
    title: str | None
    authors: tuple[str, ...]
    site_name: str | None
    published_at: datetime | None
    published_raw: str | None
    date_problem: str | None
    date_source: str
    day: date
    fetched_at: datetime
    language: str | None
    declared_language: str | None
    extraction_method: str
    text: str
    text_hash: str
    minhash: bytes
    raw_html: bytes
    content_type: str | None
    tags: TagResult
    item_url_hashes: tuple[str, ...] = ()  # the feed items this article satisfies
    truncated: str | None = None  # which caps cut the page or the tagged text (NEWSMON_MAX_EXTRACT_BYTES, _TAG_CHARS)

    @property
    def week(self) -> date:
        return self.day - timedelta(days=self.day.weekday())

    @property
    def month(self) -> str:
        return self.day.strftime("%Y-%m")

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class FeedState:
    etag: str | None
    last_modified: str | None
    body_hash: str | None


@dataclass
class FeedBatch:
    """Everything one feed produced in a run; loaded in one transaction."""

    source_id: int
    source_name: str
    feed_status: FetchStatus
    feed_reason: str
    new_state: FeedState | None
    feed_url: str | None = None  # set when the feed moved for good
    items: list[ItemOutcome] = field(default_factory=list)
    articles: list[ArticleRecord] = field(default_factory=list)
    fetches: list[tuple[str, FetchResult]] = field(default_factory=list)  # (kind, result) for the fetch log
    items_seen: int = 0  # the feed's items this run (a chunked batch holds only its chunk's)
