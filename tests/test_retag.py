"""Re-tagging stored articles under a new taxonomy version, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from pipeline.cli import main
from pipeline.config import FeedSource
from pipeline.runs.retag import current_version, pin_version, retag_articles
from pipeline.tagging import Tagger
from pipeline.warehouse.batches import load_feed_batch
from pipeline.warehouse.db import WarehouseError
from pipeline.warehouse.pipeline_runs import start_run
from pipeline.warehouse.sources import sync_sources
from pipeline.warehouse.tags import record_taxonomy

from .test_warehouse import NOW, article, batch_for

TEXTS = {
    "https://example.org/jets": (
        "Russia to deliver jets to Iran",
        "Russia will deliver Su-35 fighter jets and S-400 systems to Iran next year, "
        "and Putin and Pezeshkian signed a strategic partnership treaty in Moscow.",
    ),
    "https://example.org/weather": ("Snow in Tehran", "Heavy snow closed roads in Tehran on Monday."),
    "https://example.org/rail": ("Rail loan", "Russia will lend Iran 1.3 billion euros for the Rasht–Astara railway."),
}


def old_taxonomy(taxonomy):
    """The taxonomy as it was before defence terms were added: same rules, another version."""
    topics = tuple(replace(t, terms=(), weak=()) if t.id == "defence" else t for t in taxonomy.topics)
    return replace(taxonomy, version="2024.test", topics=topics)


@pytest.fixture
def loaded(engine, taxonomy):
    """A warehouse with three articles tagged under the old version, which is current."""
    old = old_taxonomy(taxonomy)
    tagger = Tagger(old)
    feed = FeedSource("Example", "https://example.org/rss", None, "en", "GB", "western")
    with engine.begin() as conn:
        record_taxonomy(conn, old, NOW)
        source_id = sync_sources(conn, [feed], NOW)["Example"]
        run_id = start_run(conn, "test", NOW, None, "test", old.version)
        records = [article(tagger, url, body, title) for url, (title, body) in TEXTS.items()]
        load_feed_batch(conn, batch_for(source_id, records), run_id, NOW)
    return engine


def rows(engine, table: str, version: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE taxonomy_version = :v"), {"v": version}).scalar()


def view_topics(engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT taxonomy_version, topic FROM article_tags_current")).all())


def test_a_dry_run_compares_and_writes_nothing(loaded, taxonomy):
    result = retag_articles(loaded, Tagger(taxonomy), dry_run=True)
    assert result.dry_run and result.articles == 3 and result.relevant == 2
    assert result.compared_with == "2024.test"
    assert result.topics_gained == {"defence": 1} and not result.topics_lost
    assert rows(loaded, "article_relevance", taxonomy.version) == 0
    assert "would tag 3 articles" in result.summary()


def test_retag_adds_the_new_versions_rows_and_is_idempotent(loaded, taxonomy):
    result = retag_articles(loaded, Tagger(taxonomy), batch_size=2)  # two batches
    assert result.articles == 3 and result.topics_gained == {"defence": 1}
    counts = {t: rows(loaded, t, taxonomy.version) for t in ("article_relevance", "article_topics", "article_entities")}
    assert counts["article_relevance"] == 3 and counts["article_topics"] >= 4 and counts["article_entities"] >= 4
    assert rows(loaded, "article_relevance", "2024.test") == 3  # the old version's tags stay
    assert current_version(loaded) == "2024.test"  # the caller decides when the views switch
    again = retag_articles(loaded, Tagger(taxonomy))
    assert again.articles == 3
    assert {t: rows(loaded, t, taxonomy.version) for t in counts} == counts


def test_views_read_the_current_version_and_can_be_pinned_back(loaded, taxonomy):
    assert ("2024.test", "defence") not in view_topics(loaded)
    retag_articles(loaded, Tagger(taxonomy))
    with loaded.begin() as conn:
        record_taxonomy(conn, taxonomy, datetime.now(UTC))
    assert current_version(loaded) == taxonomy.version
    assert (taxonomy.version, "defence") in view_topics(loaded)
    assert {v for v, _ in view_topics(loaded)} == {taxonomy.version}
    pin_version(loaded, "2024.test")
    assert current_version(loaded) == "2024.test"
    assert {v for v, _ in view_topics(loaded)} == {"2024.test"}
    with loaded.connect() as conn:  # the summary-backed trend views follow the pinned version too
        weekly = set(conn.execute(text("SELECT DISTINCT topic FROM topic_weekly")).scalars())
    assert weekly == {t for _, t in view_topics(loaded)} and "defence" not in weekly
    pin_version(loaded, taxonomy.version)
    with loaded.connect() as conn:
        assert "defence" in set(conn.execute(text("SELECT DISTINCT topic FROM topic_weekly")).scalars())
    with pytest.raises(WarehouseError, match="has no tags in this warehouse"):
        pin_version(loaded, "1999.1")


def test_retag_covers_only_the_days_asked_for(loaded, taxonomy):
    day = date(2025, 1, 28)
    assert retag_articles(loaded, Tagger(taxonomy), start=day, end=date(2025, 1, 29), dry_run=True).articles == 3
    assert retag_articles(loaded, Tagger(taxonomy), start=date(2025, 2, 1), dry_run=True).articles == 0
    assert retag_articles(loaded, Tagger(taxonomy), end=day, dry_run=True).articles == 0


@pytest.mark.slow  # `newsmon retag` starts a worker per core
def test_newsmon_retag_command(loaded, taxonomy, warehouse_url, capsys):
    assert main(["retag", "--warehouse", warehouse_url, "--dry-run"]) == 0
    assert "would tag 3 articles" in capsys.readouterr().out
    assert main(["retag", "--warehouse", warehouse_url, "--from", "2025-01-28", "--to", "2025-01-28"]) == 0
    out = capsys.readouterr().out
    assert f"tagged 3 articles with taxonomy {taxonomy.version}" in out
    assert f"trend views read taxonomy version {taxonomy.version}" in out
    with loaded.connect() as conn:  # the summary-backed trend views follow the switch at once
        assert "defence" in set(conn.execute(text("SELECT DISTINCT topic FROM topic_weekly")).scalars())
    assert main(["retag", "--warehouse", warehouse_url, "--pin", "2024.test"]) == 0
    assert current_version(loaded) == "2024.test"
    assert main(["retag", "--warehouse", warehouse_url, "--pin", "nope"]) == 2
    assert "has no tags" in capsys.readouterr().err
    assert main(["retag", "--warehouse", warehouse_url, "--from", "2025-02-02", "--to", "2025-02-01"]) == 2
