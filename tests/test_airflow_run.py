"""news_daily, news_trends and news_retag run by real Airflow (`dag.test()`, SQLite metadata database) against the
bundled sample site on 127.0.0.1, into SQLite and PostgreSQL warehouses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import yaml
from sqlalchemy import text

import tests.airflow_env as airflow_env
from pipeline.sample.server import SITE_DIR, SampleSite
from pipeline.warehouse.db import make_engine
from tests.airflow_env import airflow_db  # noqa: F401 - session fixture

pytestmark = pytest.mark.airflow
TABLES = ("sources", "articles", "feed_items", "raw_pages", "article_topics", "article_relevance", "article_sources")
FOUNDING_ARTICLE = "articles/russia-iran-20-year-strategic-partnership.html"


@pytest.fixture
def dags():
    """Freshly parsed DAGs for each test (dag.test() keeps a run's conf in the DAG object's params)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(airflow_env.DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags


@pytest.fixture
def warehouse(warehouse_url, monkeypatch, airflow_db):
    """The news_warehouse connection pointed at a fresh warehouse, as AIRFLOW_CONN_NEWS_WAREHOUSE."""
    connection = {"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse_url}}
    monkeypatch.setenv("AIRFLOW_CONN_NEWS_WAREHOUSE", json.dumps(connection))
    engine = make_engine(warehouse_url)
    yield engine
    engine.dispose()


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}


def states(dag_run) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for ti in dag_run.get_task_instances():
        found.setdefault(ti.task_id, set()).add(str(ti.state))
    return found


def test_news_daily_live_then_again_then_a_past_day(dags, warehouse):
    dag = dags["news_daily"]
    with SampleSite() as site:
        conf = {
            "feeds_path": str(SITE_DIR / "feeds.yaml"),
            "feeds_base_url": site.base_url,
            "private_hosts": "127.0.0.1/32",
        }
        first = dag.test(run_conf=conf, logical_date=None)  # a manual run without a date: no data interval
        assert first.state == "success", states(first)
        assert states(first) == {"plan": {"success"}, "process_feed": {"success"}, "finish": {"success"}}
        after_first = counts(warehouse)
        second = dag.test(run_conf=conf)
        assert second.state == "success"
        assert counts(warehouse) == after_first
    past = dag.test(run_conf=conf, logical_date=datetime(2025, 1, 28, tzinfo=UTC))  # site down: replay
    assert past.state == "success", states(past)
    assert counts(warehouse) == after_first

    assert after_first["articles"] == after_first["raw_pages"] == 35
    manifest = yaml.safe_load((SITE_DIR / "manifest.yaml").read_text(encoding="utf-8"))["articles"]
    with warehouse.connect() as conn:
        runs = conn.execute(
            text(
                "SELECT mode, status, feeds_total, feeds_failed, articles_new, interval_start, "
                "interval_end FROM pipeline_runs ORDER BY id"
            )
        ).all()
        stories = conn.execute(text("SELECT COUNT(*) FROM stories")).scalar_one()
        founding = set(
            conn.execute(
                text("SELECT topic FROM article_tags_current WHERE url LIKE :u"), {"u": f"%{FOUNDING_ARTICLE}"}
            ).scalars()
        )
        archived_that_day = conn.execute(
            text(  # the replay maps one task per source with pages that day
                "SELECT COUNT(DISTINCT source_id) FROM articles WHERE day = :d"
            ),
            {"d": date(2025, 1, 27)},
        ).scalar_one()
    assert 0 < archived_that_day < 4
    assert [(r.mode, r.status, r.feeds_total, r.feeds_failed, r.articles_new) for r in runs] == [
        ("live", "partial", 4, 1, 35),
        ("live", "partial", 4, 1, 0),
        ("replay", "ok", archived_that_day, 0, 0),
    ]
    assert runs[0].interval_start is not None and runs[0].interval_end is not None
    assert str(runs[2].interval_start)[:10] == "2025-01-27" and str(runs[2].interval_end)[:10] == "2025-01-28"
    assert {"diplomacy", "defence"} <= founding

    trends = dags["news_trends"]
    checked = trends.test()
    assert checked.state == "success", states(checked)
    refreshed = next(ti for ti in checked.get_task_instances() if ti.task_id == "refresh").xcom_pull(task_ids="refresh")
    with warehouse.connect() as conn:
        weekly = conn.execute(text("SELECT COUNT(*) FROM topic_weekly")).scalar_one()
    assert weekly > 0 and refreshed and all(isinstance(n, int) for n in refreshed.values())
    strict = trends.test(run_conf={"min_coverage_share": 1.0})  # the sample site's dead feed is a coverage gap
    assert strict.state == "failed" and states(strict)["check_quality"] == {"failed"}

    # mapped tasks load feeds in separate processes; syndicated copies still join one story each
    assert stories == len({entry["story"] for entry in manifest})


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)  # retag itself is tested on both backends
def test_news_retag_writes_the_new_version_and_the_views_follow(dags, warehouse, tmp_path):
    from pipeline.config import load_taxonomy
    from pipeline.settings import PROJECT_ROOT

    taxonomy_file = PROJECT_ROOT / "config" / "taxonomy.yaml"
    with SampleSite() as site:
        conf = {
            "feeds_path": str(SITE_DIR / "feeds.yaml"),
            "feeds_base_url": site.base_url,
            "private_hosts": "127.0.0.1/32",
        }
        assert dags["news_daily"].test(run_conf=conf).state == "success"
    old = load_taxonomy(taxonomy_file).version
    revised = yaml.safe_load(taxonomy_file.read_text(encoding="utf-8"))
    revised["version"] = "retag-test-2"
    if revised.get("gazetteer"):  # a file named relative to the taxonomy: keep pointing at the real one
        revised["gazetteer"] = str(taxonomy_file.parent / revised["gazetteer"])
    (tmp_path / "taxonomy.yaml").write_text(yaml.safe_dump(revised, allow_unicode=True), encoding="utf-8")
    retag = dags["news_retag"]
    every_day = {
        "start_date": "2025-01-01",
        "end_date": "2026-12-31",
        "taxonomy_path": str(tmp_path / "taxonomy.yaml"),
        "dry_run": False,
        "make_current": True,
        "taxonomy_version": "",
    }  # complete: dag.test() keeps conf
    # a new taxonomy needs its model: without one the task fails at once (no retries), saying what to run
    untrained = retag.test(run_conf={**every_day, "dry_run": True})
    assert untrained.state == "failed"
    _train_small_model(load_taxonomy(tmp_path / "taxonomy.yaml"), tmp_path / "tagger-model.npz")
    dry = retag.test(run_conf={**every_day, "dry_run": True})
    assert dry.state == "success"
    with warehouse.connect() as conn:
        assert (
            conn.execute(
                text("SELECT COUNT(*) FROM article_relevance WHERE taxonomy_version = 'retag-test-2'")
            ).scalar_one()
            == 0
        )
    wrong = retag.test(run_conf={**every_day, "taxonomy_version": old})
    assert wrong.state == "failed"
    done = retag.test(run_conf={**every_day, "taxonomy_version": "retag-test-2"})
    assert done.state == "success"
    with warehouse.connect() as conn:
        versions = set(conn.execute(text("SELECT DISTINCT taxonomy_version FROM article_tags_current")).scalars())
        new_rows = conn.execute(
            text("SELECT COUNT(*) FROM article_relevance WHERE taxonomy_version = 'retag-test-2'")
        ).scalar_one()
    assert versions == {"retag-test-2"} and new_rows > 0


def _train_small_model(taxonomy, path) -> None:
    """`newsmon train` for a revised taxonomy, on a slice of the labelled data (quick; the retag is what is tested)."""
    from pipeline.evaluate import read_devset
    from pipeline.settings import PROJECT_ROOT
    from pipeline.tagging.training import train_model

    articles = read_devset(PROJECT_ROOT / "eval" / "devset")[::8]
    train_model(taxonomy, articles[::2], articles[1::2]).save(path)
