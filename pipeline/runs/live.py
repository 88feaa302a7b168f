"""The pipeline run: feeds → items → article pages → clean text → tags → warehouse, one transaction per feed.

A broken feed or page is recorded with its reason and the run goes on; only infrastructure failures (the
warehouse unreachable) raise, so that a scheduler retries. Items that failed are retried by the next run.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from pipeline.config import CleaningRules, FeedSource, TaxonomySpec
from pipeline.extraction.extract import ExtractionTimeout
from pipeline.fetching.feeds import FeedEntry, ParsedFeed, parse_feed
from pipeline.fetching.http import Fetcher
from pipeline.fetching.netguard import RefusedURL, check_url
from pipeline.fetching.robots import RobotsCache
from pipeline.fetching.urls import clean_url, url_hash
from pipeline.records import ArticleRecord, FeedBatch, FeedState, FetchResult, ItemOutcome
from pipeline.runs.article import Page
from pipeline.runs.cpu import ArticleBuilder
from pipeline.runs.ledger import FeedReport, Progress, RunLedger, RunReport
from pipeline.tagging import Tagger
from pipeline.vocabulary import RETRY_STATES, Counts, FetchStatus, ItemState, RunMode, utc
from pipeline.warehouse.articles import existing_articles
from pipeline.warehouse.batches import load_feed_batch
from pipeline.warehouse.sources import feed_state, known_items

log = logging.getLogger(__name__)

MAX_ITEM_ATTEMPTS = 5
PROGRESS_EVERY = 25  # pages: a feed with many new items reports how far it has got
CHUNK_ITEMS = 100  # a feed's items are committed in chunks of this many: an interruption keeps the finished ones
FeedRow = Any  # a sources row with `validators_trusted` (warehouse.sources.feed_state)


@dataclass(frozen=True)
class RunOptions:
    mode: RunMode = RunMode.LIVE
    interval: tuple[datetime, datetime] | None = None
    triggered_by: str | None = None
    respect_backoff: bool = True
    configured_feeds: bool = True  # the configured feed list: sources missing from it are disabled (not for --feeds)


class Pipeline:
    """Processes feeds: holds what one run shares — the fetcher, robots cache, tagger, cleaning rules and the
    extraction workers. The run's row is opened and closed by a RunLedger (`run` does both around the feeds)."""

    def __init__(
        self,
        engine: Engine,
        tagger: Tagger,
        taxonomy: TaxonomySpec,
        rules: CleaningRules,
        fetcher: Fetcher,
        progress: Progress | None = None,
    ):
        self.engine, self.tagger, self.taxonomy, self.rules, self.fetcher = engine, tagger, taxonomy, rules, fetcher
        self.robots = RobotsCache(fetcher, fetcher.limits.user_agent)
        self.progress: Progress = progress or (lambda message: None)
        self.ledger = RunLedger(engine, self.progress)
        self.builder = ArticleBuilder(tagger, rules, fetcher.limits)  # extraction and tagging, on every core
        self._load_lock = threading.Lock()
        self._page_pool: ThreadPoolExecutor | None = None
        self.stop = threading.Event()  # set (by a signal handler) to stop starting new work; finished feeds are kept

    # ------------------------------------------------------------------ run
    def run(self, feeds: list[FeedSource], options: RunOptions = RunOptions()) -> RunReport:
        """Open a run, process every enabled feed concurrently (one transaction each), close the run."""
        run_id, source_ids = self.ledger.open(
            options.mode,
            self.taxonomy,
            options.interval,
            options.triggered_by,
            feeds,
            configured=options.configured_feeds,
        )
        reports: list[FeedReport] = []
        enabled = [f for f in feeds if f.enabled]
        try:
            with ThreadPoolExecutor(self.fetcher.limits.workers, thread_name_prefix="feed") as pool:
                jobs = [pool.submit(self.run_feed, feed, source_ids[feed.name], run_id, options) for feed in enabled]
                for done, job in enumerate(jobs, 1):
                    report = job.result()
                    reports.append(report)
                    self.progress(
                        f"[{done}/{len(jobs)}] {report.name}: {report.status}"
                        f" ({report.counts.articles_new} new articles) {report.reason}"
                    )
        except DBAPIError as exc:
            self.ledger.close(run_id, reports, len(feeds), f"warehouse error: {type(exc).__name__}: {exc.orig}")
            raise
        finally:
            self.close()
        return self.ledger.close(run_id, reports, len(feeds), interrupted=self.stop.is_set())

    def close(self) -> None:
        """Stop the page threads and the extraction workers (the run's end, or the caller's)."""
        if self._page_pool is not None:
            self._page_pool.shutdown()
            self._page_pool = None
        self.builder.close()

    @property
    def page_pool(self) -> ThreadPoolExecutor:
        if self._page_pool is None:
            self._page_pool = ThreadPoolExecutor(self.fetcher.limits.workers, thread_name_prefix="page")
        return self._page_pool

    def run_feed(self, feed: FeedSource, source_id: int, run_id: int, options: RunOptions = RunOptions()) -> FeedReport:
        """Fetch and process one feed, then load it in one transaction. Bugs are recorded, not raised;
        warehouse errors are raised (the caller or Airflow retries)."""
        now = datetime.now(UTC)
        if self.stop.is_set():
            return FeedReport(feed.name, FetchStatus.SKIPPED, "the run was interrupted before this feed")
        with self.engine.connect() as conn:
            state = feed_state(conn, source_id)
            known = known_items(conn, source_id)
        retry_at = utc(state["next_fetch_after"])
        if options.respect_backoff and retry_at and retry_at > now:
            return FeedReport(
                feed.name, FetchStatus.SKIPPED, f"failing feed slowed down until {retry_at:%Y-%m-%d %H:%M}"
            )
        counts = Counts()

        def commit(batch: FeedBatch) -> None:
            nonlocal counts
            counts += self.load(batch, run_id, now)

        try:
            batch = self.process_feed(feed, source_id, state, known, commit)
        except Exception as exc:  # a bug in one feed's processing must not stop the others
            log.exception("internal error while processing %s", feed.name)
            failure = FetchResult(feed.url, FetchStatus.TEMPORARY, f"internal error: {type(exc).__name__}: {exc}")
            batch = FeedBatch(
                source_id, feed.name, FetchStatus.TEMPORARY, failure.reason, None, fetches=[("feed", failure)]
            )
        commit(batch)
        counts.items_seen = batch.items_seen or len(batch.items)
        return FeedReport(feed.name, batch.feed_status, batch.feed_reason, counts)

    def load(self, batch: FeedBatch, run_id: int, now: datetime) -> Counts:
        """The one load step: a feed's batch (or one chunk of it) into the warehouse in one transaction, under the
        warehouse's load lock (stories are looked up there, so every copy committed before it is seen)."""
        with self._load_lock, self.engine.begin() as conn:
            return load_feed_batch(conn, batch, run_id, now)

    # ------------------------------------------------------------------ feed
    def process_feed(
        self,
        feed: FeedSource,
        source_id: int,
        state: FeedRow,
        known: dict[str, dict],
        commit: Callable[[FeedBatch], None] | None = None,
    ) -> FeedBatch:
        """Network and CPU work for one feed; returns the batch to load. With `commit`, a feed with more than
        CHUNK_ITEMS items is committed chunk by chunk (the first chunk records every item, the rest as pending), so
        that an interruption keeps what was done and the next run takes up the rest."""
        headers = {}
        if state["etag"] and state["validators_trusted"]:
            headers["If-None-Match"] = state["etag"]
        if state["last_modified"] and state["validators_trusted"]:
            headers["If-Modified-Since"] = state["last_modified"]
        result = self.fetcher.fetch(state["feed_url"], headers)
        batch = FeedBatch(source_id, feed.name, result.status, result.reason, None)
        parsed = None
        if result.status == FetchStatus.OK:
            parsed, result = self._read_feed(result, state, batch)
        batch.fetches.append(("feed", result))
        items = self.new_items(parsed.entries if parsed else [], known)
        retry = [
            self._known_item(row)
            for h, row in known.items()
            if row["state"] in RETRY_STATES
            and row["attempts"] < MAX_ITEM_ATTEMPTS
            and h not in {i.url_hash for i in items}
        ]
        todo = items + retry
        batch.items_seen = len(todo)
        if commit is None or len(todo) <= CHUNK_ITEMS:
            batch.items, batch.articles = self.process_items(feed, todo, batch)
            return batch
        for start in range(0, len(todo) - CHUNK_ITEMS, CHUNK_ITEMS):
            chunk = todo[start : start + CHUNK_ITEMS]
            outcomes, articles = self.process_items(feed, chunk, batch)
            later = todo[start + CHUNK_ITEMS :] if start == 0 else []  # recorded once, as pending, with the first chunk
            commit(
                replace(
                    batch,
                    items=outcomes + [i for i in later if i.state == ItemState.PENDING],
                    articles=articles,
                    items_seen=0,
                )
            )
            batch = replace(batch, fetches=[], feed_url=None)  # the feed's own fetch is logged with the first chunk
            self.progress(f"  {feed.name}: {start + len(chunk)}/{len(todo)} items committed")
        batch.items, batch.articles = self.process_items(
            feed, todo[len(todo) - (len(todo) - 1) % CHUNK_ITEMS - 1 :], batch
        )
        return batch

    def _read_feed(
        self, result: FetchResult, state: FeedRow, batch: FeedBatch
    ) -> tuple[ParsedFeed | None, FetchResult]:
        body_hash = hashlib.sha256(result.body or b"").hexdigest()
        if body_hash == state["body_hash"]:
            result = replace(
                result, status=FetchStatus.NOT_MODIFIED, reason="body unchanged since the last fetch (same hash)"
            )
            batch.feed_status, batch.feed_reason = result.status, result.reason
            batch.feed_url = result.permanent_redirect  # the same working feed, at its new address
            return None, result
        parsed = parse_feed(result.body or b"", result.headers, result.final_url)
        if not parsed.is_feed:
            result = replace(
                result, status=FetchStatus.NOT_A_FEED, reason=f"not a feed: {parsed.problem or 'no feed elements'}"
            )
            batch.feed_status, batch.feed_reason = result.status, result.reason
            return None, result
        reason = f"{len(parsed.entries)} entries" + (f"; not well-formed: {parsed.problem}" if parsed.problem else "")
        result = replace(result, reason=reason)
        batch.feed_reason = reason
        etag, modified = result.headers.get("etag"), result.headers.get("last-modified")
        if state["body_hash"]:  # new content under the validators we hold: they do not follow it, drop them
            etag = None if etag == state["etag"] else etag
            modified = None if modified == state["last_modified"] else modified
        batch.new_state = FeedState(etag, modified, body_hash)
        batch.feed_url = result.permanent_redirect
        return parsed, result

    @staticmethod
    def _known_item(row: dict) -> ItemOutcome:
        return ItemOutcome(
            row["url_hash"],
            row["url"],
            row["guid"],
            row["title"],
            row["summary"],
            row["published_raw"],
            utc(row["published_at"]),
            ItemState.PENDING,
            attempts=row["attempts"],
        )

    @staticmethod
    def new_items(entries: Sequence[FeedEntry], known: dict[str, dict]) -> list[ItemOutcome]:
        """The feed entries not done before, as items to process (`known`: the feed's stored items by URL hash);
        unusable links are refused with their reason."""
        items: dict[str, ItemOutcome] = {}
        for entry in entries:
            if not entry.url:
                continue
            try:
                url = clean_url(check_url(entry.url))
                key = url_hash(url)
                state, error = ItemState.PENDING, None
            except (RefusedURL, ValueError) as exc:
                url, key, state, error = (
                    entry.url[:2000],
                    hashlib.sha256(entry.url.encode()).hexdigest(),
                    ItemState.REFUSED,
                    str(exc),
                )
            previous = known.get(key)
            if key in items or (previous and previous["state"] not in RETRY_STATES):
                continue
            items[key] = ItemOutcome(
                key,
                url,
                entry.guid,
                entry.title,
                entry.summary,
                entry.published_raw,
                entry.published_at,
                state,
                error,
                attempts=previous["attempts"] if previous else 0,
                date_problem=entry.date_problem,
            )
        return list(items.values())

    def process_items(
        self, feed: FeedSource, items: list[ItemOutcome], batch: FeedBatch
    ) -> tuple[list[ItemOutcome], list[ArticleRecord]]:
        """Fetch and build the pages of the pending items not stored yet (up to the per-feed cap), concurrently;
        refused items are logged in `batch`. Returns every item's outcome and the articles built."""
        todo = [i for i in items if i.state == ItemState.PENDING]
        with self.engine.connect() as conn:
            stored = existing_articles(conn, [i.url_hash for i in todo])
        outcomes = [i for i in items if i.state == ItemState.REFUSED]
        for item in outcomes:
            batch.fetches.append(("article", FetchResult(item.url, FetchStatus.REFUSED, item.error or "refused")))
        fresh = [i for i in todo if i.url_hash not in stored]
        outcomes += [replace(i, state=ItemState.DONE) for i in todo if i.url_hash in stored]
        cap = self.fetcher.limits.max_items_per_feed
        if len(fresh) > cap:  # a feed listing thousands of items: the rest waits for the next runs, recorded
            waiting = f"waiting: over this run's cap of {cap} new items per feed (NEWSMON_MAX_ITEMS_PER_FEED)"
            outcomes += [replace(i, state=ItemState.FAILED, error=waiting) for i in fresh[cap:]]
            fresh = fresh[:cap]
        articles = []
        results = self._in_window(lambda i: self.process_item(feed, i), fresh)
        for done, (outcome, article, fetches) in enumerate(results, 1):
            outcomes.append(outcome)
            batch.fetches.extend(fetches)
            if article is not None:
                articles.append(article)
            if done % PROGRESS_EVERY == 0 and done < len(fresh):
                self.progress(f"  {feed.name}: {done}/{len(fresh)} pages")
        return outcomes, articles

    def _in_window(self, work: Callable[[ItemOutcome], Any], items: list[ItemOutcome]) -> Iterator[Any]:
        """`work` on the shared page threads for each item, results in order, with no more of this feed's pages
        queued at once than its hosts take (per-host slots x hosts). The page threads are shared by every feed of
        the run and serve first come, first served: a feed that queued all its pages at once would have them all
        wait on its own host's slots while the other hosts idle."""
        hosts = {urlsplit(item.url).hostname for item in items}
        window = max(1, min(self.fetcher.limits.workers, self.fetcher.limits.per_host_concurrency * len(hosts)))
        pending: deque = deque()
        upcoming = iter(items)
        for item in islice(upcoming, window):
            pending.append(self.page_pool.submit(work, item))
        while pending:
            result = pending.popleft().result()
            for item in islice(upcoming, 1):
                pending.append(self.page_pool.submit(work, item))
            yield result

    # ------------------------------------------------------------------ article
    def process_item(
        self, feed: FeedSource, item: ItemOutcome
    ) -> tuple[ItemOutcome, ArticleRecord | None, list[tuple[str, FetchResult]]]:
        """Fetch, extract, clean and tag one article page. Returns (outcome, article or None, fetches)."""
        fetches: list[tuple[str, FetchResult]] = []
        if self.stop.is_set():  # not fetched: the next run picks it up (its attempts are not counted)
            return replace(item, state=ItemState.FAILED, error="waiting: the run was interrupted"), None, fetches
        attempts = item.attempts + 1
        decision, robots_fetch = self.robots.check(item.url)
        if robots_fetch is not None:
            fetches.append(("robots", robots_fetch))
        if not decision.allowed:
            fetches.append(("article", FetchResult(item.url, FetchStatus.REFUSED, decision.reason)))
            state = ItemState.FAILED if "unavailable" in decision.reason else ItemState.REFUSED
            return replace(item, state=state, error=decision.reason, attempts=attempts), None, fetches
        result = self.fetcher.fetch(item.url)
        fetches.append(("article", result))
        if result.status != FetchStatus.OK:
            state = {FetchStatus.TEMPORARY: ItemState.FAILED, FetchStatus.REFUSED: ItemState.REFUSED}.get(
                result.status, ItemState.GONE
            )
            return replace(item, state=state, error=result.reason, attempts=attempts), None, fetches
        page = Page(
            item.url,
            result.final_url,
            result.body or b"",
            result.headers.get("content-type"),
            result.fetched_at,
            feed.language,
        )
        try:
            article = self.builder.build(page, item)
        except ExtractionTimeout as exc:  # the same page would take as long again: not retried
            return replace(item, state=ItemState.GONE, error=str(exc), attempts=attempts), None, fetches
        if article is None:
            gone = replace(item, state=ItemState.GONE, error="no article text found on the page", attempts=attempts)
            return gone, None, fetches
        return replace(item, state=ItemState.DONE, error=None, attempts=attempts), article, fetches
