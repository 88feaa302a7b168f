"""Replay the stored raw archive for an interval: re-extract, re-clean, re-tag and reload articles without the network.

RSS feeds only show recent items, so a backfill over past dates cannot re-fetch them: it rebuilds every stored
article of the interval from its archived HTML (raw_pages) with today's extraction, cleaning rules and taxonomy.
Replays are idempotent: rows are updated in place (keyed on the article id), never added, and a second replay of
the same interval changes nothing. Sources that publish a paged archive (`archive: wordpress_paged`) can also
have their history fetched for an interval, through the project's Fetcher.
"""
from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine, and_, bindparam, or_, select, update

from pipeline.config import CleaningRules, FeedSource, TaxonomySpec
from pipeline.stories.minhash import minhash_to_bytes, text_minhash
from pipeline.extraction.extract import ExtractionTimeout, extract_bounded
from pipeline.fetching.feeds import FeedEntry, parse_feed
from pipeline.fetching.http import OK, Fetcher
from pipeline.runs.live import FeedReport
from pipeline.settings import FetchLimits
from pipeline.tagging import Tagger, load_tagger
from pipeline.textutil import content_fingerprint
from pipeline.warehouse import load
from pipeline.warehouse.db import tables

log = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_ARCHIVE_PAGES = 20
# Columns a replay may rewrite; identity (url_hash, url, source, story, first run) never changes.
REBUILT_COLUMNS = ("title", "authors", "site_name", "published_at", "published_raw", "date_problem", "day", "week",
                   "month", "date_source", "language", "extraction_method", "word_count", "text", "text_hash",
                   "minhash", "canonical_url", "truncated")


@dataclass
class ReplayCounts:
    articles_seen: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    articles_failed: int = 0
    articles_relevant: int = 0

    def add(self, other: "ReplayCounts") -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def days_of(start: datetime, end: datetime) -> tuple[date, date]:
    """The days [first, after_last) that overlap the half-open interval [start, end)."""
    start, end = load.utc(start), load.utc(end)
    last = (end - timedelta(microseconds=1)).date()
    return start.date(), max(last, start.date()) + timedelta(days=1)


def _interval_filter(articles, start: datetime, end: datetime):
    first_day, after_last = days_of(start, end)
    return or_(and_(articles.c.day >= first_day, articles.c.day < after_last),
               and_(articles.c.fetched_at >= start, articles.c.fetched_at < end))


def _rows_query(meta, start: datetime, end: datetime, source_id: int | None, after_id: int, limit: int):
    articles, raw, sources = meta.tables["articles"], meta.tables["raw_pages"], meta.tables["sources"]
    query = (select(articles, raw.c.body, raw.c.compression, raw.c.content_type, raw.c.final_url.label("raw_final_url"),
                    raw.c.url.label("raw_url"), sources.c.language.label("source_language"))
             .join(raw, raw.c.article_id == articles.c.id)
             .join(sources, sources.c.id == articles.c.source_id)
             .where(_interval_filter(articles, start, end), articles.c.id > after_id)
             .order_by(articles.c.id).limit(limit))
    if source_id is not None:
        query = query.where(articles.c.source_id == source_id)
    return query


def _raw_html(row) -> bytes:
    body = bytes(row["body"])
    return gzip.decompress(body) if row["compression"] == "gzip" else body


def rebuild_article(row, rules: CleaningRules, tagger: Tagger,
                    limits: FetchLimits = FetchLimits()) -> tuple[dict, object] | None:
    """Column values and tags for one stored article rebuilt from its archived HTML; None when no text is found.
    The same caps as a live run apply (`limits.max_extract_bytes`, `limits.max_tag_chars`)."""
    page_url = row["raw_final_url"] or row["raw_url"]
    try:
        extracted = extract_bounded(_raw_html(row), page_url, rules, seconds=limits.page_seconds,
                                    isolate_bytes=limits.isolate_bytes, content_type=row["content_type"],
                                    declared_language=row["source_language"], max_bytes=limits.max_extract_bytes)
    except ExtractionTimeout:
        log.warning("replay: %s is over its extraction time budget; left as stored", page_url)
        return None
    if not extracted.text:
        return None
    title = extracted.title or row["title"]
    published, date_source = extracted.published_at, "page"
    if published is None and row["date_source"] == "feed":
        published, date_source = load.utc(row["published_at"]), "feed"
    day = published.date() if published else load.utc(row["fetched_at"]).date()
    values = dict(
        title=title, authors=json.dumps(list(extracted.authors), ensure_ascii=False), site_name=extracted.site_name,
        published_at=published, published_raw=extracted.published_raw or row["published_raw"],
        date_problem=extracted.date_problem or row["date_problem"], day=day, week=day - timedelta(days=day.weekday()),
        month=day.strftime("%Y-%m"), date_source=date_source if published else "fetched",
        language=extracted.language, extraction_method=extracted.method, word_count=len(extracted.text.split()),
        text=extracted.text, text_hash=content_fingerprint(extracted.text),
        minhash=minhash_to_bytes(text_minhash(extracted.text)),
        canonical_url=extracted.canonical_url or row["canonical_url"],
    )
    tags = tagger.tag(title, extracted.text, max_chars=limits.max_tag_chars)
    values["truncated"] = "; ".join(filter(None, (extracted.truncated, tags.truncated))) or None
    return values, tags


def _changed(row, values: dict) -> bool:
    def same(column):
        old, new = row[column], values[column]
        if column == "published_at":
            return load.utc(old) == load.utc(new)
        if column == "minhash":
            return bytes(old or b"") == new
        return old == new

    return not all(same(column) for column in REBUILT_COLUMNS)


def replay_batch(conn, rows, rules: CleaningRules, tagger: Tagger, now: datetime) -> ReplayCounts:
    """Rebuild and write one batch of stored articles in the caller's transaction."""
    articles = tables(conn).tables["articles"]
    counts, changed, tagged = ReplayCounts(articles_seen=len(rows)), [], []
    for row in rows:
        rebuilt = rebuild_article(row, rules, tagger)
        if rebuilt is None:
            log.warning("replay: no text in the archived page of article %s (%s); kept as it was", row["id"], row["url"])
            counts.articles_failed += 1
            continue
        values, tags = rebuilt
        tagged.append((row["id"], tags))
        counts.articles_relevant += int(tags.relevant)
        if _changed(row, values):
            changed.append(dict(values, article_id=row["id"], updated_at=now))
    if changed:
        statement = (update(articles).where(articles.c.id == bindparam("article_id"))
                     .values({c: bindparam(c) for c in (*REBUILT_COLUMNS, "updated_at")}))
        conn.execute(statement, changed)
    load.replace_tags(conn, tagged, now)
    counts.articles_updated = len(changed)
    counts.articles_unchanged = len(tagged) - len(changed)
    return counts


def replay_articles(engine: Engine, rules: CleaningRules, tagger: Tagger, start: datetime, end: datetime, *,
                    source_id: int | None = None, batch_size: int = BATCH_SIZE) -> ReplayCounts:
    """Replay every archived article of [start, end) (optionally of one source), one transaction per batch."""
    meta, total, after_id = tables(engine), ReplayCounts(), 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(_rows_query(meta, start, end, source_id, after_id, batch_size)).mappings().all()
            if not rows:
                return total
            total.add(replay_batch(conn, rows, rules, tagger, datetime.now(timezone.utc)))
        after_id = rows[-1]["id"]


def replay_source(engine: Engine, rules: CleaningRules, tagger: Tagger, source_id: int, name: str,
                  start: datetime, end: datetime) -> FeedReport:
    """Replay one source's archived articles; the result reads like a live feed's report."""
    counts = replay_articles(engine, rules, tagger, start, end, source_id=source_id)
    reason = (f"replayed {counts.articles_seen} archived articles: {counts.articles_updated} changed, "
              f"{counts.articles_failed} without text")
    return FeedReport(name, OK, reason, items_seen=counts.articles_seen, articles_updated=counts.articles_updated,
                      articles_failed=counts.articles_failed, articles_relevant=counts.articles_relevant)


def archived_sources(engine: Engine, start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
    """The sources (enabled or not) with archived pages to replay, by name: in [start, end) when given, so that a
    backfilled day maps one task per source that has something on that day, not one per known source."""
    meta = tables(engine)
    sources, articles, raw = meta.tables["sources"], meta.tables["articles"], meta.tables["raw_pages"]
    query = select(sources.c.name, sources.c.id).order_by(sources.c.id)
    if start is not None and end is not None:
        having = (select(articles.c.id).join(raw, raw.c.article_id == articles.c.id)
                  .where(articles.c.source_id == sources.c.id, _interval_filter(articles, start, end)).exists())
        query = query.where(having)
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def start_replay_run(engine: Engine, taxonomy: TaxonomySpec, interval: tuple[datetime, datetime],
                     triggered_by: str | None) -> int:
    """Record the taxonomy in use and open a pipeline_runs row in mode 'replay'."""
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        load.record_taxonomy(conn, taxonomy, now)
        return load.start_run(conn, "replay", now, interval, triggered_by, taxonomy.version)


def finish_replay_run(engine: Engine, run_id: int, counts: ReplayCounts, feeds_total: int) -> None:
    """Close the run row and bring the trend summaries up to the replayed rows (the views read them)."""
    from pipeline.warehouse.summaries import refresh_summaries

    with engine.begin() as conn:
        load.finish_run(conn, run_id, "ok", dict(
            feeds_total=feeds_total, feeds_ok=feeds_total, feeds_failed=0, items_seen=counts.articles_seen,
            articles_new=0, articles_updated=counts.articles_updated, articles_failed=counts.articles_failed,
            articles_relevant=counts.articles_relevant))
    refresh_summaries(engine)


def replay_interval(engine: Engine, taxonomy: TaxonomySpec, rules: CleaningRules, start: datetime, end: datetime,
                    *, triggered_by: str | None = None, batch_size: int = BATCH_SIZE,
                    tagger: Tagger | None = None) -> tuple[int, ReplayCounts]:
    """Replay the whole archive of [start, end) as one recorded run; returns (run id, counts). The tagger is the
    taxonomy's trained one unless given."""
    run_id = start_replay_run(engine, taxonomy, (start, end), triggered_by)
    counts = replay_articles(engine, rules, tagger or load_tagger(taxonomy), start, end, batch_size=batch_size)
    finish_replay_run(engine, run_id, counts, len(archived_sources(engine, start, end)))
    return run_id, counts


# ---------------------------------------------------------------- paged archives (history for an interval)

def archive_page_url(feed_url: str, page: int) -> str:
    """The WordPress feed URL of archive page `page` (`?paged=N`, other query parameters kept)."""
    parts = urlsplit(feed_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "paged"]
    if page > 1:
        query.append(("paged", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def fetch_archive_entries(fetcher: Fetcher, feed: FeedSource, start: datetime, end: datetime,
                          max_pages: int = MAX_ARCHIVE_PAGES) -> tuple[list[FeedEntry], list]:
    """Entries of a `wordpress_paged` feed published in [start, end), walking pages until they are older than
    `start`. Returns the entries and the (kind, FetchResult) pairs for the fetch log."""
    entries, fetches, seen = [], [], set()
    for page in range(1, max_pages + 1):
        result = fetcher.fetch(archive_page_url(feed.url, page))
        fetches.append(("feed", result))
        parsed = parse_feed(result.body or b"", result.headers, result.final_url) if result.status == OK else None
        page_entries = [e for e in (parsed.entries if parsed and parsed.is_feed else ()) if e.url not in seen]
        if not page_entries:
            break  # past the last page (404, empty or repeated page)
        seen.update(e.url for e in page_entries)
        entries += [e for e in page_entries if e.published_at and start <= e.published_at < end]
        dated = [e.published_at for e in page_entries if e.published_at]
        if dated and min(dated) < start:
            break  # pages run newest first: everything further back is older still
    return entries, fetches


def load_archive_history(pipeline, feed: FeedSource, source_id: int, run_id: int, start: datetime,
                         end: datetime) -> FeedReport:
    """Fetch a paged feed's history for [start, end) and load its new articles like a live feed batch.

    `pipeline` is a runner.Pipeline; its item and page stages are reused so that history goes through exactly
    the checks, extraction and dedup that live items do."""
    from pipeline.records import FeedBatch

    entries, fetches = fetch_archive_entries(pipeline.fetcher, feed, start, end)
    with pipeline.engine.connect() as conn:
        known = load.known_items(conn, source_id)
    reason = f"{len(entries)} archive entries in the interval from {len(fetches)} pages"
    batch = FeedBatch(source_id, feed.name, None, OK, reason, None, fetches=list(fetches))
    batch.items, batch.articles = pipeline._process_items(feed, pipeline._feed_items(entries, known), batch)
    index = pipeline.story_index()
    with pipeline.engine.begin() as conn:
        counts, additions = load.load_feed_batch(conn, batch, run_id, index, datetime.now(timezone.utc))
    for addition in additions:
        index.add(*addition)
    return FeedReport(feed.name, OK, reason, len(batch.items), counts.articles_new, counts.articles_updated,
                      counts.items_failed, counts.articles_relevant)
