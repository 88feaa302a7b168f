"""One more day of articles through the real loader: at N rows against the same day on a warehouse without
articles. Per feed the loader does what a run does: feed state, known items, then the feed's transaction."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from .table import print_table, ratio

FEEDS_PER_DAY = 20
PARAGRAPH = (
    "Russia and Iran agreed on {n} new steps for the North-South transport corridor and the Rasht-Astara "
    "railway, the ministers said in Tehran; the loan of {m} million euros covers construction, and the "
    "central banks will settle payments in roubles and rials. Officials also discussed gas supplies, "
    "Bushehr nuclear plant units and joint drills in the Caspian Sea, item {k}."
)


def day_batches(shape, articles: int):
    """FeedBatch objects for one day after the synthetic data: `articles` tagged articles over 20 feeds."""
    from pipeline.config import load_taxonomy
    from pipeline.fetching.urls import url_hash
    from pipeline.records import ArticleRecord, FeedBatch, FeedState, FetchResult, ItemOutcome
    from pipeline.settings import PROJECT_ROOT
    from pipeline.stories.minhash import minhash_to_bytes, text_minhash
    from pipeline.tagging import load_tagger
    from pipeline.textutil import content_fingerprint

    tagger = load_tagger(load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml"))
    day = shape.end + timedelta(days=1)
    now = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    rng = random.Random(6)
    batches = []
    for feed in range(FEEDS_PER_DAY):
        source_id = 1 + feed * (shape.sources // FEEDS_PER_DAY)
        batch = FeedBatch(source_id, f"feed {source_id}", "ok", "entries", FeedState(None, None, f"{day}-{feed}"))
        batch.fetches.append(("feed", FetchResult(f"https://s{source_id}.synthetic.example/feed", "ok", "ok", 200)))
        for i in range(articles // FEEDS_PER_DAY):
            url = f"https://s{source_id}.synthetic.example/{day:%Y/%m/%d}/new-{feed}-{i}"
            body = "\n".join(
                PARAGRAPH.format(n=rng.randrange(99), m=rng.randrange(9999), k=f"{feed}-{i}-{p}") for p in range(6)
            )
            title = f"Russia and Iran corridor update {feed}-{i}"
            key = url_hash(url)
            batch.items.append(ItemOutcome(key, url, url, title, None, None, now, "done", attempts=1))
            batch.fetches.append(("article", FetchResult(url, "ok", "ok", 200, url)))
            batch.articles.append(
                ArticleRecord(
                    url_hash=key,
                    url=url,
                    canonical_url=url,
                    final_url=url,
                    title=title,
                    authors=("Synthetic",),
                    site_name=f"feed {source_id}",
                    published_at=now,
                    published_raw=now.isoformat(),
                    date_problem=None,
                    date_source="page",
                    day=day,
                    fetched_at=now,
                    language="en",
                    declared_language="en",
                    extraction_method="trafilatura",
                    text=body,
                    text_hash=content_fingerprint(body),
                    minhash=minhash_to_bytes(text_minhash(body)),
                    raw_html=f"<html><p>{body}</p></html>".encode(),
                    content_type="text/html",
                    tags=tagger.tag(title, body),
                    item_url_hashes=(key,),
                )
            )
        batches.append(batch)
    return batches, now


def load_day(engine, batches, now) -> dict[str, float]:
    """Load the day as a run does (per feed: state, known items, one transaction; stories are looked up in it)."""
    from pipeline.warehouse.articles import existing_articles
    from pipeline.warehouse.batches import load_feed_batch
    from pipeline.warehouse.pipeline_runs import start_run
    from pipeline.warehouse.sources import feed_state, known_items

    seconds = {"feed state + known items": 0.0, "feed transactions (story lookup included)": 0.0}
    with engine.begin() as conn:
        run_id = start_run(conn, "live", now, None, "bench", "bench")
    for batch in batches:
        start = time.perf_counter()
        with engine.connect() as conn:
            feed_state(conn, batch.source_id)
            known_items(conn, batch.source_id)
            existing_articles(conn, [a.url_hash for a in batch.articles])
        seconds["feed state + known items"] += time.perf_counter() - start
        start = time.perf_counter()
        with engine.begin() as conn:
            load_feed_batch(conn, batch, run_id, now)
        seconds["feed transactions (story lookup included)"] += time.perf_counter() - start
    return seconds


def compare_day_loads(big_engine, shape, bench_schema, articles: int) -> None:
    """Print the table: one more day at N rows against an empty warehouse, and the refresh after it."""
    from pipeline.warehouse.summaries import refresh_summaries

    from .warehouse import build_warehouse

    batches, now = day_batches(shape, articles)
    with bench_schema("bench_empty") as (url, _):
        empty_engine, _ = build_warehouse(url, type(shape)(articles=0), progress=lambda message: None)
        refresh_summaries(empty_engine)
        empty = load_day(empty_engine, batches, now)
        start = time.perf_counter()
        refresh_summaries(empty_engine)
        empty["refresh summaries"] = time.perf_counter() - start
        empty_engine.dispose()
    full = load_day(big_engine, batches, now)
    start = time.perf_counter()
    refresh_summaries(big_engine)
    full["refresh summaries"] = time.perf_counter() - start
    rows = [(step, f"{empty[step]:.2f}", f"{full[step]:.2f}", ratio(full[step], empty[step])) for step in full]
    total_empty = sum(v for k, v in empty.items() if k != "refresh summaries")
    total_full = sum(v for k, v in full.items() if k != "refresh summaries")
    rows.append(("load total", f"{total_empty:.2f}", f"{total_full:.2f}", ratio(total_full, total_empty)))
    print_table(
        f"One more day: {articles:,} articles in {FEEDS_PER_DAY} feed transactions (seconds)",
        ["step", "empty warehouse", f"{shape.articles:,} articles", "ratio"],
        rows,
    )
