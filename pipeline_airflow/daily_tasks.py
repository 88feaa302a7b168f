"""Task bodies of `news_daily`: plan a run (live fetch, archive replay or paged history), process one feed, close.

Jobs and reports that travel through XCom are small JSON dicts. A broken feed is recorded in its report and the
run goes on; only warehouse errors raise, so that Airflow retries the task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.vocabulary import RunMode, utc

log = logging.getLogger(__name__)

MODES = ("auto", RunMode.LIVE, RunMode.REPLAY, RunMode.ARCHIVE)
LIVE_WINDOW = timedelta(days=2)  # a run whose interval ended longer ago than this replays the archive


@dataclass(frozen=True)
class RunConfig:
    """What a run needs besides the warehouse: paths, limits and the feed list's {{BASE}}, from params."""

    feeds_path: Path
    taxonomy_path: Path
    cleaning_path: Path
    feeds_base_url: str | None
    settings: object  # pipeline.settings.Settings


def run_config(params: dict) -> RunConfig:
    """Params first, then the Variables newsmon_feeds_path / newsmon_taxonomy_path, then NEWSMON_* defaults."""
    from airflow.sdk import Variable

    from pipeline.fetching.netguard import narrow_private_allowlist
    from pipeline.settings import load_settings

    settings = load_settings()
    if settings.limits.cpu_workers == 0:  # NEWSMON_CPU_WORKERS unset: the mapped tasks are the parallelism
        settings = settings.with_limits(cpu_workers=1)
    if params.get("private_hosts"):  # anyone who may trigger the DAG sets params: they only narrow the deployment's
        settings = settings.with_limits(
            private_allowlist=narrow_private_allowlist(
                settings.limits.private_allowlist, params["private_hosts"], "param private_hosts"
            )
        )
    feeds = params.get("feeds_path") or Variable.get("newsmon_feeds_path", default=None) or settings.feeds_path
    taxonomy = (
        params.get("taxonomy_path") or Variable.get("newsmon_taxonomy_path", default=None) or settings.taxonomy_path
    )
    return RunConfig(
        Path(feeds), Path(taxonomy), settings.cleaning_path, params.get("feeds_base_url") or None, settings
    )


def run_interval(context) -> tuple[datetime, datetime]:
    """The run's data interval; runs without a logical date (manual, asset-triggered) get the 24 hours before
    they were queued."""
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is not None and end is not None and end > start:
        return utc(start), utc(end)
    run_after = utc(getattr(context["dag_run"], "run_after", None) or datetime.now(UTC))
    return run_after - timedelta(days=1), run_after


def choose_mode(requested: str, run_type: str, interval_end: datetime, now: datetime) -> str:
    """Backfills and runs for intervals long past replay the archive (feeds only show recent items)."""
    if requested not in MODES:
        raise ValueError(f"mode {requested!r} is not one of {', '.join(MODES)}")
    if requested != "auto":
        return requested
    if run_type == "backfill" or interval_end < now - LIVE_WINDOW:
        return RunMode.REPLAY
    return RunMode.LIVE


def _run_type(context) -> str:
    run_type = getattr(context["dag_run"], "run_type", "manual")
    return str(getattr(run_type, "value", run_type))


def plan_run(params: dict, context) -> list[dict]:
    """Open the warehouse run row; returns one job per feed, or per source for a replay, each naming its run.
    A run with nothing to do (no source to replay, no paged archive) is closed at once."""
    from pipeline.config import load_feeds, load_taxonomy
    from pipeline.runs.ledger import RunLedger
    from pipeline.runs.replay import archived_sources
    from pipeline_airflow.connection import warehouse_engine

    start, end = run_interval(context)
    mode = choose_mode(params.get("mode") or "auto", _run_type(context), end, datetime.now(UTC))
    config = run_config(params)
    taxonomy = load_taxonomy(config.taxonomy_path)
    tagger_for(taxonomy)  # a missing or stale model fails the plan, before any feed is fetched
    triggered_by = f"airflow {context['dag'].dag_id} {context['run_id']}"
    with warehouse_engine() as engine:
        ledger = RunLedger(engine)
        if mode == RunMode.REPLAY:
            run_id, _ = ledger.open(RunMode.REPLAY, taxonomy, (start, end), triggered_by)
            targets = archived_sources(engine, start, end)
        else:
            feeds = load_feeds(config.feeds_path, base_url=config.feeds_base_url)
            run_id, source_ids = ledger.open(RunMode(mode), taxonomy, (start, end), triggered_by, feeds)
            wanted = [f for f in feeds if f.enabled and (mode == RunMode.LIVE or f.archive == "wordpress_paged")]
            targets = {f.name: source_ids[f.name] for f in wanted}
        if not targets:
            ledger.close(run_id, [], 0)
    log.info("run %s: %s over [%s, %s), %d jobs", run_id, mode, start, end, len(targets))
    run = dict(run_id=run_id, mode=str(mode), start=start.isoformat(), end=end.isoformat(), jobs_total=len(targets))
    return [dict(run, feed=name, source_id=source_id) for name, source_id in targets.items()]


def tagger_for(taxonomy):
    """The taxonomy's trained tagger; a missing or stale model fails the task at once (retrying cannot help), with
    the message saying how to rebuild it."""
    from airflow.sdk.exceptions import AirflowFailException

    from pipeline.tagging import ModelError, load_tagger

    try:
        return load_tagger(taxonomy)
    except ModelError as exc:
        raise AirflowFailException(str(exc)) from None


def process_feed(job: dict, params: dict) -> dict:
    """Run one job: fetch one feed live, fetch its paged history, or replay one source's archive."""
    from pipeline.config import load_cleaning, load_feeds, load_taxonomy
    from pipeline.fetching.http import Fetcher
    from pipeline.runs.archive import load_archive_history
    from pipeline.runs.cpu import ArticleBuilder
    from pipeline.runs.live import Pipeline, RunOptions
    from pipeline.runs.replay import replay_source
    from pipeline_airflow.connection import warehouse_engine

    config = run_config(params)
    taxonomy, rules = load_taxonomy(config.taxonomy_path), load_cleaning(config.cleaning_path)
    start, end = datetime.fromisoformat(job["start"]), datetime.fromisoformat(job["end"])
    with warehouse_engine() as engine:
        if job["mode"] == RunMode.REPLAY:
            with ArticleBuilder(tagger_for(taxonomy), rules, config.settings.limits) as builder:
                return replay_source(engine, builder, job["source_id"], job["feed"], start, end).to_dict()
        feed = {f.name: f for f in load_feeds(config.feeds_path, base_url=config.feeds_base_url)}[job["feed"]]
        with Fetcher(config.settings.limits) as fetcher:
            pipeline = Pipeline(engine, tagger_for(taxonomy), taxonomy, rules, fetcher)
            try:
                if job["mode"] == RunMode.ARCHIVE:
                    report = load_archive_history(pipeline, feed, job["source_id"], job["run_id"], start, end)
                else:
                    options = RunOptions(interval=(start, end))
                    report = pipeline.run_feed(feed, job["source_id"], job["run_id"], options)
            finally:
                pipeline.close()
        return report.to_dict()


def finish_run(jobs: list[dict], reports: list[dict] | None) -> dict:
    """Close the warehouse run row with the feeds' counts; returns the run summary (also the asset event's extra)."""
    from pipeline.runs.ledger import FeedReport, RunLedger
    from pipeline.vocabulary import SUCCESSFUL_FETCHES, FetchStatus
    from pipeline_airflow.connection import warehouse_engine

    jobs = list(jobs or [])
    if not jobs:
        return {"run_id": None, "status": "ok", "mode": None, "jobs": 0}
    run = jobs[0]
    # index the mapped results instead of iterating: iteration probes one past the end, which Airflow logs as an error
    results = [reports[i] for i in range(len(reports))] if reports else []
    feeds = [FeedReport.from_dict(r) for r in results if r]
    with warehouse_engine() as engine:
        result = RunLedger(engine).close(run["run_id"], feeds, run["jobs_total"])
    for report in feeds:
        if report.status not in (*SUCCESSFUL_FETCHES, FetchStatus.SKIPPED):
            log.warning("feed %s: %s (%s)", report.name, report.status, report.reason)
    return {"run_id": result.run_id, "status": str(result.status), "mode": run["mode"], **result.counts.as_row()}
