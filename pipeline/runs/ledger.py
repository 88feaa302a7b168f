"""The run ledger: opens and closes the pipeline_runs row of a run, whatever the run does (live fetch, paged
archive, replay) and wherever its feeds are processed (one process, or Airflow tasks). It needs a warehouse only:
no fetcher, no tagger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from pipeline.config import FeedSource, TaxonomySpec
from pipeline.vocabulary import SUCCESSFUL_FETCHES, Counts, FetchStatus, RunMode, RunStatus
from pipeline.warehouse.db import upgrade
from pipeline.warehouse.pipeline_runs import close_stale_runs, finish_run, start_run
from pipeline.warehouse.sources import forgive_failures, sync_sources
from pipeline.warehouse.summaries import refresh_summaries
from pipeline.warehouse.tags import record_taxonomy
from pipeline.warehouse.trends import format_table, run_query

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class FeedReport:
    """How one feed (or one replayed source) went in a run; travels between Airflow tasks as `to_dict()`."""

    name: str
    status: FetchStatus
    reason: str
    counts: Counts = field(default_factory=Counts)  # items_seen and articles_* of this feed

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeedReport:
        return cls(data["name"], FetchStatus(data["status"]), data["reason"], Counts(**data.get("counts", {})))


@dataclass
class RunReport:
    run_id: int
    status: RunStatus
    counts: Counts
    feeds: list[FeedReport] = field(default_factory=list)


def local_fault(feeds: list[FeedReport]) -> str | None:
    """The shared cause when every fetched feed (at least two) failed the same way — no network, a name that
    resolves nowhere, a size cap smaller than any feed — which says more about this machine than about the sources."""
    fetched = [f for f in feeds if f.status != FetchStatus.SKIPPED]
    if len(fetched) < 2 or any(f.status in SUCCESSFUL_FETCHES for f in fetched):
        return None
    causes = {_failure_class(f.reason) for f in fetched}
    return causes.pop() if len(causes) == 1 and None not in causes else None


def _failure_class(reason: str) -> str | None:
    lowered = reason.lower()
    for cause, signs in (
        ("the byte cap", ("-byte cap",)),
        (
            "no network",
            (
                "cannot resolve",
                "connecterror",
                "network is unreachable",
                "connection refused",
                "temporary failure in name resolution",
            ),
        ),
    ):
        if any(sign in lowered for sign in signs):
            return cause
    return None


def run_counts(feeds: list[FeedReport], feeds_total: int) -> Counts:
    """A run's counts from its feeds' reports; feeds never reached (disabled, or not run) count as skipped."""
    counts = Counts(feeds_total=feeds_total)
    for report in feeds:
        counts += report.counts
        if report.status == FetchStatus.SKIPPED:
            counts.feeds_skipped += 1
        elif report.status in SUCCESSFUL_FETCHES:
            counts.feeds_ok += 1
        else:
            counts.feeds_failed += 1
    counts.feeds_total = feeds_total
    counts.feeds_skipped += max(0, feeds_total - len(feeds))
    return counts


class RunLedger:
    """Opens and closes runs in one warehouse."""

    def __init__(self, engine: Engine, progress: Progress | None = None):
        self.engine = engine
        self.progress = progress or (lambda message: None)

    def open(
        self,
        mode: RunMode,
        taxonomy: TaxonomySpec,
        interval: tuple[datetime, datetime] | None = None,
        triggered_by: str | None = None,
        feeds: list[FeedSource] | None = None,
        configured: bool = True,
    ) -> tuple[int, dict[str, int]]:
        """Migrate if needed, close the runs left open by processes that are gone, record the taxonomy version in use
        and the feed list (`configured`: the configured list, whose missing sources are disabled), open a
        pipeline_runs row. Returns the run id and the sources' ids by name."""
        now = datetime.now(UTC)
        upgrade(self.engine)
        with self.engine.begin() as conn:
            for stale in close_stale_runs(conn, now):
                self.progress(f"run {stale} was left running by a process that is gone: closed as abandoned")
            record_taxonomy(conn, taxonomy, now)
            source_ids = sync_sources(conn, feeds, now, configured=configured) if feeds is not None else {}
            run_id = start_run(conn, mode, now, interval, triggered_by, taxonomy.version)
        self.progress(f"run {run_id}: {len(feeds) if feeds is not None else 'all archived'} feeds")
        return run_id, source_ids

    def close(
        self,
        run_id: int,
        feeds: list[FeedReport],
        feeds_total: int,
        error: str | None = None,
        interrupted: bool = False,
    ) -> RunReport:
        """Close the run row with its counts — status ok, partial (some feed failed), interrupted or failed
        (`error`) — and bring the trend summaries up to what was committed."""
        counts = run_counts(feeds, feeds_total)
        local = local_fault(feeds)
        if local and not error:
            error = (
                f"every feed failed the same way ({local}): a problem of this machine or its settings (network "
                "down, a too-small NEWSMON_MAX_BYTES?), not of the sources; none of them was slowed down"
            )
            with self.engine.begin() as conn:
                forgive_failures(conn, [f.name for f in feeds if f.status != FetchStatus.SKIPPED], datetime.now(UTC))
        if error:
            status = RunStatus.FAILED
        elif interrupted:
            status = RunStatus.INTERRUPTED
            error = "interrupted: stopped by a signal; finished feeds are kept, a rerun does the rest"
        else:
            status = RunStatus.OK if counts.feeds_failed == 0 else RunStatus.PARTIAL
        try:
            with self.engine.begin() as conn:
                finish_run(conn, run_id, status, counts, error)
        except DBAPIError:
            if status != RunStatus.FAILED:
                raise
            log.exception("could not record the end of run %s", run_id)
        try:
            refresh_summaries(self.engine)  # the views read the summaries: bring them up to what was committed
        except DBAPIError:
            if status != RunStatus.FAILED:
                raise
            log.exception("could not refresh the summaries after run %s; `newsmon refresh` does it", run_id)
        return RunReport(run_id, status, counts, list(feeds))


def trend_summary(engine: Engine, report: RunReport) -> str:
    """Run totals, what failed and why, and the per-topic trend table."""
    counts = report.counts
    lines = [
        f"Run {report.run_id} ({report.status}): {counts.feeds_ok} of {counts.feeds_total} feeds fetched, "
        f"{counts.feeds_failed} failed, {counts.feeds_skipped} skipped; {counts.articles_new} new "
        f"articles, {counts.articles_failed} items failed or refused.",
    ]
    for feed in report.feeds:
        if feed.status not in SUCCESSFUL_FETCHES:
            lines.append(f"  feed {feed.name}: {feed.status} — {feed.reason}")
    columns, rows = run_query(engine, "topic_summary")
    lines += [
        "",
        "Russia–Iran coverage by topic (current taxonomy; stories count near-duplicates once):",
        format_table(columns, rows) if rows else "  (no relevant articles)",
    ]
    return "\n".join(lines)
