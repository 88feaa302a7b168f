"""The feeds and what was fetched from them (tables sources, feed_items, fetch_log): feed state, back-off policy,
the items each feed listed and the fetch log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, exists, or_, select, update

from pipeline.config import FeedSource
from pipeline.records import FeedBatch
from pipeline.vocabulary import SUCCESSFUL_FETCHES, FetchStatus, ItemState
from pipeline.warehouse.articles import existing_articles
from pipeline.warehouse.db import tables, unique_rows, upsert

DEAD_AFTER_FAILURES = 3  # from this many failures in a row a feed is fetched less often (never dropped)
GONE_AFTER_FAILURES = 2  # the same for permanent failures (404/410, not a feed, refused): the feed looks gone
MAX_SLOWDOWN_DAYS = {"temporary": 7, "permanent": 30}
KNOWN_DONE_DAYS = 30  # done feed items not seen for longer are no longer compared with each feed fetch
VALIDATORS_TRUSTED_DAYS = 2  # a 304 is believed this long after the last full (2xx) fetch of the feed


def sync_sources(conn: Connection, feeds: list[FeedSource], now: datetime, configured: bool = True) -> dict[str, int]:
    """Insert or update the feeds; when they are the configured list (`configured`), feeds no longer in it are
    disabled, never deleted. A one-off list (`newsmon run --feeds other.yaml`) disables nothing."""
    sources = tables(conn).tables["sources"]
    rows = [
        dict(
            name=f.name,
            feed_url=f.url,
            site_url=f.site,
            language=f.language,
            country=f.country,
            perspective=f.perspective,
            archive=f.archive,
            enabled=f.enabled,
            created_at=now,
        )
        for f in feeds
    ]
    upsert(
        conn,
        sources,
        rows,
        ["name"],
        ["feed_url", "site_url", "language", "country", "perspective", "archive", "enabled"],
    )
    names = [f.name for f in feeds]
    if configured:
        conn.execute(update(sources).where(sources.c.name.not_in(names)).values(enabled=False))
    return dict(conn.execute(select(sources.c.name, sources.c.id).where(sources.c.name.in_(names))).all())


def feed_state(conn: Connection, source_id: int, today: date | None = None):
    """The source row, plus `validators_trusted`: whether a full fetch happened recently enough to send the
    stored ETag/Last-Modified (a server that answers 304 for changed content is caught within days)."""
    meta = tables(conn)
    sources, log = meta.tables["sources"], meta.tables["fetch_log"]
    since = (today or datetime.now(UTC).date()) - timedelta(days=VALIDATORS_TRUSTED_DAYS)
    trusted = (
        exists()
        .where(
            log.c.fetched_day >= since,
            log.c.source_id == source_id,
            log.c.kind == "feed",
            log.c.http_status.between(200, 299),
        )
        .label("validators_trusted")
    )
    return conn.execute(select(sources, trusted).where(sources.c.id == source_id)).mappings().one()


def known_items(conn: Connection, source_id: int, now: datetime | None = None) -> dict[str, dict]:
    """The feed's items already seen, by URL hash (to count attempts and retry what failed): all but those done and
    not seen for KNOWN_DONE_DAYS, so that the cost stays flat as history grows (such an item, if it comes back, is
    found among the stored articles and not fetched again)."""
    items = tables(conn).tables["feed_items"]
    since = (now or datetime.now(UTC)) - timedelta(days=KNOWN_DONE_DAYS)
    rows = conn.execute(
        select(items).where(
            items.c.source_id == source_id, or_(items.c.last_seen_at >= since, items.c.state != ItemState.DONE)
        )
    )
    return {row["url_hash"]: dict(row) for row in rows.mappings()}


def next_fetch_after(status: str, failures: int, now: datetime) -> datetime | None:
    """A feed that keeps failing is slowed down but never dropped: after 3 temporary failures in a row
    (5xx, timeouts, refused connections) 1, 2, 4 … up to 7 days; after 2 permanent ones (404/410, not a
    feed, refused by policy) 1, 2, 4 … up to 30 days."""
    kind = "temporary" if status == FetchStatus.TEMPORARY else "permanent"
    start = DEAD_AFTER_FAILURES if kind == "temporary" else GONE_AFTER_FAILURES
    if status in SUCCESSFUL_FETCHES or failures < start:
        return None
    return now + timedelta(days=min(2 ** (failures - start), MAX_SLOWDOWN_DAYS[kind]))


def forgive_failures(conn: Connection, source_names: list[str], now: datetime) -> None:
    """Take back one failure from each named source (the one this run charged it): a fault of this machine, not of
    the sources, must not slow them down."""
    sources = tables(conn).tables["sources"]
    for row in conn.execute(
        select(sources.c.id, sources.c.consecutive_failures, sources.c.last_status).where(
            sources.c.name.in_(source_names)
        )
    ).mappings():
        failures = max(0, (row["consecutive_failures"] or 0) - 1)
        conn.execute(
            update(sources)
            .where(sources.c.id == row["id"])
            .values(
                consecutive_failures=failures,
                next_fetch_after=next_fetch_after(row["last_status"], failures, now) if failures else None,
            )
        )


def update_source(conn: Connection, batch: FeedBatch, now: datetime) -> None:
    """The feed's state after this fetch: status, failures in a row and back-off, validators, a moved address."""
    sources = tables(conn).tables["sources"]
    current = conn.execute(select(sources.c.consecutive_failures).where(sources.c.id == batch.source_id)).scalar_one()
    ok = batch.feed_status in SUCCESSFUL_FETCHES
    failures = 0 if ok else current + 1
    values = dict(
        last_status=batch.feed_status,
        last_reason=batch.feed_reason[:2000],
        last_fetched_at=now,
        consecutive_failures=failures,
        next_fetch_after=next_fetch_after(batch.feed_status, failures, now),
    )
    if ok:
        values["last_success_at"] = now
    if batch.new_state is not None:
        values.update(
            etag=batch.new_state.etag, last_modified=batch.new_state.last_modified, body_hash=batch.new_state.body_hash
        )
    if batch.feed_url:
        values["feed_url"] = batch.feed_url
    conn.execute(update(sources).where(sources.c.id == batch.source_id).values(**values))


def log_fetches(conn: Connection, batch: FeedBatch, run_id: int) -> None:
    log = tables(conn).tables["fetch_log"]
    rows = [
        dict(
            run_id=run_id,
            source_id=batch.source_id,
            kind=kind,
            url=r.url[:4000],
            final_url=(r.final_url or "")[:4000] or None,
            status=r.status,
            http_status=r.http_status,
            reason=(r.reason or "")[:2000],
            bytes=r.size,
            elapsed_ms=r.elapsed_ms,
            attempts=r.attempts,
            fetched_at=r.fetched_at,
            fetched_day=r.fetched_at.date(),
        )
        for kind, r in batch.fetches
    ]
    if rows:
        conn.execute(log.insert(), rows)


def upsert_items(conn: Connection, batch: FeedBatch, article_ids: dict[str, int], now: datetime) -> dict[str, int]:
    """Record every feed item with its state. `article_ids` maps the URL hash of each item this batch resolved to
    its article; returns item URL hash -> article id for the items done."""
    table = tables(conn).tables["feed_items"]
    article_of_item = dict(article_ids)
    article_of_item.update(
        existing_articles(
            conn, [i.url_hash for i in batch.items if i.state == ItemState.DONE and i.url_hash not in article_of_item]
        )
    )
    rows = [
        dict(
            source_id=batch.source_id,
            url_hash=i.url_hash,
            url=i.url[:4000],
            guid=(i.guid or "")[:2000] or None,
            title=i.title,
            summary=i.summary,
            published_raw=i.published_raw,
            published_at=i.published_at,
            state=i.state,
            attempts=i.attempts,
            last_error=(i.error or "")[:2000] or None,
            article_id=article_of_item.get(i.url_hash),
            first_seen_at=now,
            last_seen_at=now,
        )
        for i in unique_rows(batch.items, lambda item: item.url_hash)
    ]
    upsert(
        conn,
        table,
        rows,
        ["source_id", "url_hash"],
        [
            "title",
            "summary",
            "published_raw",
            "published_at",
            "state",
            "attempts",
            "last_error",
            "article_id",
            "last_seen_at",
        ],
    )
    done = {i.url_hash for i in batch.items if i.state == ItemState.DONE}
    return {h: a for h, a in article_of_item.items() if h in done}
