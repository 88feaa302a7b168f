"""The pipeline run: feeds → items → article pages → clean text → tags → warehouse, one transaction per feed.

A broken feed or page is recorded with its reason and the run goes on; only infrastructure failures (the
warehouse unreachable) raise, so that a scheduler retries. Items that failed are retried by the next run.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from pipeline.config import CleaningRules, FeedSource, TaxonomySpec
from pipeline.stories.minhash import minhash_to_bytes, text_minhash
from pipeline.extraction.extract import ExtractionTimeout, extract_bounded
from pipeline.fetching.feeds import ParsedFeed, parse_feed
from pipeline.fetching.http import NOT_A_FEED, NOT_MODIFIED, OK, REFUSED, TEMPORARY, Fetcher, FetchResult
from pipeline.records import ArticleRecord, FeedBatch, FeedState, ItemOutcome
from pipeline.fetching.netguard import RefusedURL, check_url
from pipeline.fetching.robots import RobotsCache
from pipeline.warehouse.summaries import refresh_summaries
from pipeline.tagging import Tagger
from pipeline.textutil import content_fingerprint
from pipeline.fetching.urls import clean_url, url_hash
from pipeline.warehouse import load
from pipeline.warehouse.db import upgrade

log = logging.getLogger(__name__)

MAX_ITEM_ATTEMPTS = 5
STORY_WINDOW_DAYS = 30
RETRY_STATES = ("pending", "failed")
PROGRESS_EVERY = 25  # pages: a feed with many new items reports how far it has got
CHUNK_ITEMS = 100  # a feed's items are committed in chunks of this many: an interruption keeps the finished ones


@dataclass(frozen=True)
class RunOptions:
    mode: str = "live"
    interval: tuple[datetime, datetime] | None = None
    triggered_by: str | None = None
    respect_backoff: bool = True
    configured_feeds: bool = True  # the configured feed list: sources missing from it are disabled (not for --feeds)


@dataclass
class FeedReport:
    name: str
    status: str
    reason: str
    items_seen: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_failed: int = 0
    articles_relevant: int = 0


@dataclass
class RunReport:
    run_id: int
    status: str
    counts: dict[str, int]
    feeds: list[FeedReport] = field(default_factory=list)


Progress = Callable[[str], None]


def new_counts(feeds_total: int) -> dict[str, int]:
    return dict(feeds_total=feeds_total, feeds_ok=0, feeds_failed=0, feeds_skipped=0, items_seen=0, articles_new=0,
                articles_updated=0, articles_failed=0, articles_relevant=0)


SKIPPED = "skipped"  # a feed not fetched this run: slowed down after failures, or the run was interrupted


def local_fault(feeds: list[FeedReport]) -> str | None:
    """The shared cause when every fetched feed (at least two) failed the same way — no network, a name that
    resolves nowhere, a size cap smaller than any feed — which says more about this machine than about the sources."""
    fetched = [f for f in feeds if f.status != SKIPPED]
    if len(fetched) < 2 or any(f.status in (OK, NOT_MODIFIED) for f in fetched):
        return None
    causes = {_failure_class(f.reason) for f in fetched}
    return causes.pop() if len(causes) == 1 and None not in causes else None


def _failure_class(reason: str) -> str | None:
    lowered = reason.lower()
    for cause, signs in (("the byte cap", ("-byte cap",)),
                         ("no network", ("cannot resolve", "connecterror", "network is unreachable",
                                         "connection refused", "temporary failure in name resolution"))):
        if any(sign in lowered for sign in signs):
            return cause
    return None


class Pipeline:
    """Holds what one run shares: the fetcher, robots cache, tagger, cleaning rules and story index."""

    def __init__(self, engine: Engine, tagger: Tagger, taxonomy: TaxonomySpec, rules: CleaningRules,
                 fetcher: Fetcher, progress: Progress | None = None):
        self.engine, self.tagger, self.taxonomy, self.rules, self.fetcher = engine, tagger, taxonomy, rules, fetcher
        self.robots = RobotsCache(fetcher, fetcher.limits.user_agent)
        self.progress = progress or (lambda message: None)
        self._load_lock = threading.Lock()
        self._page_pool: ThreadPoolExecutor | None = None
        self._story_index = None
        self.stop = threading.Event()  # set (by a signal handler) to stop starting new work; finished feeds are kept

    # ------------------------------------------------------------------ run
    def run(self, feeds: list[FeedSource], options: RunOptions = RunOptions()) -> RunReport:
        """Start a run, process every enabled feed concurrently (one transaction each), finish the run."""
        run_id, source_ids = self.start_run(feeds, options)
        report = RunReport(run_id, "running", new_counts(len(feeds)))
        enabled = [f for f in feeds if f.enabled]
        try:
            with ThreadPoolExecutor(self.fetcher.limits.workers, thread_name_prefix="feed") as pool:
                jobs = [pool.submit(self.run_feed, feed, source_ids[feed.name], run_id, options) for feed in enabled]
                for done, job in enumerate(jobs, 1):
                    feed_report = job.result()
                    report.feeds.append(feed_report)
                    self.progress(f"[{done}/{len(jobs)}] {feed_report.name}: {feed_report.status}"
                                  f" ({feed_report.articles_new} new articles) {feed_report.reason}")
        except DBAPIError as exc:
            self.finish_run(run_id, report.feeds, len(feeds), f"warehouse error: {type(exc).__name__}: {exc.orig}")
            raise
        finally:
            self.close()
        return self.finish_run(run_id, report.feeds, len(feeds))

    def start_run(self, feeds: list[FeedSource], options: RunOptions = RunOptions()) -> tuple[int, dict[str, int]]:
        """Migrate if needed, record the taxonomy version and the feed list, open a pipeline_runs row."""
        now = datetime.now(timezone.utc)
        upgrade(self.engine)
        with self.engine.begin() as conn:
            for stale in load.close_stale_runs(conn, now):
                self.progress(f"run {stale} was left running by a process that is gone: closed as abandoned")
            load.record_taxonomy(conn, self.taxonomy, now)
            source_ids = load.sync_sources(conn, feeds, now, configured=options.configured_feeds)
            run_id = load.start_run(conn, options.mode, now, options.interval, options.triggered_by,
                                    self.taxonomy.version)
        self.progress(f"run {run_id}: {len(feeds)} feeds")
        return run_id, source_ids

    def finish_run(self, run_id: int, feeds: list["FeedReport"], feeds_total: int, error: str | None = None) -> RunReport:
        """Close the run row with its counts; status ok, partial (some feed failed) or failed (error)."""
        counts = new_counts(feeds_total)
        for feed_report in feeds:
            key = "feeds_skipped" if feed_report.status == SKIPPED else \
                "feeds_ok" if feed_report.status in (OK, NOT_MODIFIED) else "feeds_failed"
            counts[key] += 1
            for key in ("items_seen", "articles_new", "articles_updated", "articles_failed", "articles_relevant"):
                counts[key] += getattr(feed_report, key)
        counts["feeds_skipped"] += max(0, feeds_total - len(feeds))  # disabled, or never reached
        local = local_fault(feeds)
        if local and not error:
            error = (f"every feed failed the same way ({local}): a problem of this machine or its settings (network "
                     "down, a too-small NEWSMON_MAX_BYTES?), not of the sources; none of them was slowed down")
            with self.engine.begin() as conn:
                load.forgive_failures(conn, [f.name for f in feeds if f.status != SKIPPED], datetime.now(timezone.utc))
        if error:
            status = "failed"
        elif self.stop.is_set():
            status, error = "interrupted", "interrupted: stopped by a signal; finished feeds are kept, a rerun does the rest"
        else:
            status = "ok" if counts["feeds_failed"] == 0 else "partial"
        try:
            with self.engine.begin() as conn:
                load.finish_run(conn, run_id, status, counts, error)
        except DBAPIError:
            if status != "failed":
                raise
            log.exception("could not record the end of run %s", run_id)
        try:
            refresh_summaries(self.engine)  # the views read the summaries: bring them up to what was committed
        except DBAPIError:
            if status != "failed":
                raise
            log.exception("could not refresh the summaries after run %s; `newsmon refresh` does it", run_id)
        return RunReport(run_id, status, counts, list(feeds))

    def close(self) -> None:
        if self._page_pool is not None:
            self._page_pool.shutdown()
            self._page_pool = None

    @property
    def page_pool(self) -> ThreadPoolExecutor:
        if self._page_pool is None:
            self._page_pool = ThreadPoolExecutor(self.fetcher.limits.workers, thread_name_prefix="page")
        return self._page_pool

    def story_index(self):
        """Recent articles' MinHashes, loaded once per pipeline object (and per process)."""
        with self._load_lock:
            if self._story_index is None:
                since = (datetime.now(timezone.utc) - timedelta(days=STORY_WINDOW_DAYS)).date()
                with self.engine.connect() as conn:
                    self._story_index = load.load_story_index(conn, since)
            return self._story_index

    def run_feed(self, feed: FeedSource, source_id: int, run_id: int, options: RunOptions = RunOptions()) -> "FeedReport":
        """Fetch and process one feed, then load it in one transaction. Bugs are recorded, not raised;
        warehouse errors are raised (the caller or Airflow retries)."""
        now = datetime.now(timezone.utc)
        if self.stop.is_set():
            return FeedReport(feed.name, SKIPPED, "the run was interrupted before this feed")
        with self.engine.connect() as conn:
            state = load.feed_state(conn, source_id)
            known = load.known_items(conn, source_id)
        retry_at = load.utc(state["next_fetch_after"])
        if options.respect_backoff and retry_at and retry_at > now:
            return FeedReport(feed.name, SKIPPED, f"failing feed slowed down until {retry_at:%Y-%m-%d %H:%M}")
        committed = []  # the load counts of each chunk committed

        def commit(batch: FeedBatch) -> None:
            committed.append(self._load(batch, run_id, now))

        try:
            batch = self.process_feed(feed, source_id, state, known, commit)
        except Exception as exc:  # a bug in one feed's processing must not stop the others
            log.exception("internal error while processing %s", feed.name)
            failure = FetchResult(feed.url, TEMPORARY, f"internal error: {type(exc).__name__}: {exc}")
            batch = FeedBatch(source_id, feed.name, failure, TEMPORARY, failure.reason, None,
                              fetches=[("feed", failure)])
        commit(batch)
        return FeedReport(feed.name, batch.feed_status, batch.feed_reason, batch.items_seen or len(batch.items),
                          *(sum(getattr(c, key) for c in committed)
                            for key in ("articles_new", "articles_updated", "items_failed", "articles_relevant")))

    def _load(self, batch: FeedBatch, run_id: int, now: datetime):
        """One transaction: a feed's batch (or one chunk of it) into the warehouse, then the story index."""
        index = self.story_index()
        with self._load_lock:
            with self.engine.begin() as conn:
                counts, additions = load.load_feed_batch(conn, batch, run_id, index, now)
            for addition in additions:
                index.add(*addition)
                # loads are serialized, so what this batch committed is all there is up to its highest id: the next
                # batch's catch-up need not read it back from the warehouse
                index.high_water = max(index.high_water, addition[0])
        return counts

    # ------------------------------------------------------------------ feed
    def process_feed(self, feed: FeedSource, source_id: int, state, known: dict[str, dict],
                     commit: Callable[[FeedBatch], None] | None = None) -> FeedBatch:
        """Network and CPU work for one feed; returns the batch to load. With `commit`, a feed with more than
        CHUNK_ITEMS items is committed chunk by chunk (the first chunk records every item, the rest as pending), so
        that an interruption keeps what was done and the next run takes up the rest."""
        headers = {}
        if state["etag"] and state["validators_trusted"]:
            headers["If-None-Match"] = state["etag"]
        if state["last_modified"] and state["validators_trusted"]:
            headers["If-Modified-Since"] = state["last_modified"]
        result = self.fetcher.fetch(state["feed_url"], headers)
        batch = FeedBatch(source_id, feed.name, result, result.status, result.reason, None)
        parsed = None
        if result.status == OK:
            parsed, result = self._read_feed(result, state, batch)
        batch.fetches.append(("feed", result))
        entries = parsed.entries if parsed else ()
        items = self._feed_items(entries, known)
        retry = [self._known_item(row) for h, row in known.items()
                 if row["state"] in RETRY_STATES and row["attempts"] < MAX_ITEM_ATTEMPTS and h not in
                 {i.url_hash for i in items}]
        todo = items + retry
        batch.items_seen = len(todo)
        if commit is None or len(todo) <= CHUNK_ITEMS:
            batch.items, batch.articles = self._process_items(feed, todo, batch)
            return batch
        for start in range(0, len(todo) - CHUNK_ITEMS, CHUNK_ITEMS):
            chunk = todo[start:start + CHUNK_ITEMS]
            outcomes, articles = self._process_items(feed, chunk, batch)
            later = todo[start + CHUNK_ITEMS:] if start == 0 else []  # recorded once, as pending, with the first chunk
            commit(replace(batch, items=outcomes + [i for i in later if i.state == "pending"], articles=articles,
                           items_seen=0))
            batch = replace(batch, fetches=[], feed_url=None)  # the feed's own fetch is logged with the first chunk
            self.progress(f"  {feed.name}: {start + len(chunk)}/{len(todo)} items committed")
        batch.items, batch.articles = self._process_items(feed, todo[len(todo) - (len(todo) - 1) % CHUNK_ITEMS - 1:],
                                                          batch)
        return batch

    def _read_feed(self, result: FetchResult, state, batch: FeedBatch) -> tuple[ParsedFeed | None, FetchResult]:
        body_hash = hashlib.sha256(result.body or b"").hexdigest()
        if body_hash == state["body_hash"]:
            result = replace(result, status=NOT_MODIFIED, reason="body unchanged since the last fetch (same hash)")
            batch.feed_status, batch.feed_reason = result.status, result.reason
            batch.feed_url = result.permanent_redirect  # the same working feed, at its new address
            return None, result
        parsed = parse_feed(result.body or b"", result.headers, result.final_url)
        if not parsed.is_feed:
            result = replace(result, status=NOT_A_FEED, reason=f"not a feed: {parsed.problem or 'no feed elements'}")
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
        return ItemOutcome(row["url_hash"], row["url"], row["guid"], row["title"], row["summary"],
                           row["published_raw"], load.utc(row["published_at"]), "pending",
                           attempts=row["attempts"])

    @staticmethod
    def _feed_items(entries, known: dict[str, dict]) -> list[ItemOutcome]:
        """New feed entries as items; unusable links are refused with their reason."""
        items: dict[str, ItemOutcome] = {}
        for entry in entries:
            if not entry.url:
                continue
            try:
                url = clean_url(check_url(entry.url))
                key = url_hash(url)
                state, error = "pending", None
            except (RefusedURL, ValueError) as exc:
                url, key, state, error = entry.url[:2000], hashlib.sha256(entry.url.encode()).hexdigest(), REFUSED, str(exc)
            previous = known.get(key)
            if key in items or (previous and previous["state"] not in RETRY_STATES):
                continue
            items[key] = ItemOutcome(key, url, entry.guid, entry.title, entry.summary, entry.published_raw,
                                     entry.published_at, state, error,
                                     attempts=previous["attempts"] if previous else 0, date_problem=entry.date_problem)
        return list(items.values())

    def _process_items(self, feed: FeedSource, items: list[ItemOutcome], batch: FeedBatch):
        todo = [i for i in items if i.state == "pending"]
        with self.engine.connect() as conn:
            stored = load.existing_articles(conn, [i.url_hash for i in todo])
        outcomes = [i for i in items if i.state == REFUSED]
        for item in items:
            if item.state == REFUSED:
                batch.fetches.append(("article", FetchResult(item.url, REFUSED, item.error or "refused")))
        fresh = [i for i in todo if i.url_hash not in stored]
        outcomes += [replace(i, state="done") for i in todo if i.url_hash in stored]
        cap = self.fetcher.limits.max_items_per_feed
        if len(fresh) > cap:  # a feed listing thousands of items: the rest waits for the next runs, recorded
            waiting = f"waiting: over this run's cap of {cap} new items per feed (NEWSMON_MAX_ITEMS_PER_FEED)"
            outcomes += [replace(i, state="failed", error=waiting) for i in fresh[cap:]]
            fresh = fresh[:cap]
        articles = []
        results = self.page_pool.map(lambda i: self.process_item(feed, i), fresh)
        for done, (outcome, article, fetches) in enumerate(results, 1):
            outcomes.append(outcome)
            batch.fetches.extend(fetches)
            if article is not None:
                articles.append(article)
            if done % PROGRESS_EVERY == 0 and done < len(fresh):
                self.progress(f"  {feed.name}: {done}/{len(fresh)} pages")
        return outcomes, articles

    # ------------------------------------------------------------------ article
    def process_item(self, feed: FeedSource, item: ItemOutcome):
        """Fetch, extract, clean and tag one article page. Returns (outcome, article or None, fetches)."""
        fetches: list[tuple[str, FetchResult]] = []
        if self.stop.is_set():  # not fetched: the next run picks it up (its attempts are not counted)
            return replace(item, state="failed", error="waiting: the run was interrupted"), None, fetches
        attempts = item.attempts + 1
        decision, robots_fetch = self.robots.check(item.url)
        if robots_fetch is not None:
            fetches.append(("robots", robots_fetch))
        if not decision.allowed:
            fetches.append(("article", FetchResult(item.url, REFUSED, decision.reason)))
            state = "failed" if "unavailable" in decision.reason else REFUSED
            return replace(item, state=state, error=decision.reason, attempts=attempts), None, fetches
        result = self.fetcher.fetch(item.url)
        fetches.append(("article", result))
        if result.status != OK:
            state = {TEMPORARY: "failed", REFUSED: REFUSED}.get(result.status, "gone")
            return replace(item, state=state, error=result.reason, attempts=attempts), None, fetches
        try:
            article = self.build_article(feed, item, result)
        except ExtractionTimeout as exc:  # the same page would take as long again: not retried
            return replace(item, state="gone", error=str(exc), attempts=attempts), None, fetches
        if article is None:
            return replace(item, state="gone", error="no article text found on the page", attempts=attempts), None, fetches
        return replace(item, state="done", error=None, attempts=attempts), article, fetches

    def build_article(self, feed: FeedSource, item: ItemOutcome, result: FetchResult) -> ArticleRecord | None:
        page_url = result.final_url or item.url
        limits = self.fetcher.limits
        extracted = extract_bounded(result.body or b"", page_url, self.rules, seconds=limits.page_seconds,
                                    isolate_bytes=limits.isolate_bytes, max_bytes=limits.max_extract_bytes,
                                    content_type=result.headers.get("content-type"), declared_language=feed.language)
        if not extracted.text:
            return None
        title = extracted.title or item.title
        key_url = extracted.canonical_url if _same_site(extracted.canonical_url, page_url) else page_url
        published, date_source = extracted.published_at, "page"
        if published is None and item.published_at is not None:
            published, date_source = item.published_at, "feed"
        day = published.date() if published else result.fetched_at.date()
        tags = self.tagger.tag(title, extracted.text, max_chars=limits.max_tag_chars)
        return ArticleRecord(
            url_hash=url_hash(key_url), url=clean_url(key_url), canonical_url=extracted.canonical_url,
            final_url=result.final_url, title=title, authors=extracted.authors, site_name=extracted.site_name,
            published_at=published, published_raw=extracted.published_raw or item.published_raw,
            date_problem=extracted.date_problem or item.date_problem,
            date_source=date_source if published else "fetched", day=day, fetched_at=result.fetched_at,
            language=extracted.language, declared_language=feed.language, extraction_method=extracted.method,
            text=extracted.text, text_hash=content_fingerprint(extracted.text),
            minhash=minhash_to_bytes(text_minhash(extracted.text)), raw_html=result.body or b"",
            content_type=result.headers.get("content-type"), tags=tags, item_url_hashes=(item.url_hash,),
            truncated="; ".join(filter(None, (extracted.truncated, tags.truncated))) or None,
        )


def _same_site(canonical: str | None, page_url: str) -> bool:
    """A canonical link is trusted only on the page's own host (a page cannot claim another site's URL)."""
    from urllib.parse import urlsplit

    if not canonical:
        return False
    return (urlsplit(canonical).hostname or "").removeprefix("www.") == \
        (urlsplit(page_url).hostname or "").removeprefix("www.")


def day_interval(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)
