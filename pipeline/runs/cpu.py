"""The CPU stages — extraction, cleaning, tagging — on every core.

Fetching is I/O and stays in threads; building an article from a fetched page is CPU (about 35 ms to extract, 10 ms
to tag) and, in threads, shares one core under the GIL. `ArticleBuilder` runs it in a pool of worker processes, one
per core (`FetchLimits.cpu_workers`, NEWSMON_CPU_WORKERS), each holding its own tagger and cleaning rules, fed the
fetched bytes. With `cpu_workers == 1` it builds in the calling thread and starts no process. Memory stays bounded
by what is in flight (the page threads' pages, a replay or retag batch), not by the size of the run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from pipeline.config import CleaningRules, TaxonomySpec
from pipeline.fetching.limits import FetchLimits
from pipeline.records import ArticleRecord, ItemOutcome
from pipeline.runs.article import Page, build_article
from pipeline.tagging import Tagger, TaggerModel, TagResult

_worker: dict[str, Any] = {}  # in a worker process: its tagger, rules and limits


def _start_worker(
    spec: TaxonomySpec, model: TaggerModel | None, rules: CleaningRules | None, limits: FetchLimits
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a run stops, and finishes what is under way
    _worker.update(tagger=Tagger(spec, model), rules=rules, limits=limits)


def _build(page: Page, item: ItemOutcome, known_canonical: str | None) -> ArticleRecord | None:
    return build_article(page, item, _worker["rules"], _worker["tagger"], _worker["limits"], known_canonical)


def _tag(title: str | None, text: str, max_chars: int | None) -> TagResult:
    return _worker["tagger"].tag(title, text, max_chars=max_chars)


class ArticleBuilder:
    """Builds articles from pages and tags texts, in worker processes when `limits.cpu_workers` > 1. Thread-safe:
    the page threads of a run submit to it at once. Close it (or use it as a context manager) to stop the workers.
    Without cleaning rules it only tags."""

    def __init__(self, tagger: Tagger, rules: CleaningRules | None, limits: FetchLimits):
        self.tagger, self.rules, self.limits = tagger, rules, limits
        self.workers = limits.cpu_workers or os.cpu_count() or 1  # 0: one per core
        self._pool: Executor | None = None
        self._starting = threading.Lock()  # the page threads' first builds arrive together: one pool, not one each

    def __enter__(self) -> ArticleBuilder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pool(self) -> Executor | None:
        """The worker processes, started on first use (a run with no new page starts none)."""
        if self.workers > 1 and self._pool is None:
            with self._starting:
                if self._pool is None:
                    # spawn, not fork: the parent runs fetch threads and holds connections a forked child must not
                    # inherit
                    self._pool = ProcessPoolExecutor(
                        self.workers,
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=_start_worker,
                        initargs=(self.tagger.spec, self.tagger.model, self.rules, self.limits),
                    )
        return self._pool

    def build(self, page: Page, item: ItemOutcome, known_canonical: str | None = None) -> ArticleRecord | None:
        """The article of one page (build_article), on a worker when there are workers; ExtractionTimeout and
        every other error of the build are raised here, in the caller."""
        rules, pool = self._rules(), self.pool
        if pool is None:
            return build_article(page, item, rules, self.tagger, self.limits, known_canonical)
        return pool.submit(_build, page, item, known_canonical).result()

    def build_many(self, jobs: list[tuple[Page, ItemOutcome, str | None]]) -> list[ArticleRecord | Exception | None]:
        """build() for many pages, spread over the workers, in order; a page's error is returned in its place."""
        rules, pool = self._rules(), self.pool
        if pool is None:
            return [
                _guarded(build_article, page, item, rules, self.tagger, self.limits, canonical)
                for page, item, canonical in jobs
            ]
        futures = [pool.submit(_build, page, item, canonical) for page, item, canonical in jobs]
        return [_outcome(future) for future in futures]

    def tag_many(self, texts: Iterable[tuple[str | None, str]], max_chars: int | None = None) -> list[TagResult]:
        """Tag (title, text) pairs, spread over the workers, in order."""
        texts = list(texts)
        pool = self.pool
        if pool is None:
            return [self.tagger.tag(title, text, max_chars=max_chars) for title, text in texts]
        chunk = max(1, len(texts) // (4 * self.workers))
        titles, bodies = zip(*texts) if texts else ((), ())
        return list(pool.map(_tag, titles, bodies, [max_chars] * len(texts), chunksize=chunk))

    def _rules(self) -> CleaningRules:
        if self.rules is None:
            raise ValueError("this ArticleBuilder was made without cleaning rules: it only tags")
        return self.rules

    def close(self) -> None:
        with self._starting:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None


def _guarded(function, *args) -> Any:
    try:
        return function(*args)
    except Exception as exc:  # returned in the page's place, as from a worker
        return exc


def _outcome(future) -> Any:
    try:
        return future.result()
    except Exception as exc:
        return exc
