"""Schema from the migrations, idempotent loads, and the warehouse refusing to run on an old schema."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text

from pipeline.config import FeedSource
from pipeline.fetching.urls import url_hash
from pipeline.records import ArticleRecord, FeedBatch, FeedState, FetchResult, ItemOutcome
from pipeline.stories.minhash import minhash_to_bytes, text_minhash
from pipeline.textutil import content_fingerprint
from pipeline.warehouse.batches import load_feed_batch
from pipeline.warehouse.db import WarehouseError, alembic_config, make_engine, tables, upgrade
from pipeline.warehouse.pipeline_runs import start_run
from pipeline.warehouse.sources import sync_sources
from pipeline.warehouse.tags import record_taxonomy, replace_tags

NOW = datetime(2025, 1, 28, 12, tzinfo=UTC)
EXPECTED_TABLES = {
    "sources",
    "fetch_log",
    "articles",
    "article_sources",
    "feed_items",
    "raw_pages",
    "taxonomy_versions",
    "article_relevance",
    "article_topics",
    "pipeline_runs",
}


def test_upgrade_creates_tables_and_views_and_is_repeatable(engine):
    names = set(inspect(engine).get_table_names())
    assert names >= EXPECTED_TABLES
    assert {"topic_weekly", "coverage_daily", "stories"} <= set(inspect(engine).get_view_names())
    upgrade(engine)  # a second upgrade changes nothing and does not fail
    assert set(inspect(engine).get_table_names()) == names


def test_downgrade_then_upgrade(engine):
    config = alembic_config()
    with engine.begin() as conn:
        for view in inspect(engine).get_view_names():
            conn.execute(text(f"DROP VIEW IF EXISTS {view}"))
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert not (EXPECTED_TABLES & set(inspect(engine).get_table_names()))
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_an_unmigrated_warehouse_says_what_to_do(warehouse_url):
    engine = make_engine(warehouse_url)
    with pytest.raises(WarehouseError, match="run `newsmon db upgrade`"):
        tables(engine)
    engine.dispose()


def test_a_bad_url_is_a_clear_error():
    with pytest.raises(WarehouseError, match="not a SQLAlchemy URL"):
        make_engine("warehouse.sqlite")
    with pytest.raises(WarehouseError, match="cannot be 'mysql': use sqlite:///"):
        make_engine("mysql://root@127.0.0.1/test")


def test_postgres_scheme_means_postgresql():
    assert make_engine("postgres://postgres@127.0.0.1:5432/test").url.drivername == "postgresql+psycopg"


def test_a_bad_url_on_the_command_line_is_one_line_and_exit_2(capsys):
    from pipeline.cli import main

    assert main(["db", "upgrade", "--warehouse", "mysql://root@127.0.0.1/test"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "cannot be 'mysql'" in error


def test_two_processes_migrating_one_fresh_warehouse_both_succeed(warehouse_url):
    """Two `newsmon db upgrade` at once on a fresh warehouse: one migrates, the other waits and finds it done."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "pipeline.cli", "db", "upgrade", "--warehouse", warehouse_url]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    engine = make_engine(warehouse_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def article(tagger, url: str, text_body: str, title: str = "Russia and Iran sign a treaty") -> ArticleRecord:
    return ArticleRecord(
        url_hash=url_hash(url),
        url=url,
        canonical_url=None,
        final_url=url,
        title=title,
        authors=("A. Writer",),
        site_name="Site",
        published_at=NOW,
        published_raw="2025-01-28",
        date_problem=None,
        date_source="page",
        day=date(2025, 1, 28),
        fetched_at=NOW,
        language="en",
        declared_language="en",
        extraction_method="trafilatura",
        text=text_body,
        text_hash=content_fingerprint(text_body),
        minhash=minhash_to_bytes(text_minhash(text_body)),
        raw_html=b"<html>" + text_body.encode() + b"</html>",
        content_type="text/html",
        tags=tagger.tag(title, text_body),
        item_url_hashes=(url_hash(url),),
    )


def batch_for(source_id: int, articles: list[ArticleRecord]) -> FeedBatch:
    feed_fetch = FetchResult("https://example.org/rss", "ok", "2 entries", http_status=200, fetched_at=NOW)
    items = [ItemOutcome(a.url_hash, a.url, None, a.title, None, None, NOW, "done", attempts=1) for a in articles]
    return FeedBatch(
        source_id,
        "Example",
        "ok",
        "2 entries",
        FeedState('"e1"', None, "h" * 64),
        items=items,
        articles=articles,
        fetches=[("feed", feed_fetch)],
    )


TEXT = (
    "Presidents Putin and Pezeshkian signed a comprehensive strategic partnership treaty in Moscow. "
    "Russia will supply Iran with Su-35 fighter jets and S-400 air defence systems under the deal, officials said."
)


def counts(engine):
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
            for t in ("articles", "raw_pages", "article_topics", "article_relevance", "feed_items", "article_sources")
        }


def open_run(conn, taxonomy) -> tuple[int, int]:
    """Record the taxonomy, one example feed and a run: (source id, run id)."""
    feed = FeedSource("Example", "https://example.org/rss", None, "en", "GB", "western")
    record_taxonomy(conn, taxonomy, NOW)
    source_id = sync_sources(conn, [feed], NOW)["Example"]
    return source_id, start_run(conn, "test", NOW, None, "test", taxonomy.version)


def test_loading_the_same_batch_twice_changes_no_row_count(engine, tagger, taxonomy):
    with engine.begin() as conn:
        source_id, run_id = open_run(conn, taxonomy)
    first = article(tagger, "https://example.org/a", TEXT)
    copy_in_batch = article(tagger, "https://example.org/a?utm_source=x", TEXT)  # same key: removed before upsert
    syndicated = article(tagger, "https://other.example/b", TEXT + " Reporting by a wire service.")
    for _ in range(2):
        with engine.begin() as conn:
            result = load_feed_batch(conn, batch_for(source_id, [first, copy_in_batch, syndicated]), run_id, NOW)
        after = counts(engine)
        assert after["articles"] == 2 and after["raw_pages"] == 2 and after["article_relevance"] == 2
    assert result.articles_new == 0 and result.articles_updated == 2
    with engine.connect() as conn:
        stories = conn.execute(text("SELECT COUNT(DISTINCT story_id) FROM articles")).scalar()
        topics = set(conn.execute(text("SELECT topic FROM article_topics")).scalars())
        state = conn.execute(text("SELECT etag, body_hash, last_status FROM sources")).one()
    assert stories == 1  # the syndicated copy joined the first article's story
    assert {"diplomacy", "defence"} <= topics
    assert state == ('"e1"', "h" * 64, "ok")


def test_retagging_replaces_a_versions_rows(engine, tagger, taxonomy):
    with engine.begin() as conn:
        source_id, run_id = open_run(conn, taxonomy)
        load_feed_batch(conn, batch_for(source_id, [article(tagger, "https://example.org/a", TEXT)]), run_id, NOW)
        article_id = conn.execute(text("SELECT id FROM articles")).scalar()
        no_topics = tagger.tag("Weather", "It rained in Paris.")
        replace_tags(conn, [(article_id, no_topics)], NOW)
        assert conn.execute(text("SELECT COUNT(*) FROM article_topics")).scalar() == 0
        assert conn.execute(text("SELECT relevant FROM article_relevance")).scalar() in (False, 0)


def test_control_characters_never_reach_the_database(engine, tagger, taxonomy):
    from pipeline.extraction.clean import normalize_text

    dirty = normalize_text("Moscow and Tehran\x00 signed\ud800 a deal\x07.")
    assert dirty == "Moscow and Tehran signed a deal."
    with engine.begin() as conn:
        source_id, run_id = open_run(conn, taxonomy)
        load_feed_batch(conn, batch_for(source_id, [article(tagger, "https://example.org/c", dirty)]), run_id, NOW)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM articles")).scalar() == dirty


def test_removed_feeds_are_disabled_not_deleted(engine):
    feeds = [FeedSource(n, f"https://{n}.example/rss", None, "en", "GB", "western") for n in ("a", "b")]
    with engine.begin() as conn:
        sync_sources(conn, feeds, NOW)
        sync_sources(conn, feeds[:1], NOW)
        rows = dict(conn.execute(text("SELECT name, enabled FROM sources")).all())
    assert {k: bool(v) for k, v in rows.items()} == {"a": True, "b": False}
