"""Idempotent loads: every write is an upsert keyed on what identifies the row, one transaction per feed batch."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Connection, bindparam, exists, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.config import FeedSource, TaxonomySpec
from pipeline.stories.minhash import StoryIndex, minhash_from_bytes
from pipeline.records import ArticleRecord, FeedBatch
from pipeline.warehouse.db import tables

OK_STATUSES = ("ok", "not_modified")
LOAD_LOCK_KEY = 0x6E6577736D6F6E  # "newsmon": the advisory lock that serializes feed batch loads on PostgreSQL
DEAD_AFTER_FAILURES = 3  # from this many failures in a row a feed is fetched less often (never dropped)
KNOWN_DONE_DAYS = 30  # done feed items not seen for longer are no longer compared with each feed fetch
GONE_AFTER_FAILURES = 2  # the same for permanent failures (404/410, not a feed, refused): the feed looks gone
MAX_SLOWDOWN_DAYS = {"temporary": 7, "permanent": 30}
VALIDATORS_TRUSTED_DAYS = 2  # a 304 is believed this long after the last full (2xx) fetch of the feed


def _insert(conn: Connection, table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def upsert(conn: Connection, table, rows: list[dict], keys: list[str], update_columns: list[str] | None = None):
    """INSERT ... ON CONFLICT (keys) DO UPDATE the given columns (or DO NOTHING), for many rows at once."""
    if not rows:
        return
    statement = _insert(conn, table)
    if update_columns:
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={c: statement.excluded[c] for c in update_columns})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    conn.execute(statement, rows)


def utc(value: datetime | None) -> datetime | None:
    """Datetimes come back naive from SQLite; they are always stored in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def sync_sources(conn: Connection, feeds: list[FeedSource], now: datetime, configured: bool = True) -> dict[str, int]:
    """Insert or update the feeds; when they are the configured list (`configured`), feeds no longer in it are
    disabled, never deleted. A one-off list (`newsmon run --feeds other.yaml`) disables nothing."""
    sources = tables(conn).tables["sources"]
    rows = [dict(name=f.name, feed_url=f.url, site_url=f.site, language=f.language, country=f.country,
                 perspective=f.perspective, archive=f.archive, enabled=f.enabled, created_at=now) for f in feeds]
    upsert(conn, sources, rows, ["name"],
           ["feed_url", "site_url", "language", "country", "perspective", "archive", "enabled"])
    names = [f.name for f in feeds]
    if configured:
        conn.execute(update(sources).where(sources.c.name.not_in(names)).values(enabled=False))
    return dict(conn.execute(select(sources.c.name, sources.c.id).where(sources.c.name.in_(names))).all())


def record_taxonomy(conn: Connection, spec: TaxonomySpec, now: datetime) -> None:
    """Remember the taxonomy version in use and make it the current one for the trend views."""
    versions = tables(conn).tables["taxonomy_versions"]
    conn.execute(update(versions).where(versions.c.version != spec.version).values(is_current=False))
    upsert(conn, versions, [dict(version=spec.version, content_sha256=spec.sha256, is_current=True,
                                 first_used_at=now)], ["version"], ["is_current", "content_sha256"])
    from pipeline.warehouse.entities import record_entities

    record_entities(conn, spec, now)


def start_run(conn: Connection, mode: str, now: datetime, interval: tuple[datetime, datetime] | None,
              triggered_by: str | None, taxonomy_version: str) -> int:
    runs = tables(conn).tables["pipeline_runs"]
    start, end = interval or (None, None)
    return conn.execute(runs.insert().values(
        mode=mode, triggered_by=triggered_by, interval_start=start, interval_end=end, started_at=now,
        status="running", taxonomy_version=taxonomy_version, pid=os.getpid(),
        host=socket.gethostname()[:255]).returning(runs.c.id)).scalar_one()


def latest_runs(conn: Connection, limit: int) -> list:
    """The latest `limit` runs, newest first, as mappings."""
    runs = tables(conn).tables["pipeline_runs"]
    return conn.execute(select(runs).order_by(runs.c.id.desc()).limit(limit)).mappings().all()


STALE_RUN_HOURS = 24  # a run still `running` after this long is closed as abandoned by the next run


def close_stale_runs(conn: Connection, now: datetime, stale_after: timedelta = timedelta(hours=STALE_RUN_HOURS),
                     host: str | None = None) -> list[int]:
    """Close as `abandoned` the runs left `running` by a process that is gone (a `newsmon` run on this host whose
    pid no longer exists) or that are older than `stale_after` (any run, Airflow's included, whose tasks run in
    processes of their own). Returns the ids closed."""
    runs = tables(conn).tables["pipeline_runs"]
    host = host or socket.gethostname()[:255]
    closed = []
    for run in conn.execute(select(runs.c.id, runs.c.started_at, runs.c.pid, runs.c.host, runs.c.triggered_by)
                            .where(runs.c.status == "running")).mappings():
        started = utc(run["started_at"])
        if started and started < now - stale_after:
            why = f"abandoned: still running {stale_after.total_seconds() / 3600:.0f} hours after it started"
        elif (run["host"] == host and run["pid"] and run["pid"] != os.getpid()
              and str(run["triggered_by"] or "").startswith("newsmon") and not _process_alive(run["pid"])):
            why = f"abandoned: its process {run['pid']} on {host} is gone (killed, or the machine restarted)"
        else:
            continue
        conn.execute(update(runs).where(runs.c.id == run["id"], runs.c.status == "running").values(
            status="abandoned", finished_at=now, error=why))
        closed.append(run["id"])
    return closed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that pid
    return True


def finish_run(conn: Connection, run_id: int, status: str, counts: dict[str, int], error: str | None = None):
    runs = tables(conn).tables["pipeline_runs"]
    conn.execute(update(runs).where(runs.c.id == run_id).values(
        status=status, finished_at=datetime.now(timezone.utc), error=error, **counts))


def feed_state(conn: Connection, source_id: int, today: date | None = None):
    """The source row, plus `validators_trusted`: whether a full fetch happened recently enough to send the
    stored ETag/Last-Modified (a server that answers 304 for changed content is caught within days)."""
    meta = tables(conn)
    sources, log = meta.tables["sources"], meta.tables["fetch_log"]
    since = (today or datetime.now(timezone.utc).date()) - timedelta(days=VALIDATORS_TRUSTED_DAYS)
    trusted = exists().where(log.c.fetched_day >= since, log.c.source_id == source_id, log.c.kind == "feed",
                             log.c.http_status.between(200, 299)).label("validators_trusted")
    return conn.execute(select(sources, trusted).where(sources.c.id == source_id)).mappings().one()


def known_items(conn: Connection, source_id: int, now: datetime | None = None) -> dict[str, dict]:
    """The feed's items already seen, by URL hash (to count attempts and retry what failed): all but those done and
    not seen for KNOWN_DONE_DAYS, so that the cost stays flat as history grows (such an item, if it comes back, is
    found among the stored articles and not fetched again)."""
    items = tables(conn).tables["feed_items"]
    since = (now or datetime.now(timezone.utc)) - timedelta(days=KNOWN_DONE_DAYS)
    rows = conn.execute(select(items).where(
        items.c.source_id == source_id, or_(items.c.last_seen_at >= since, items.c.state != "done"))).mappings()
    return {row["url_hash"]: dict(row) for row in rows}


def existing_articles(conn: Connection, url_hashes) -> dict[str, int]:
    articles = tables(conn).tables["articles"]
    hashes = list(set(url_hashes))
    found: dict[str, int] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start:start + 500]
        found.update(conn.execute(select(articles.c.url_hash, articles.c.id)
                                  .where(articles.c.url_hash.in_(chunk))).all())
    return found


def load_story_index(conn: Connection, since: date) -> StoryIndex:
    """Recent articles' MinHashes, so that a copy published days later still joins its story."""
    articles = tables(conn).tables["articles"]
    index = StoryIndex()
    index.high_water = conn.execute(select(func.max(articles.c.id))).scalar() or 0
    fetched_since = datetime.combine(since, time.min, tzinfo=timezone.utc)
    recent = or_(articles.c.day >= since, articles.c.fetched_at >= fetched_since)  # published or fetched lately
    rows = conn.execute(select(articles.c.id, articles.c.story_id, articles.c.minhash)
                        .where(recent, articles.c.minhash.is_not(None)))
    for article_id, story_id, minhash in rows:
        index.add(article_id, story_id or article_id, minhash_from_bytes(minhash))
    return index


def catch_up_story_index(conn: Connection, index: StoryIndex) -> None:
    """Add the articles other processes committed since the index was loaded (parallel feed tasks)."""
    articles = tables(conn).tables["articles"]
    rows = conn.execute(select(articles.c.id, articles.c.story_id, articles.c.minhash)
                        .where(articles.c.id > index.high_water, articles.c.minhash.is_not(None))
                        .order_by(articles.c.id)).all()
    for article_id, story_id, minhash in rows:
        index.add(article_id, story_id or article_id, minhash_from_bytes(minhash))
        index.high_water = max(index.high_water, article_id)


def serialize_loads(conn: Connection) -> None:
    """One feed batch loads at a time per warehouse, so that story assignment sees every committed article.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the batch's first statement is a write, which takes
    the database's single write lock before anything is read.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOAD_LOCK_KEY})


def next_fetch_after(status: str, failures: int, now: datetime) -> datetime | None:
    """A feed that keeps failing is slowed down but never dropped: after 3 temporary failures in a row
    (5xx, timeouts, refused connections) 1, 2, 4 … up to 7 days; after 2 permanent ones (404/410, not a
    feed, refused by policy) 1, 2, 4 … up to 30 days."""
    kind = "temporary" if status == "temporary" else "permanent"
    start = DEAD_AFTER_FAILURES if kind == "temporary" else GONE_AFTER_FAILURES
    if status in OK_STATUSES or failures < start:
        return None
    return now + timedelta(days=min(2 ** (failures - start), MAX_SLOWDOWN_DAYS[kind]))


@dataclass
class LoadCounts:
    articles_new: int = 0
    articles_updated: int = 0
    articles_relevant: int = 0
    items_failed: int = 0


def load_feed_batch(conn: Connection, batch: FeedBatch, run_id: int, story_index: StoryIndex,
                    now: datetime) -> tuple[LoadCounts, list]:
    """Write one feed's outcome in the caller's transaction. Returns counts and index additions for after commit."""
    serialize_loads(conn)
    _update_source(conn, batch, now)
    _log_fetches(conn, batch, run_id)
    catch_up_story_index(conn, story_index)
    articles = _dedupe(batch.articles)
    before = existing_articles(conn, [a.url_hash for a in articles])
    ids = _upsert_articles(conn, articles, batch.source_id, run_id, now)
    additions = _assign_stories(conn, articles, ids, story_index)
    _upsert_raw_pages(conn, articles, ids)
    _replace_tags(conn, articles, ids, now)
    item_articles = _upsert_items(conn, batch, articles, ids, now)
    links = [dict(article_id=i, source_id=batch.source_id, first_seen_at=now) for i in item_articles.values()]
    upsert(conn, tables(conn).tables["article_sources"], _unique(links, ("article_id", "source_id")),
           ["article_id", "source_id"])
    counts = LoadCounts(
        articles_new=sum(1 for a in articles if a.url_hash not in before),
        articles_updated=sum(1 for a in articles if a.url_hash in before),
        articles_relevant=sum(1 for a in articles if a.tags.relevant),
        items_failed=sum(1 for i in batch.items if i.state in ("failed", "refused")),
    )
    return counts, additions


def _unique(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    return list({tuple(r[k] for k in keys): r for r in rows}.values())


def _dedupe(articles: list[ArticleRecord]) -> list[ArticleRecord]:
    """Two items of one batch can resolve to the same article (canonical URL): keep the first."""
    unique: dict[str, ArticleRecord] = {}
    for article in articles:
        unique.setdefault(article.url_hash, article)
    return list(unique.values())


def _log_fetches(conn, batch: FeedBatch, run_id: int) -> None:
    log = tables(conn).tables["fetch_log"]
    rows = [dict(run_id=run_id, source_id=batch.source_id, kind=kind, url=r.url[:4000],
                 final_url=(r.final_url or "")[:4000] or None, status=r.status, http_status=r.http_status,
                 reason=(r.reason or "")[:2000], bytes=r.size, elapsed_ms=r.elapsed_ms, attempts=r.attempts,
                 fetched_at=r.fetched_at, fetched_day=r.fetched_at.date()) for kind, r in batch.fetches]
    if rows:
        conn.execute(log.insert(), rows)


def forgive_failures(conn: Connection, source_names: list[str], now: datetime) -> None:
    """Take back one failure from each named source (the one this run charged it): a fault of this machine, not of
    the sources, must not slow them down."""
    sources = tables(conn).tables["sources"]
    for row in conn.execute(select(sources.c.id, sources.c.consecutive_failures, sources.c.last_status)
                            .where(sources.c.name.in_(source_names))).mappings():
        failures = max(0, (row["consecutive_failures"] or 0) - 1)
        conn.execute(update(sources).where(sources.c.id == row["id"]).values(
            consecutive_failures=failures, next_fetch_after=next_fetch_after(row["last_status"], failures, now)
            if failures else None))


def _update_source(conn, batch: FeedBatch, now: datetime) -> None:
    sources = tables(conn).tables["sources"]
    current = conn.execute(select(sources.c.consecutive_failures).where(sources.c.id == batch.source_id)).scalar_one()
    ok = batch.feed_status in OK_STATUSES
    failures = 0 if ok else current + 1
    values = dict(last_status=batch.feed_status, last_reason=batch.feed_reason[:2000], last_fetched_at=now,
                  consecutive_failures=failures, next_fetch_after=next_fetch_after(batch.feed_status, failures, now))
    if ok:
        values["last_success_at"] = now
    if batch.new_state is not None:
        values.update(etag=batch.new_state.etag, last_modified=batch.new_state.last_modified,
                      body_hash=batch.new_state.body_hash)
    if batch.feed_url:
        values["feed_url"] = batch.feed_url
    conn.execute(update(sources).where(sources.c.id == batch.source_id).values(**values))


def _upsert_articles(conn, articles: list[ArticleRecord], source_id: int, run_id: int, now: datetime) -> dict[str, int]:
    table = tables(conn).tables["articles"]
    rows = [dict(
        url_hash=a.url_hash, url=a.url, canonical_url=a.canonical_url, source_id=source_id, title=a.title,
        authors=json.dumps(list(a.authors), ensure_ascii=False), site_name=a.site_name, published_at=a.published_at,
        published_raw=a.published_raw, date_problem=a.date_problem, day=a.day, week=a.week, month=a.month,
        date_source=a.date_source, fetched_at=a.fetched_at, language=a.language,
        declared_language=a.declared_language, extraction_method=a.extraction_method, word_count=a.word_count,
        text=a.text, text_hash=a.text_hash, minhash=a.minhash, first_run_id=run_id, updated_at=now,
        truncated=a.truncated,
    ) for a in articles]
    upsert(conn, table, rows, ["url_hash"], [
        "canonical_url", "title", "authors", "site_name", "published_at", "published_raw", "date_problem", "day",
        "week", "month", "date_source", "language", "declared_language", "extraction_method", "word_count", "text",
        "text_hash", "minhash", "updated_at", "truncated"])
    return existing_articles(conn, [a.url_hash for a in articles])


def _assign_stories(conn, articles: list[ArticleRecord], ids: dict[str, int], index: StoryIndex) -> list:
    """Give each article without a story one: an exact copy's, a near-duplicate's, or its own id."""
    table = tables(conn).tables["articles"]
    if not ids:
        return []
    have = dict(conn.execute(select(table.c.id, table.c.story_id).where(table.c.id.in_(list(ids.values())))).all())
    copies = _stored_copies(conn, table, {a.text_hash for a in articles})
    additions, assigned_in_batch, updates = [], {}, []
    for article in articles:
        article_id = ids[article.url_hash]
        minhash = minhash_from_bytes(article.minhash)
        story = have.get(article_id)
        if story is None:
            story = (next((s for i, s in copies.get(article.text_hash, ()) if i != article_id), None)
                     or assigned_in_batch.get(article.text_hash)
                     or index.find_story(minhash, exclude=article_id)
                     or _batch_story(additions, minhash)
                     or article_id)
            updates.append({"article_id": article_id, "story": story})
        assigned_in_batch.setdefault(article.text_hash, story)
        additions.append((article_id, story, minhash))
    if updates:  # one statement for the batch, not one round trip per article
        conn.execute(update(table).where(table.c.id == bindparam("article_id")).values(story_id=bindparam("story")),
                     updates)
    return additions


def _stored_copies(conn, table, text_hashes: set[str]) -> dict[str, list[tuple[int, int]]]:
    """Stored exact copies by text hash: (id, story id) pairs in id order, those with a story only."""
    copies: dict[str, list[tuple[int, int]]] = {}
    hashes = sorted(text_hashes)
    for start in range(0, len(hashes), 500):
        rows = conn.execute(select(table.c.text_hash, table.c.id, table.c.story_id).where(
            table.c.text_hash.in_(hashes[start:start + 500]), table.c.story_id.is_not(None)).order_by(table.c.id))
        for text_hash, article_id, story in rows:
            copies.setdefault(text_hash, []).append((article_id, story))
    return copies


def _batch_story(additions: list, minhash) -> int | None:
    """Near-duplicates inside one batch are not in the index yet (it is updated after commit)."""
    from pipeline.stories import minhash as dedup

    best = max(((minhash.jaccard(m), story) for _, story, m in additions), default=(0.0, None))
    return best[1] if best[0] >= dedup.THRESHOLD else None


def _upsert_raw_pages(conn, articles: list[ArticleRecord], ids: dict[str, int]) -> None:
    table = tables(conn).tables["raw_pages"]
    rows = [dict(article_id=ids[a.url_hash], url=a.url, final_url=a.final_url, fetched_at=a.fetched_at,
                 content_type=a.content_type, compression="gzip", body=gzip.compress(a.raw_html, 6),
                 body_sha256=hashlib.sha256(a.raw_html).hexdigest(), size=len(a.raw_html)) for a in articles]
    upsert(conn, table, rows, ["article_id"],
           ["url", "final_url", "fetched_at", "content_type", "compression", "body", "body_sha256", "size"])


def _replace_tags(conn, articles: list[ArticleRecord], ids: dict[str, int], now: datetime) -> None:
    replace_tags(conn, [(ids[a.url_hash], a.tags) for a in articles], now)


def replace_tags(conn, tagged: list, now: datetime) -> None:
    """Write relevance and topic rows for (article id, TagResult) pairs, replacing that version's old rows."""
    meta = tables(conn)
    relevance, topics = meta.tables["article_relevance"], meta.tables["article_topics"]
    by_version: dict[str, list[int]] = {}
    for article_id, result in tagged:
        by_version.setdefault(result.taxonomy_version, []).append(article_id)
    for version, article_ids in by_version.items():
        conn.execute(topics.delete().where(topics.c.taxonomy_version == version, topics.c.article_id.in_(article_ids)))
    relevance_rows, topic_rows = [], []
    for article_id, result in tagged:
        ev = result.evidence
        relevance_rows.append(dict(
            article_id=article_id, taxonomy_version=result.taxonomy_version, relevant=result.relevant,
            score=result.relevance, evidence=ev.text if ev else None, evidence_field=ev.field if ev else None,
            evidence_start=ev.start if ev else None, evidence_end=ev.end if ev else None, tagged_at=now))
        topic_rows.extend(dict(
            article_id=article_id, taxonomy_version=result.taxonomy_version, topic=t.topic, score=t.score,
            evidence=t.evidence.text, evidence_field=t.evidence.field, evidence_start=t.evidence.start,
            evidence_end=t.evidence.end, tagged_at=now) for t in result.topics)
    upsert(conn, relevance, relevance_rows, ["article_id", "taxonomy_version"],
           ["relevant", "score", "evidence", "evidence_field", "evidence_start", "evidence_end", "tagged_at"])
    if topic_rows:
        conn.execute(topics.insert(), topic_rows)
    from pipeline.warehouse.entities import replace_entities

    replace_entities(conn, tagged, now)


def _upsert_items(conn, batch: FeedBatch, articles: list[ArticleRecord], ids: dict[str, int],
                  now: datetime) -> dict[str, int]:
    """Record every feed item with its state; return item URL hash -> article id for the items resolved."""
    table = tables(conn).tables["feed_items"]
    article_of_item = {h: ids[a.url_hash] for a in articles for h in (a.item_url_hashes or (a.url_hash,))}
    already = existing_articles(conn, [i.url_hash for i in batch.items if i.state == "done"
                                       and i.url_hash not in article_of_item])
    article_of_item.update(already)
    rows = [dict(source_id=batch.source_id, url_hash=i.url_hash, url=i.url[:4000], guid=(i.guid or "")[:2000] or None,
                 title=i.title, summary=i.summary, published_raw=i.published_raw, published_at=i.published_at,
                 state=i.state, attempts=i.attempts, last_error=(i.error or "")[:2000] or None,
                 article_id=article_of_item.get(i.url_hash), first_seen_at=now, last_seen_at=now)
            for i in _unique_items(batch.items)]
    upsert(conn, table, rows, ["source_id", "url_hash"],
           ["title", "summary", "published_raw", "published_at", "state", "attempts", "last_error", "article_id",
            "last_seen_at"])
    done = {i.url_hash for i in batch.items if i.state == "done"}
    return {h: a for h, a in article_of_item.items() if h in done}


def _unique_items(items):
    unique = {}
    for item in items:
        unique.setdefault(item.url_hash, item)
    return list(unique.values())
