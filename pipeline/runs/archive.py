"""History for an interval from a feed that publishes a paged archive (`archive: wordpress_paged`): walk the
archive's pages through the project's Fetcher and load the entries of the interval like a live feed batch."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.config import FeedSource
from pipeline.fetching.feeds import FeedEntry, parse_feed
from pipeline.fetching.http import Fetcher
from pipeline.records import FeedBatch, FetchResult
from pipeline.runs.ledger import FeedReport
from pipeline.runs.live import Pipeline
from pipeline.vocabulary import FetchStatus
from pipeline.warehouse.sources import known_items

MAX_ARCHIVE_PAGES = 20


def archive_page_url(feed_url: str, page: int) -> str:
    """The WordPress feed URL of archive page `page` (`?paged=N`, other query parameters kept)."""
    parts = urlsplit(feed_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "paged"]
    if page > 1:
        query.append(("paged", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def fetch_archive_entries(
    fetcher: Fetcher, feed: FeedSource, start: datetime, end: datetime, max_pages: int = MAX_ARCHIVE_PAGES
) -> tuple[list[FeedEntry], list[tuple[str, FetchResult]]]:
    """Entries of a `wordpress_paged` feed published in [start, end), walking pages until they are older than
    `start`. Returns the entries and the (kind, FetchResult) pairs for the fetch log."""
    entries: list[FeedEntry] = []
    fetches: list[tuple[str, FetchResult]] = []
    seen: set[str] = set()
    for page in range(1, max_pages + 1):
        result = fetcher.fetch(archive_page_url(feed.url, page))
        fetches.append(("feed", result))
        parsed = (
            parse_feed(result.body or b"", result.headers, result.final_url)
            if result.status == FetchStatus.OK
            else None
        )
        page_entries = [e for e in (parsed.entries if parsed and parsed.is_feed else ()) if e.url not in seen]
        if not page_entries:
            break  # past the last page (404, empty or repeated page)
        seen.update(e.url for e in page_entries if e.url)
        entries += [e for e in page_entries if e.published_at and start <= e.published_at < end]
        dated = [e.published_at for e in page_entries if e.published_at]
        if dated and min(dated) < start:
            break  # pages run newest first: everything further back is older still
    return entries, fetches


def load_archive_history(
    pipeline: Pipeline, feed: FeedSource, source_id: int, run_id: int, start: datetime, end: datetime
) -> FeedReport:
    """Fetch a paged feed's history for [start, end) and load its new articles through the pipeline's own item,
    page and load steps, so that history goes through exactly the checks, extraction and dedup live items do."""
    entries, fetches = fetch_archive_entries(pipeline.fetcher, feed, start, end)
    with pipeline.engine.connect() as conn:
        known = known_items(conn, source_id)
    reason = f"{len(entries)} archive entries in the interval from {len(fetches)} pages"
    batch = FeedBatch(source_id, feed.name, FetchStatus.OK, reason, None, fetches=list(fetches))
    batch.items, batch.articles = pipeline.process_items(feed, pipeline.new_items(entries, known), batch)
    counts = pipeline.load(batch, run_id, datetime.now(UTC))
    counts.items_seen = len(batch.items)
    return FeedReport(feed.name, FetchStatus.OK, reason, counts)
