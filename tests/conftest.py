"""Shared fixtures: warehouses on real SQLite and real PostgreSQL, and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from pipeline.config import load_cleaning, load_taxonomy
from pipeline.settings import PROJECT_ROOT, FetchLimits
from pipeline.tagging import Tagger, load_tagger

POSTGRES_URL = os.environ.get("NEWSMON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("NEWSMON_REQUIRE_POSTGRES") == "1"


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}"


_PG_PROBLEM = _postgres_available()


@contextlib.contextmanager
def fresh_warehouse(kind: str, directory):
    """A fresh, empty warehouse URL: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'warehouse.sqlite'}"
        return
    if _PG_PROBLEM:
        if REQUIRE_POSTGRES:
            pytest.fail(_PG_PROBLEM)
        pytest.skip(_PG_PROBLEM)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


WAREHOUSE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=WAREHOUSE_KINDS)
def warehouse_url(request, tmp_path):
    with fresh_warehouse(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(warehouse_url):
    from pipeline.warehouse.db import make_engine, upgrade

    engine = make_engine(warehouse_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")


@pytest.fixture(scope="session")
def tagger(taxonomy):
    """The tagger the pipeline ships: the rules with the trained model (config/tagger-model.npz)."""
    return load_tagger(taxonomy)


@pytest.fixture(scope="session")
def rule_tagger(taxonomy):
    """The rules alone (the model's inputs), for tests that pin the rules' own behaviour."""
    return Tagger(taxonomy)


@pytest.fixture(scope="session")
def rules():
    return load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")


@pytest.fixture
def limits():
    """Fast limits for tests; loopback allowed explicitly because the test server lives there."""
    return FetchLimits(
        deadline=3.0,
        connect_timeout=1.0,
        max_bytes=256 * 1024,
        max_redirects=3,
        retries=1,
        backoff=0.01,
        max_retry_after=0.2,
        per_host_concurrency=4,
        workers=4,
        private_allowlist=("127.0.0.1/32",),
    )


@pytest.fixture
def sample_site():
    from pipeline.sample.server import SampleSite

    with SampleSite() as site:
        yield site


@pytest.fixture(scope="module", params=WAREHOUSE_KINDS)
def demo_warehouse(request, tmp_path_factory):
    """A warehouse filled once per module by the pipeline over the sample site (SQLite and PostgreSQL)."""
    from pipeline.config import load_feeds
    from pipeline.fetching.http import Fetcher
    from pipeline.runs.live import Pipeline, RunOptions
    from pipeline.sample.server import SITE_DIR, SampleSite
    from pipeline.warehouse.db import make_engine

    taxonomy = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    limits = FetchLimits(
        deadline=5.0, retries=0, per_host_concurrency=4, workers=4, private_allowlist=("127.0.0.1/32",)
    )
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("demo")) as url:
        engine = make_engine(url)
        with SampleSite() as site, Fetcher(limits) as fetcher:
            feeds = load_feeds(SITE_DIR / "feeds.yaml", base_url=site.base_url)
            rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
            Pipeline(engine, load_tagger(taxonomy), taxonomy, rules, fetcher).run(
                feeds, RunOptions(triggered_by="test")
            )
        yield engine
        engine.dispose()


SLOW_MODULES = {"test_corpus", "test_robustness_warehouse", "test_bench"}


def pytest_collection_modifyitems(config, items):
    """The fast tier (`pytest -m "not slow"`) leaves out real Airflow (and the monitor page it serves), the feed
    corpus, the killed-loader tests and the benchmarks' smoke runs; CI runs everything."""
    for item in items:
        if item.get_closest_marker("airflow") or item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
