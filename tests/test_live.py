"""The whole pipeline against a real HTTP server on 127.0.0.1, into real SQLite and PostgreSQL warehouses."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from sqlalchemy import text

from pipeline.config import FeedSource, load_feeds
from pipeline.fetching.http import Fetcher
from pipeline.runs.live import Pipeline, RunOptions
from pipeline.sample.server import SITE_DIR, SampleSite
from pipeline.vocabulary import RunMode
from tests.faults import fault_routes

TABLES = ("sources", "articles", "feed_items", "raw_pages", "article_topics", "article_relevance", "article_sources")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}


def run_pipeline(engine, taxonomy, tagger, rules, limits, feeds):
    with Fetcher(limits) as fetcher:
        return Pipeline(engine, tagger, taxonomy, rules, fetcher).run(feeds, RunOptions(triggered_by="test"))


def feed(name, url):
    return FeedSource(name=name, url=url, site=None, language="en", country="GB", perspective="western")


@pytest.fixture
def site():
    with SampleSite(routes=fault_routes()) as server:
        yield server


def test_sample_site_loads_once_and_a_rerun_adds_nothing(engine, taxonomy, tagger, rules, limits, site):
    feeds = load_feeds(SITE_DIR / "feeds.yaml", base_url=site.base_url)
    first = run_pipeline(engine, taxonomy, tagger, rules, limits, feeds)
    assert first.status == "partial"  # the deliberately dead feed
    assert first.counts.feeds_ok == 3 and first.counts.feeds_failed == 1
    after_first = counts(engine)
    assert after_first["articles"] == 35  # 37 links: the tracking-parameter and AMP variants fold onto their pages
    assert after_first["raw_pages"] == 35
    second = run_pipeline(engine, taxonomy, tagger, rules, limits, feeds)
    assert counts(engine) == after_first
    assert second.counts.articles_new == 0
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(
                text(
                    "SELECT s.name, f.status FROM fetch_log f JOIN sources s ON s.id = f.source_id "
                    "WHERE f.kind = 'feed' AND f.run_id = :run"
                ),
                {"run": second.run_id},
            ).all()
        )
        story_of = dict(conn.execute(text("SELECT url, story_id FROM articles")).all())
    assert (
        statuses["Caspian Dispatch"] == "not_modified"
        and statuses["Defunct Bulletin (a feed that no longer exists)"] == "permanent"
    )
    manifest = yaml.safe_load((SITE_DIR / "manifest.yaml").read_text(encoding="utf-8"))["articles"]
    story_by_key: dict[str, set[int]] = {}
    for entry in manifest:
        story_by_key.setdefault(entry["story"], set()).add(story_of[f"{site.base_url}/{entry['path']}"])
    assert all(len(ids) == 1 for ids in story_by_key.values()), story_by_key  # syndicated copies: one story
    assert len(set(story_of.values())) == len(story_by_key)  # and no two different stories merged


def test_refused_links_and_bad_dates_are_recorded(engine, taxonomy, tagger, rules, limits, site):
    feeds = load_feeds(SITE_DIR / "feeds.yaml", base_url=site.base_url)
    run_pipeline(engine, taxonomy, tagger, rules, limits, feeds)
    with engine.connect() as conn:
        refused = dict(conn.execute(text("SELECT url, last_error FROM feed_items WHERE state = 'refused'")).all())
        problems = conn.execute(
            text("SELECT date_problem, date_source FROM articles WHERE date_problem IS NOT NULL")
        ).all()
        logged = conn.execute(
            text("SELECT COUNT(*) FROM fetch_log WHERE kind = 'article' AND status = 'refused'")
        ).scalar()
    assert "javascript:alert(1)" in refused and "scheme javascript" in refused["javascript:alert(1)"]
    assert any("robots.txt" in reason for reason in refused.values())
    assert logged == 2
    assert {p for p, _ in problems if "future" in p} and {p for p, _ in problems if "1990" in p}
    assert all(source != "page" for p, source in problems if "future" in p or "1990" in p)
    assert f"{site.base_url}/private/leak.html" not in [site.base_url + r for r in site.requests]


FAULT_FEEDS = {
    "500": ("/fault/500", "temporary"),
    "404": ("/fault/404", "permanent"),
    "304": ("/fault/304", "not_modified"),
    "slow": ("/fault/slow", "temporary"),
    "loop": ("/fault/loop-a", "permanent"),
    "private": ("/fault/to-metadata", "refused"),
    "oversized": ("/fault/oversized", "permanent"),
    "gzip bomb": ("/fault/gzip-bomb", "permanent"),
    "html": ("/fault/html", "not_a_feed"),
    "empty": ("/fault/empty", "not_a_feed"),
    "malformed": ("/fault/malformed", "ok"),
    "truncated": ("/fault/truncated", "temporary"),
}


def test_each_feed_fault_is_recorded_and_the_rest_loads(engine, taxonomy, tagger, rules, limits, site):
    limits = dataclasses.replace(limits, deadline=1.5, retries=0, private_allowlist=("127.0.0.1",))
    feeds = [feed(name, site.url(path)) for name, (path, _) in FAULT_FEEDS.items()]
    feeds.append(feed("good", site.url("/feeds/world.rss")))
    report = run_pipeline(engine, taxonomy, tagger, rules, limits, feeds)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.name, f.status, f.reason FROM fetch_log f JOIN sources s ON s.id = f.source_id "
                "WHERE f.kind = 'feed'"
            )
        ).all()
        state = dict(conn.execute(text("SELECT name, consecutive_failures FROM sources")).all())
        good_articles = conn.execute(
            text("SELECT COUNT(*) FROM articles a JOIN sources s ON s.id = a.source_id WHERE s.name = 'good'")
        ).scalar()
    recorded = {name: (status, reason) for name, status, reason in rows}
    for name, (_, expected) in FAULT_FEEDS.items():
        assert recorded[name][0] == expected, (name, recorded[name])
        assert recorded[name][1]  # every outcome has a reason
    assert recorded["good"][0] == "ok" and good_articles >= 10
    assert state["500"] == 1 and state["good"] == 0
    assert report.counts.feeds_failed == len([e for _, e in FAULT_FEEDS.values() if e not in ("ok", "not_modified")])


def test_a_failed_article_is_retried_by_the_next_run(engine, taxonomy, tagger, rules, limits):
    article = (SITE_DIR / "articles" / "su-35-deliveries-iran.html").read_bytes()
    calls = {"n": 0}

    def flaky_article(h):
        calls["n"] += 1
        if calls["n"] <= 2:  # first run: the attempt and its retry both fail
            return h.send_body(500, b"oops", "text/plain")
        return h.send_body(200, article.replace(b"{{BASE}}", h.server.base_url.encode()), "text/html")

    rss = (
        b'<rss version="2.0"><channel><title>t</title><item><title>Su-35</title>'
        b"<link>{{BASE}}/flaky.html</link></item></channel></rss>"
    )
    routes = {
        "/flaky.html": flaky_article,
        "/feed.rss": lambda h: h.send_body(
            200, rss.replace(b"{{BASE}}", h.server.base_url.encode()), "application/rss+xml"
        ),
    }
    with SampleSite(routes=routes) as server:
        feeds = [feed("flaky", server.url("/feed.rss"))]
        run_pipeline(engine, taxonomy, tagger, rules, limits, feeds)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT state, attempts FROM feed_items")).one() == ("failed", 1)
            assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar() == 0
        second = run_pipeline(engine, taxonomy, tagger, rules, limits, feeds)  # the feed body is unchanged
        with engine.connect() as conn:
            assert conn.execute(text("SELECT state, attempts FROM feed_items")).one() == ("done", 2)
            assert conn.execute(text("SELECT COUNT(*) FROM articles")).scalar() == 1
    assert second.counts.articles_new == 1


def test_permanent_redirect_updates_the_feed_url(engine, taxonomy, tagger, rules, limits, site):
    run_pipeline(engine, taxonomy, tagger, rules, limits, [feed("moved", site.url("/fault/moved"))])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT feed_url FROM sources")).scalar() == site.url("/fault/good.rss")


def test_copies_loaded_by_separate_processes_join_one_story(engine, taxonomy, tagger, rules, limits, sample_site):
    """Mapped Airflow tasks load feeds in parallel processes, each with its own in-memory story index."""

    def one_item_feed(path):
        rss = (
            b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
            b"<link>{{BASE}}/" + path.encode() + b"</link></item></channel></rss>"
        )
        return lambda h: h.send_body(200, rss.replace(b"{{BASE}}", h.server.base_url.encode()), "application/rss+xml")

    copies = [
        "articles/rasht-astara-rail-link-gets-russian-state-loan.html",
        "articles/russia-to-lend-iran-for-rasht-astara-railway.html",
    ]
    sample_site.server.routes.update({f"/copy{i}.rss": one_item_feed(path) for i, path in enumerate(copies)})
    feeds = [feed(f"copy{i}", sample_site.url(f"/copy{i}.rss")) for i in range(2)]
    with Fetcher(limits) as fetcher_a, Fetcher(limits) as fetcher_b:
        first = Pipeline(engine, tagger, taxonomy, rules, fetcher_a)
        second = Pipeline(engine, tagger, taxonomy, rules, fetcher_b)
        run_id, source_ids = first.ledger.open(RunMode.LIVE, taxonomy, feeds=feeds)
        first.run_feed(feeds[0], source_ids["copy0"], run_id)
        second.run_feed(feeds[1], source_ids["copy1"], run_id)
    with engine.connect() as conn:
        stories = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT story_id) FROM articles")).one()
    assert tuple(stories) == (2, 1)
