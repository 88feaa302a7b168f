"""End-to-end throughput: the whole pipeline (feeds, pages, extraction, cleaning, tagging, dedup, load, summary
refresh) over the generated loopback news site, into SQLite and PostgreSQL, at two run sizes. Reports articles per
second, the time per stage (summed over threads), the cost per article and the peak memory of each run."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import psutil

from .newssite import HOSTS, feed_sources, news_site
from .table import print_table, ratio

TARGET_PER_SECOND = 50
STAGES = ("fetch (network wait included)", "extract + clean", "tag", "load (feed transactions)", "refresh summaries")


class StageClock:
    """Seconds spent in each stage, summed over the threads that ran it."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def wrap(self, stage: str, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[stage] += time.perf_counter() - start

        return timed


class PeakMemory:
    """Peak resident memory of this process above its level at start, sampled every 20 ms."""

    def __init__(self):
        self.process, self.peak, self._stop = psutil.Process(), 0, threading.Event()

    def __enter__(self):
        self.base = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss - self.base)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@contextmanager
def warehouse(kind: str):
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'throughput.sqlite'}"
        return
    from .warehouse import bench_schema

    with bench_schema("bench_tp") as (url, _):
        yield url


@contextmanager
def instrumented(clock: StageClock):
    """Time the stages by wrapping the functions the runner calls (restored afterwards)."""
    from pipeline.fetching.http import Fetcher
    from pipeline.runs import article, ledger, live
    from pipeline.tagging import Tagger

    originals = [
        (article, "extract_bounded"),
        (live, "load_feed_batch"),
        (ledger, "refresh_summaries"),
        (Fetcher, "fetch"),
        (Tagger, "tag"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name in originals]
    for (owner, name, fn), stage in zip(saved, (STAGES[1], STAGES[3], STAGES[4], STAGES[0], STAGES[2])):
        setattr(owner, name, clock.wrap(stage, fn))
    try:
        yield
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)


def run_once(kind: str, feeds: int, items: int, latency: float, workers: int, per_host: int) -> dict:
    from pipeline.config import load_cleaning, load_taxonomy
    from pipeline.fetching.http import Fetcher
    from pipeline.runs.live import Pipeline
    from pipeline.settings import PROJECT_ROOT, FetchLimits
    from pipeline.tagging import load_tagger
    from pipeline.warehouse.db import make_engine, upgrade

    taxonomy = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
    limits = FetchLimits(
        deadline=30.0, retries=0, per_host_concurrency=per_host, workers=workers, private_allowlist=("127.0.0.0/8",)
    )
    clock = StageClock()
    with news_site(items, latency) as bases, warehouse(kind) as url:
        engine = make_engine(url)
        upgrade(engine)
        with instrumented(clock), PeakMemory() as memory, Fetcher(limits) as fetcher:
            pipeline = Pipeline(engine, load_tagger(taxonomy), taxonomy, rules, fetcher)
            start = time.perf_counter()
            report = pipeline.run(feed_sources(bases, feeds))
            wall = time.perf_counter() - start
        engine.dispose()
    articles = report.counts.articles_new
    return dict(
        kind=kind,
        articles=articles,
        wall=wall,
        stages=dict(clock.seconds),
        peak=memory.peak,
        failed=report.counts.articles_failed + report.counts.feeds_failed,
    )


def main(args) -> int:
    sizes = [(4, 25), (20, 50)] if args.quick else [(20, 50), (200, 50)]
    kinds = ["sqlite", "postgresql"] if not args.only else args.only.split(",")
    print(
        f"throughput benchmark: {len(HOSTS)} loopback hosts, {args.latency * 1000:.0f} ms server latency, "
        f"{args.workers} workers, {args.per_host} requests at once per host"
    )
    results = [
        run_once(kind, feeds, items, args.latency, args.workers, args.per_host)
        for feeds, items in sizes
        for kind in kinds
    ]
    rows = []
    for r in results:
        small = next(x for x in results if x["kind"] == r["kind"])
        per_article = r["wall"] / max(r["articles"], 1) * 1000
        small_per_article = small["wall"] / max(small["articles"], 1) * 1000
        rows.append(
            (
                r["kind"],
                r["articles"],
                f"{r['wall']:.1f}",
                f"{r['articles'] / r['wall']:.1f}",
                f"{per_article:.1f}",
                ratio(per_article, small_per_article),
                f"{r['peak'] / 2**20:.0f} MB",
                r["failed"],
            )
        )
    print_table(
        "End to end (new articles loaded; cost per article against the smaller run of the same warehouse)",
        ["warehouse", "articles", "seconds", "articles/s", "ms/article", "vs smaller run", "peak memory", "failures"],
        rows,
    )
    stage_rows = [
        (stage, *(f"{r['stages'].get(stage, 0.0) / max(r['articles'], 1) * 1000:.1f}" for r in results))
        for stage in STAGES
    ]
    print_table(
        "Time per stage per article (ms, summed over threads; stages overlap in time)",
        ["stage", *(f"{r['kind']} {r['articles']}" for r in results)],
        stage_rows,
    )
    return 0
