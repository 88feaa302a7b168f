"""Replay the stored raw archive for an interval: re-extract, re-clean, re-tag and reload articles without the network.

RSS feeds only show recent items, so a backfill over past dates cannot re-fetch them: it rebuilds every stored
article of the interval from its archived HTML (raw_pages) with today's extraction, cleaning rules and taxonomy.
Replays are idempotent: rows are updated in place (keyed on the article id), never added, and a second replay of
the same interval changes nothing.
History fetched from a paged feed archive is another thing: `pipeline.runs.archive`.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, and_, bindparam, or_, select, update

from pipeline.config import CleaningRules, TaxonomySpec
from pipeline.extraction.extract import ExtractionTimeout
from pipeline.fetching.limits import FetchLimits
from pipeline.records import ItemOutcome
from pipeline.runs.article import Page
from pipeline.runs.cpu import ArticleBuilder
from pipeline.runs.ledger import FeedReport, Progress, RunLedger, RunReport
from pipeline.stories.minhash import minhash_from_bytes
from pipeline.tagging import Tagger, load_tagger
from pipeline.vocabulary import Counts, FetchStatus, ItemState, RunMode, utc
from pipeline.warehouse.articles import CONTENT_COLUMNS, content_values, raw_html
from pipeline.warehouse.batches import serialize_loads
from pipeline.warehouse.db import tables
from pipeline.warehouse.story_index import index_bands, merge_exact_copies
from pipeline.warehouse.tags import Tagged, replace_tags

log = logging.getLogger(__name__)

BATCH_SIZE = 200


def days_of(start: datetime, end: datetime) -> tuple[date, date]:
    """The days [first, after_last) that overlap the half-open interval [start, end)."""
    start, end = utc(start), utc(end)
    last = (end - timedelta(microseconds=1)).date()
    return start.date(), max(last, start.date()) + timedelta(days=1)


def _interval_filter(articles, start: datetime, end: datetime):
    first_day, after_last = days_of(start, end)
    return or_(
        and_(articles.c.day >= first_day, articles.c.day < after_last),
        and_(articles.c.fetched_at >= start, articles.c.fetched_at < end),
    )


def _rows_query(meta, start: datetime, end: datetime, source_id: int | None, after_id: int, limit: int):
    articles, raw, sources = meta.tables["articles"], meta.tables["raw_pages"], meta.tables["sources"]
    query = (
        select(
            articles,
            raw.c.body,
            raw.c.compression,
            raw.c.content_type,
            raw.c.final_url.label("raw_final_url"),
            raw.c.url.label("raw_url"),
            sources.c.language.label("source_language"),
        )
        .join(raw, raw.c.article_id == articles.c.id)
        .join(sources, sources.c.id == articles.c.source_id)
        .where(_interval_filter(articles, start, end), articles.c.id > after_id)
        .order_by(articles.c.id)
        .limit(limit)
    )
    if source_id is not None:
        query = query.where(articles.c.source_id == source_id)
    return query


def stored_page(row) -> tuple[Page, ItemOutcome, str | None]:
    """What a replay rebuilds a stored article from: its archived page, what the feed said of it (title, and the
    date when the date came from the feed) and the canonical URL stored earlier."""
    page = Page(
        row["raw_url"],
        row["raw_final_url"],
        raw_html(row),
        row["content_type"],
        utc(row["fetched_at"]),
        row["source_language"],
    )
    feed_date = utc(row["published_at"]) if row["date_source"] == "feed" else None
    item = ItemOutcome(
        row["url_hash"],
        row["url"],
        None,
        row["title"],
        None,
        row["published_raw"],
        feed_date,
        ItemState.DONE,
        date_problem=row["date_problem"],
    )
    return page, item, row["canonical_url"]


def _changed(row, values: dict) -> bool:
    def same(column):
        old, new = row[column], values[column]
        if column == "published_at":
            return utc(old) == utc(new)
        if column == "minhash":
            return bytes(old or b"") == new
        return old == new

    return not all(same(column) for column in CONTENT_COLUMNS)


def replay_rows(engine: Engine, rows, builder: ArticleBuilder) -> Counts:
    """Rebuild one batch of stored articles by the live run's own article path, spread over the builder's workers
    (no transaction open meanwhile), then write what changed and the tags in one transaction under the warehouse's
    load lock, like any other load. Identity and stories stay, except that a rebuilt text equal to a copy in
    another story joins the two stories."""
    counts = Counts(items_seen=len(rows))
    changed, tagged, rebanded = [], [], []
    for row, article in zip(rows, builder.build_many([stored_page(row) for row in rows])):
        if isinstance(article, ExtractionTimeout):
            log.warning("replay: article %s (%s) is over its extraction time budget; kept", row["id"], row["url"])
            article = None
        elif isinstance(article, Exception):
            raise article
        if article is None:
            log.warning(
                "replay: no text in the archived page of article %s (%s); kept as it was", row["id"], row["url"]
            )
            counts.articles_failed += 1
            continue
        values = content_values(article)
        tagged.append((row["id"], article.tags))
        counts.articles_relevant += int(article.tags.relevant)
        if _changed(row, values):
            changed.append(values | {"article_id": row["id"]})
            recent = max(article.day, utc(row["fetched_at"]).date())
            rebanded.append((row["id"], recent, minhash_from_bytes(article.minhash)))
    counts.articles_updated = len(changed)
    _write(engine, changed, tagged, rebanded)
    return counts


def _write(engine: Engine, changed: list[dict], tagged: list[Tagged], rebanded: list) -> None:
    now = datetime.now(UTC)
    articles = tables(engine).tables["articles"]
    with engine.begin() as conn:
        serialize_loads(conn)
        if changed:
            statement = (
                update(articles)
                .where(articles.c.id == bindparam("article_id"))
                .values({c: bindparam(c) for c in (*CONTENT_COLUMNS, "updated_at")})
            )
            conn.execute(statement, [values | {"updated_at": now} for values in changed])
            # a rebuilt text may now equal a copy a run loaded meanwhile under a story of its own: one story
            merge_exact_copies(conn, [values["article_id"] for values in changed], now)
            index_bands(conn, rebanded)  # a rewritten text is found by its new band keys
        replace_tags(conn, tagged, now)


def replay_articles(
    engine: Engine,
    builder: ArticleBuilder,
    start: datetime,
    end: datetime,
    *,
    source_id: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> Counts:
    """Replay every archived article of [start, end) (optionally of one source), one transaction per batch."""
    meta, total, after_id = tables(engine), Counts(), 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(_rows_query(meta, start, end, source_id, after_id, batch_size)).mappings().all()
        if not rows:
            return total
        total += replay_rows(engine, rows, builder)
        after_id = rows[-1]["id"]


def replay_source(
    engine: Engine,
    builder: ArticleBuilder,
    source_id: int,
    name: str,
    start: datetime,
    end: datetime,
    batch_size: int = BATCH_SIZE,
) -> FeedReport:
    """Replay one source's archived articles; the result reads like a live feed's report."""
    counts = replay_articles(engine, builder, start, end, source_id=source_id, batch_size=batch_size)
    reason = (
        f"replayed {counts.items_seen} archived articles: {counts.articles_updated} changed, "
        f"{counts.articles_failed} without text"
    )
    return FeedReport(name, FetchStatus.OK, reason, counts)


def archived_sources(engine: Engine, start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
    """The sources (enabled or not) with archived pages to replay, by name: in [start, end) when given, so that a
    backfilled day maps one task per source that has something on that day, not one per known source."""
    meta = tables(engine)
    sources, articles, raw = meta.tables["sources"], meta.tables["articles"], meta.tables["raw_pages"]
    query = select(sources.c.name, sources.c.id).order_by(sources.c.id)
    if start is not None and end is not None:
        having = (
            select(articles.c.id)
            .join(raw, raw.c.article_id == articles.c.id)
            .where(articles.c.source_id == sources.c.id, _interval_filter(articles, start, end))
            .exists()
        )
        query = query.where(having)
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def replay_interval(
    engine: Engine,
    taxonomy: TaxonomySpec,
    rules: CleaningRules,
    start: datetime,
    end: datetime,
    *,
    triggered_by: str | None = None,
    batch_size: int = BATCH_SIZE,
    tagger: Tagger | None = None,
    limits: FetchLimits | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Replay the whole archive of [start, end) as one recorded run, source by source as Airflow's mapped tasks do,
    under `limits` (its page caps, and `cpu_workers` processes). The tagger is the taxonomy's trained one unless
    given."""
    progress = progress or (lambda message: None)
    ledger = RunLedger(engine, progress)
    run_id, _ = ledger.open(RunMode.REPLAY, taxonomy, (start, end), triggered_by)
    sources = archived_sources(engine, start, end)
    reports = []
    with ArticleBuilder(tagger or load_tagger(taxonomy), rules, limits or FetchLimits()) as builder:
        for done, (name, source_id) in enumerate(sources.items(), 1):
            reports.append(replay_source(engine, builder, source_id, name, start, end, batch_size))
            progress(f"[{done}/{len(sources)}] {name}: {reports[-1].reason}")
    return ledger.close(run_id, reports, len(sources))
