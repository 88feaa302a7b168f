"""Data-quality checks on the warehouse, run after each load: each returns what it found beside a pass/fail, so
that a failure says exactly what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, text

from pipeline.vocabulary import LOADING_MODES

RECENT_RUNS = 5


@dataclass(frozen=True)
class Thresholds:
    max_feed_failure_share: float = 0.5  # of the latest loading run's feed fetches
    min_coverage_share: float = 0.5  # of expected feeds fetched on the latest day with fetches


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok' if self.ok else 'FAILED'} {self.name}: {self.detail}"


def check_run_counts(conn) -> CheckResult:
    """Articles first loaded by each recent finished run match the count that run logged."""
    rows = conn.execute(
        text(
            "SELECT r.id, r.articles_new, (SELECT COUNT(*) FROM articles a WHERE a.first_run_id = r.id) AS stored "
            "FROM pipeline_runs r WHERE r.status IN ('ok', 'partial') AND r.mode IN :modes "
            "ORDER BY r.id DESC LIMIT :n"
        ).bindparams(bindparam("modes", expanding=True)),
        {"modes": LOADING_MODES, "n": RECENT_RUNS},
    ).all()
    wrong = [
        f"run {r.id} logged {r.articles_new} new, warehouse holds {r.stored}"
        for r in rows
        if r.articles_new != r.stored
    ]
    return CheckResult("run_counts", not wrong, "; ".join(wrong) or f"{len(rows)} recent runs match their log")


def check_articles_have_sources(conn) -> CheckResult:
    """Every article is linked to at least one source that carried it."""
    orphans = conn.execute(
        text(
            "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM article_sources s WHERE s.article_id = a.id) "
            "OR NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = a.source_id)"
        )
    ).scalar_one()
    return CheckResult("articles_have_sources", orphans == 0, f"{orphans} articles without a source")


def check_feed_failures(conn, limit: float) -> CheckResult:
    """Share of failed feed fetches in the latest loading run."""
    run = conn.execute(
        text(
            "SELECT id FROM pipeline_runs WHERE status IN ('ok', 'partial', 'failed') AND mode IN :modes "
            "ORDER BY id DESC LIMIT 1"
        ).bindparams(bindparam("modes", expanding=True)),
        {"modes": LOADING_MODES},
    ).first()
    if run is None:
        return CheckResult("feed_failure_share", True, "no loading run yet")
    total, failed = conn.execute(
        text(
            "SELECT COUNT(*), SUM(CASE WHEN status IN ('ok', 'not_modified') THEN 0 ELSE 1 END) FROM fetch_log "
            "WHERE run_id = :run AND kind = 'feed'"
        ),
        {"run": run.id},
    ).one()
    share = (failed or 0) / total if total else 1.0
    return CheckResult(
        "feed_failure_share",
        share <= limit,
        f"run {run.id}: {failed or 0} of {total} feed fetches failed ({share:.0%}, limit {limit:.0%})",
    )


def check_coverage(conn, minimum: float) -> CheckResult:
    """On the latest day with feed fetches, enough of the expected feeds were fetched."""
    day = conn.execute(
        text("SELECT day, feeds_expected, feeds_ok, ok_share FROM coverage_summary_daily ORDER BY day DESC LIMIT 1")
    ).first()
    if day is None:
        return CheckResult("coverage", True, "no feed fetched yet")
    share = day.ok_share if day.ok_share is not None else 1.0
    return CheckResult(
        "coverage",
        share >= minimum,
        f"{day.day}: {day.feeds_ok} of {day.feeds_expected} expected "
        f"feeds fetched ({share:.0%}, minimum {minimum:.0%})",
    )


def run_quality_checks(engine: Engine, thresholds: Thresholds = Thresholds()) -> list[CheckResult]:
    with engine.connect() as conn:
        return [
            check_run_counts(conn),
            check_articles_have_sources(conn),
            check_feed_failures(conn, thresholds.max_feed_failure_share),
            check_coverage(conn, thresholds.min_coverage_share),
        ]
