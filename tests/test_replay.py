"""Replay of the raw archive: no network, same rows before and after, tags follow the taxonomy in use."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from email.utils import format_datetime

import pytest
from sqlalchemy import text

from pipeline.config import FeedSource
from pipeline.fetching.http import Fetcher
from pipeline.runs.archive import archive_page_url, fetch_archive_entries, load_archive_history
from pipeline.runs.live import Pipeline
from pipeline.runs.replay import days_of, replay_interval
from pipeline.sample.server import SampleSite
from pipeline.tagging import Tagger
from pipeline.vocabulary import RunMode
from pipeline.warehouse.db import make_engine
from tests.conftest import WAREHOUSE_KINDS, fresh_warehouse
from tests.sample_warehouse import fill_from_sample_site

TABLES = (
    "sources",
    "articles",
    "feed_items",
    "raw_pages",
    "article_topics",
    "article_relevance",
    "article_sources",
    "fetch_log",
)
ALL_TIME = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
TREATY_WEEK = (datetime(2025, 1, 27, tzinfo=UTC), datetime(2025, 2, 3, tzinfo=UTC))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        articles = {
            r[0]: tuple(r[1:])
            for r in conn.execute(text("SELECT id, title, text, day, story_id, extraction_method FROM articles"))
        }
        topics = sorted(
            conn.execute(
                text("SELECT article_id, taxonomy_version, topic, evidence, evidence_start FROM article_topics")
            ).all()
        )
    return {"articles": articles, "topics": topics}


@pytest.fixture(scope="module", params=WAREHOUSE_KINDS)
def loaded(request, tmp_path_factory, taxonomy, tagger, rules):
    """One warehouse per backend, filled once from the sample site (shut down before any test body runs).
    The tests below leave it as they found it, except the last, which changes the taxonomy version."""
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("replay")) as url:
        engine = make_engine(url)
        fill_from_sample_site(engine, taxonomy, tagger, rules)
        yield engine
        engine.dispose()


def test_days_of_covers_the_half_open_interval():
    assert days_of(utc(2025, 1, 17), utc(2025, 1, 18)) == (date(2025, 1, 17), date(2025, 1, 18))
    assert days_of(utc(2025, 1, 17, 6), utc(2025, 1, 19, 6)) == (date(2025, 1, 17), date(2025, 1, 20))
    assert days_of(utc(2025, 1, 17), utc(2025, 1, 17)) == (date(2025, 1, 17), date(2025, 1, 18))


def test_replay_is_offline_and_idempotent(loaded, taxonomy, rules):
    before_counts, before = counts(loaded), snapshot(loaded)
    report = replay_interval(loaded, taxonomy, rules, *ALL_TIME, triggered_by="test")
    run_id, first = report.run_id, report.counts
    assert first.items_seen == before_counts["raw_pages"] == 35
    assert first.articles_failed == 0 and first.articles_updated == 0  # same code, same archive: nothing moves
    assert counts(loaded) == before_counts and snapshot(loaded) == before
    second = replay_interval(loaded, taxonomy, rules, *ALL_TIME).counts
    assert dataclasses.asdict(second) == dataclasses.asdict(first)
    with loaded.connect() as conn:
        run = conn.execute(
            text("SELECT mode, status, items_seen, articles_new, triggered_by FROM pipeline_runs WHERE id = :id"),
            {"id": run_id},
        ).one()
    assert tuple(run) == ("replay", "ok", 35, 0, "test")


def test_replay_restores_one_interval_and_leaves_the_rest(loaded, taxonomy, rules):
    before = snapshot(loaded)
    with loaded.begin() as conn:
        inside = (
            conn.execute(
                text("SELECT id FROM articles WHERE day >= :a AND day < :b ORDER BY id"),
                {"a": date(2025, 1, 27), "b": date(2025, 2, 3)},
            )
            .scalars()
            .all()
        )
        outside = (
            conn.execute(text("SELECT id FROM articles WHERE day < :a ORDER BY id"), {"a": date(2025, 1, 27)})
            .scalars()
            .all()
        )
        assert inside and outside
        damaged = [inside[0], outside[0]]
        for article_id in damaged:
            conn.execute(
                text("UPDATE articles SET text = 'damaged', title = 'damaged' WHERE id = :id"), {"id": article_id}
            )
            conn.execute(text("DELETE FROM article_topics WHERE article_id = :id"), {"id": article_id})
    result = replay_interval(loaded, taxonomy, rules, *TREATY_WEEK).counts
    assert result.articles_updated == 1
    after = snapshot(loaded)
    assert after["articles"][inside[0]] == before["articles"][inside[0]]
    assert after["articles"][outside[0]][:2] == ("damaged", "damaged")  # outside the interval: untouched
    restored = [t for t in after["topics"] if t[0] == inside[0]]
    assert restored == [t for t in before["topics"] if t[0] == inside[0]] and restored
    replay_interval(loaded, taxonomy, rules, *ALL_TIME)
    assert snapshot(loaded) == before


def test_replay_with_a_new_taxonomy_writes_the_new_version(loaded, taxonomy, rules, tagger):
    before_counts = counts(loaded)
    revised = dataclasses.replace(taxonomy, version="replay-test-2")
    replay_interval(loaded, revised, rules, *ALL_TIME, tagger=Tagger(revised, tagger.model))
    with loaded.connect() as conn:
        versions = dict(
            conn.execute(
                text("SELECT taxonomy_version, COUNT(*) FROM article_relevance GROUP BY taxonomy_version")
            ).all()
        )
        current = conn.execute(text("SELECT version FROM taxonomy_versions WHERE is_current = TRUE")).scalar_one()
        in_view = conn.execute(text("SELECT DISTINCT taxonomy_version FROM article_tags_current")).scalars().all()
    assert versions == {taxonomy.version: 35, "replay-test-2": 35}
    assert current == "replay-test-2" and in_view == ["replay-test-2"]
    assert counts(loaded)["articles"] == before_counts["articles"]


# ---------------------------------------------------------------- paged archive

PAGES = {  # archive page -> (article page, publication time); newest first, as WordPress serves them
    1: [
        ("articles/russian-wheat-exports-iran.html", utc(2025, 1, 26, 9)),
        ("articles/gazprom-gas-supplies-iran.html", utc(2025, 1, 20, 9)),
    ],
    2: [
        ("articles/lavrov-araghchi-caspian-talks.html", utc(2025, 1, 14, 9)),
        ("articles/russia-iran-trade-turnover-2024.html", utc(2025, 1, 12, 9)),
    ],
    3: [("articles/iran-china-trade-january.html", utc(2025, 1, 2, 9))],
}


def paged_feed(handler):
    """A WordPress-style feed: ?paged=N serves page N, a page past the end is a 404."""
    from urllib.parse import parse_qs, urlsplit

    page = int(parse_qs(urlsplit(handler.path).query).get("paged", ["1"])[0])
    if page not in PAGES:
        return handler.send_body(404, b"no such page", "text/plain")
    base = handler.server.base_url
    items = "".join(
        f"<item><title>{path}</title><link>{base}/{path}</link><guid>{base}/{path}</guid>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for path, when in PAGES[page]
    )
    body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>WP</title>{items}</channel></rss>"
    return handler.send_body(200, body.encode(), "application/rss+xml")


def test_archive_page_url_keeps_other_parameters():
    assert archive_page_url("https://e.org/feed/?lang=en", 1) == "https://e.org/feed/?lang=en"
    assert archive_page_url("https://e.org/feed/?paged=9&lang=en", 3) == "https://e.org/feed/?lang=en&paged=3"


def test_paged_archive_history_for_an_interval(engine, taxonomy, tagger, rules, limits):
    with SampleSite(routes={"/wp/feed/": paged_feed}) as site, Fetcher(limits) as fetcher:
        feed = FeedSource(
            name="WP archive",
            url=f"{site.base_url}/wp/feed/",
            site=None,
            language="en",
            country="GB",
            perspective="regional",
            archive="wordpress_paged",
        )
        entries, fetches = fetch_archive_entries(fetcher, feed, utc(2025, 1, 13), utc(2025, 1, 21))
        assert [e.title for e in entries] == [
            "articles/gazprom-gas-supplies-iran.html",
            "articles/lavrov-araghchi-caspian-talks.html",
        ]
        assert len(fetches) == 2  # page 2 already reaches back past the interval's start: page 3 is not fetched
        pipeline = Pipeline(engine, tagger, taxonomy, rules, fetcher)
        run_id, source_ids = pipeline.ledger.open(RunMode.ARCHIVE, taxonomy, feeds=[feed])
        report = load_archive_history(pipeline, feed, source_ids[feed.name], run_id, utc(2025, 1, 13), utc(2025, 1, 21))
        again = load_archive_history(pipeline, feed, source_ids[feed.name], run_id, utc(2025, 1, 13), utc(2025, 1, 21))
        pipeline.close()
    assert (report.status, report.counts.articles_new, again.counts.articles_new) == ("ok", 2, 0)
    assert counts(engine)["articles"] == 2 and counts(engine)["raw_pages"] == 2
