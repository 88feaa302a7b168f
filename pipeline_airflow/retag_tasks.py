"""Task body of `news_retag`: re-tag stored articles of a date range with the taxonomy file in use."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, timedelta

log = logging.getLogger(__name__)


def retag_range(params: dict) -> dict:
    """Call pipeline.runs.retag.retag_articles over [start_date, end_date] (end inclusive); unless it is a dry run,
    pin the version for the trend views when `make_current` is set."""
    from airflow.sdk.exceptions import AirflowFailException

    from pipeline.config import load_taxonomy
    from pipeline.runs.retag import retag_articles
    from pipeline.warehouse.db import upgrade
    from pipeline_airflow.connection import warehouse_engine
    from pipeline_airflow.daily_tasks import run_config, tagger_for

    start, last = date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
    if last < start:
        raise AirflowFailException(f"end_date {last} is before start_date {start}")
    taxonomy = load_taxonomy(run_config(params).taxonomy_path)
    wanted = (params.get("taxonomy_version") or "").strip()
    if wanted and wanted != taxonomy.version:
        raise AirflowFailException(
            f"taxonomy_version {wanted!r} was asked for, but the taxonomy file is version "
            f"{taxonomy.version!r}; change the file or the param"
        )
    tagger = tagger_for(taxonomy)
    with warehouse_engine() as engine:
        upgrade(engine)
        result = retag_articles(
            engine,
            tagger,
            start,
            last + timedelta(days=1),
            params["dry_run"],
            make_current=params.get("make_current", True),
        )
    summary = dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result
    log.info(
        "retag %s..%s with taxonomy %s (dry run: %s): %s", start, last, taxonomy.version, params["dry_run"], summary
    )
    return {"taxonomy_version": taxonomy.version, "dry_run": params["dry_run"], "result": _jsonable(summary)}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
