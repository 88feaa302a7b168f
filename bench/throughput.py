"""End-to-end throughput: the whole pipeline (feeds, pages, extraction, cleaning, tagging, dedup, load, summary
refresh) over the generated loopback news site, into SQLite and PostgreSQL, at two run sizes. Reports articles per
second, the time per stage (summed over threads), the cost per article and the peak memory of each run."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager, suppress
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
    """Peak resident memory of this process and the children it starts meanwhile (the extraction workers) above
    this process's level at start, sampled every 20 ms. Children already running (the news site) do not count."""

    def __init__(self):
        self.process, self.peak, self._stop = psutil.Process(), 0, threading.Event()

    def __enter__(self):
        self.base = self.process.memory_info().rss
        self.before = {child.pid for child in self.process.children(recursive=True)}
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            rss = self.process.memory_info().rss
            for child in self.process.children(recursive=True):  # the extraction workers count too
                if child.pid in self.before:
                    continue
                with suppress(psutil.Error):
                    rss += child.memory_info().rss
            self.peak = max(self.peak, rss - self.base)

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


def run_once(
    kind: str, feeds: int, items: int, latency: float, workers: int, per_host: int, cpu: int = 1, replay: bool = False
) -> dict:
    from pipeline.config import load_cleaning, load_taxonomy
    from pipeline.fetching.http import Fetcher
    from pipeline.runs.live import Pipeline
    from pipeline.settings import PROJECT_ROOT, FetchLimits
    from pipeline.tagging import load_tagger
    from pipeline.warehouse.db import make_engine, upgrade

    taxonomy = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
    limits = FetchLimits(
        deadline=30.0,
        retries=0,
        per_host_concurrency=per_host,
        workers=workers,
        private_allowlist=("127.0.0.0/8",),
        cpu_workers=cpu,
    )
    clock = StageClock()
    with news_site(items, latency, separate_process=True) as bases, warehouse(kind) as url:
        engine = make_engine(url)
        upgrade(engine)
        with instrumented(clock), PeakMemory() as memory, Fetcher(limits) as fetcher:
            pipeline = Pipeline(engine, load_tagger(taxonomy), taxonomy, rules, fetcher)
            start = time.perf_counter()
            report = pipeline.run(feed_sources(bases, feeds))  # closes the pipeline: its workers are stopped
            wall = time.perf_counter() - start
        replays = replay_speed(engine, taxonomy, rules, limits) if replay else {}
        engine.dispose()
    articles = report.counts.articles_new
    return dict(
        kind=kind,
        cpu=cpu,
        replays=replays,
        articles=articles,
        wall=wall,
        stages=dict(clock.seconds),
        peak=memory.peak,
        failed=report.counts.articles_failed + report.counts.feeds_failed,
    )


def replay_speed(engine, taxonomy, rules, limits) -> dict[int, tuple[int, float]]:
    """`newsmon replay` of every stored article (no network), in this process and on one worker per core:
    {workers: (articles, seconds)}. The same code rebuilds the same rows, so only the time differs."""
    import os
    from dataclasses import replace
    from datetime import UTC, datetime

    from pipeline.runs.replay import replay_interval
    from pipeline.tagging import load_tagger

    tagger, speeds = load_tagger(taxonomy), {}
    for cpu in sorted({1, os.cpu_count() or 1}):
        start = time.perf_counter()
        report = replay_interval(
            engine,
            taxonomy,
            rules,
            datetime(1990, 1, 1, tzinfo=UTC),
            datetime(2100, 1, 1, tzinfo=UTC),
            tagger=tagger,
            limits=replace(limits, cpu_workers=cpu),
        )
        speeds[cpu] = (report.counts.items_seen, time.perf_counter() - start)
    return speeds


def main(args) -> int:
    import os

    sizes = [(4, 25), (20, 50)] if args.quick else [(20, 50), (200, 50)]
    kinds = ["sqlite", "postgresql"] if not args.only else args.only.split(",")
    cores = args.cpu or os.cpu_count() or 1
    print(
        f"throughput benchmark: {len(HOSTS)} loopback hosts, {args.latency * 1000:.0f} ms server latency, "
        f"{args.workers} workers, {args.per_host} requests at once per host; extraction and tagging in this process "
        f"and on {cores} worker processes (one per core), in the same run"
    )
    results = [
        run_once(kind, feeds, items, args.latency, args.workers, args.per_host, cpu, replay=(feeds, items) == sizes[-1])
        for feeds, items in sizes
        for kind in kinds
        for cpu in (1, cores)
        if not (cpu == 1 and cores == 1 and (feeds, items) != sizes[0])
    ]
    rows = []
    for r in results:
        small = next(x for x in results if x["kind"] == r["kind"] and x["cpu"] == r["cpu"])
        alone = next(x for x in results if x["kind"] == r["kind"] and x["cpu"] == 1 and x["articles"] == r["articles"])
        per_article = r["wall"] / max(r["articles"], 1) * 1000
        small_per_article = small["wall"] / max(small["articles"], 1) * 1000
        rows.append(
            (
                r["kind"],
                "this process" if r["cpu"] == 1 else f"{r['cpu']} workers",
                r["articles"],
                f"{r['wall']:.1f}",
                f"{r['articles'] / r['wall']:.1f}",
                ratio(alone["wall"], r["wall"]) if r["cpu"] > 1 else "1.00x",
                f"{per_article:.1f}",
                ratio(per_article, small_per_article),
                f"{r['peak'] / 2**20:.0f} MB",
                r["failed"],
            )
        )
    print_table(
        "End to end (new articles loaded; speed against one process, cost per article against the smaller run)",
        [
            "warehouse",
            "extraction",
            "articles",
            "seconds",
            "articles/s",
            "vs one process",
            "ms/article",
            "vs smaller run",
            "peak memory",
            "failures",
        ],
        rows,
    )
    replay_rows = [
        (
            r["kind"],
            "this process" if cpu == 1 else f"{cpu} workers",
            n,
            f"{seconds:.1f}",
            f"{n / seconds:.1f}",
            ratio(r["replays"][1][1], seconds),
        )
        for r in results
        if r["replays"] and r["cpu"] == 1
        for cpu, (n, seconds) in sorted(r["replays"].items())
    ]
    if replay_rows:
        print_table(
            "Replay of every stored article (newsmon replay: no network; rebuild, compare, rewrite)",
            ["warehouse", "extraction", "articles", "seconds", "articles/s", "vs one process"],
            replay_rows,
        )
    alone = [r for r in results if r["cpu"] == 1]
    stage_rows = [
        (stage, *(f"{r['stages'].get(stage, 0.0) / max(r['articles'], 1) * 1000:.1f}" for r in alone))
        for stage in STAGES
    ]
    print_table(
        "Time per stage per article, one process (ms, summed over threads; stages overlap in time)",
        ["stage", *(f"{r['kind']} {r['articles']}" for r in alone)],
        stage_rows,
    )
    return 0
