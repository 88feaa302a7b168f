"""The load step: one feed batch (or one chunk of it) into the warehouse, in the caller's transaction.

Every write is an upsert keyed on what identifies the row, so a rerun never duplicates anything. Loads are
serialized per warehouse (`serialize_loads`), so that story assignment sees every committed article.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from pipeline.records import FeedBatch
from pipeline.vocabulary import UNRESOLVED_STATES, Counts
from pipeline.warehouse.articles import (
    distinct_articles,
    existing_articles,
    link_sources,
    upsert_articles,
    upsert_raw_pages,
)
from pipeline.warehouse.sources import log_fetches, update_source, upsert_items
from pipeline.warehouse.story_index import assign_stories
from pipeline.warehouse.tags import replace_tags

LOAD_LOCK_KEY = 0x6E6577736D6F6E  # "newsmon": the advisory lock that serializes loads on PostgreSQL


def serialize_loads(conn: Connection) -> None:
    """One load (a feed batch, a replayed batch) at a time per warehouse, so that story assignment sees every
    committed article.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the caller's first statement is a write, which takes
    the database's single write lock before anything is read.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOAD_LOCK_KEY})


def load_feed_batch(conn: Connection, batch: FeedBatch, run_id: int, now: datetime) -> Counts:
    """Write one feed's outcome in the caller's transaction; returns its counts (articles and failed items)."""
    serialize_loads(conn)
    update_source(conn, batch, now)
    log_fetches(conn, batch, run_id)
    articles = distinct_articles(batch.articles)
    before = existing_articles(conn, [a.url_hash for a in articles])
    ids = upsert_articles(conn, articles, batch.source_id, run_id, now)
    assign_stories(conn, articles, ids, now)
    upsert_raw_pages(conn, articles, ids)
    replace_tags(conn, [(ids[a.url_hash], a.tags) for a in articles], now)
    resolved = {h: ids[a.url_hash] for a in articles for h in (a.item_url_hashes or (a.url_hash,))}
    link_sources(conn, upsert_items(conn, batch, resolved, now).values(), batch.source_id, now)
    counts = Counts(
        articles_new=sum(1 for a in articles if a.url_hash not in before),
        articles_updated=sum(1 for a in articles if a.url_hash in before),
        articles_relevant=sum(1 for a in articles if a.tags.relevant),
        articles_failed=sum(1 for i in batch.items if i.state in UNRESOLVED_STATES),
    )
    return counts
