"""Task bodies of `news_trends`: refresh the trend summaries, then run the data-quality checks, failing loudly."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def refresh(params: dict) -> dict[str, int]:
    from pipeline.warehouse.summaries import refresh_summaries
    from pipeline_airflow.connection import warehouse_engine

    with warehouse_engine() as engine:
        counts = refresh_summaries(engine)
    log.info("summaries refreshed: %s", counts)
    return counts


def check_quality(params: dict) -> list[str]:
    """Run every check; a failed one fails the task without retries, naming all that failed."""
    from airflow.sdk.exceptions import AirflowFailException

    from pipeline.warehouse.quality import Thresholds, run_quality_checks
    from pipeline_airflow.connection import warehouse_engine

    thresholds = Thresholds(float(params["max_feed_failure_share"]), float(params["min_coverage_share"]))
    with warehouse_engine() as engine:
        results = run_quality_checks(engine, thresholds)
    for result in results:
        (log.info if result.ok else log.error)("%s", result)
    failed = [str(r) for r in results if not r.ok]
    if failed:
        raise AirflowFailException("data-quality checks failed: " + " | ".join(failed))
    return [str(r) for r in results]
