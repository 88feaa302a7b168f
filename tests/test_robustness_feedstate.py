"""What the pipeline remembers about a feed when its server misbehaves: validators that lie (a 304 for changed
content, an ETag that never changes), failures by kind (slowed down, never deleted), pages that are not feeds,
permanent redirects to something that does not work, partial bodies, and the per-host limit across a whole run.
Every case runs the real pipeline against a real server on 127.0.0.1, into SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from pipeline.config import FeedSource
from pipeline.fetching.http import Fetcher
from pipeline.runs.live import Pipeline, RunOptions
from pipeline.sample.server import SampleSite
from tests.conftest import fresh_warehouse
from tests.faults import HTML_PAGE, InFlight, body, redirect, status, truncated

ITEM = "<item><title>{title}</title><link>{base}/gone/{slug}</link><guid>urn:story:{slug}</guid></item>"


def rss(base: str, *slugs: str) -> bytes:
    items = "".join(ITEM.format(title=f"Story {s}", base=base, slug=s) for s in slugs)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


class MisbehavingFeed:
    """A feed whose content the test changes between runs, served honestly or with one of the lies servers
    tell about validators. Records the conditional headers of every request."""

    def __init__(self, mode: str = "honest"):
        self.mode, self.slugs, self.seen = mode, ["a"], []
        self.etag, self.last_modified = '"v1"', "Tue, 28 Jan 2025 09:30:00 GMT"

    def __call__(self, h):
        self.seen.append((h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")))
        if self.mode == "html":
            return h.send_body(200, HTML_PAGE, "text/html", {"ETag": '"html"'})
        validators = {"ETag": self.etag, "Last-Modified": self.last_modified}
        matches = h.headers.get("If-None-Match") == self.etag
        if matches and self.mode in ("honest", "lying_304"):
            return h.send_body(304, b"", None, validators)
        return h.send_body(200, rss(h.server.base_url, *self.slugs), "application/rss+xml", validators)

    def change(self, *slugs: str, new_etag: bool) -> None:
        self.slugs = list(slugs)
        if new_etag:
            self.etag = f'"v{len(self.seen) + 2}"'


def feed(name: str, url: str) -> FeedSource:
    return FeedSource(name=name, url=url, site=None, language="en", country="GB", perspective="western")


def run(engine, taxonomy, tagger, rules, limits, feeds, respect_backoff=True):
    with Fetcher(limits) as fetcher:
        pipeline = Pipeline(engine, tagger, taxonomy, rules, fetcher)
        return pipeline.run(feeds, RunOptions(triggered_by="test", respect_backoff=respect_backoff))


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def guids(engine) -> set[str]:
    return {g.removeprefix("urn:story:") for (g,) in rows(engine, "SELECT guid FROM feed_items")}


@pytest.fixture
def fast(limits):
    return dataclasses.replace(limits, retries=0, deadline=2.0)


@pytest.fixture
def pipeline_run(engine, taxonomy, tagger, rules, fast):
    def go(feeds, **kwargs):
        return run(engine, taxonomy, tagger, rules, fast, feeds, **kwargs)

    return go


@pytest.fixture
def sqlite_engine(tmp_path):
    """For behaviour that does not depend on the database (the rest of this module runs on both)."""
    from pipeline.warehouse.db import make_engine, upgrade

    with fresh_warehouse("sqlite", tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def sqlite_run(sqlite_engine, taxonomy, tagger, rules, fast):
    def go(feeds, **kwargs):
        return run(sqlite_engine, taxonomy, tagger, rules, fast, feeds, **kwargs)

    return go


# ------------------------------------------------------------------ validators
def test_an_etag_that_never_changes_does_not_hide_new_content(engine, pipeline_run):
    """The server ignores If-None-Match and always sends the same ETag: the body hash tells what is new,
    and the validator that lied is no longer sent."""
    server_feed = MisbehavingFeed("constant_validators")
    with SampleSite(routes={"/feed.rss": server_feed}) as site:
        feeds = [feed("constant", site.url("/feed.rss"))]
        pipeline_run(feeds)
        second = pipeline_run(feeds)  # same body, same ETag
        server_feed.change("a", "b", new_etag=False)
        pipeline_run(feeds)
        caught = rows(engine, "SELECT etag, last_modified FROM sources")[0]
        server_feed.change("a", "b", "c", new_etag=False)
        pipeline_run(feeds)
    assert second.feeds[0].status == "not_modified" and "same hash" in second.feeds[0].reason
    assert guids(engine) == {"a", "b", "c"}
    assert server_feed.seen[2][0] == '"v1"'  # still trusted until it was caught lying on this request
    assert caught == (None, None)  # caught: the validators are dropped ...
    assert server_feed.seen[3] == (None, None)  # ... and the next request is unconditional


def test_a_304_for_changed_content_is_believed_for_two_days_at_most(engine, pipeline_run):
    server_feed = MisbehavingFeed("lying_304")
    with SampleSite(routes={"/feed.rss": server_feed}) as site:
        feeds = [feed("lying", site.url("/feed.rss"))]
        pipeline_run(feeds)
        server_feed.change("a", "b", new_etag=False)  # new content, the server still answers 304
        lied = pipeline_run(feeds)
        assert lied.feeds[0].status == "not_modified" and guids(engine) == {"a"}
        with engine.begin() as conn:  # the full fetch of the first run is now three days old
            conn.execute(
                text("UPDATE fetch_log SET fetched_day = :day, fetched_at = :at"),
                {"day": (datetime.now(UTC) - timedelta(days=3)).date(), "at": datetime.now(UTC) - timedelta(days=3)},
            )
        caught = pipeline_run(feeds)
    assert server_feed.seen[2] == (None, None)  # validators no longer trusted: an unconditional request
    assert caught.feeds[0].status == "ok"
    assert guids(engine) == {"a", "b"}


def test_a_bad_answer_advances_no_validator(sqlite_engine, sqlite_run):
    """HTML or an empty body where the feed was (not_a_feed), or a partial body (temporary): the next request
    still sends the validators of the last good feed, and no item is read from the bad answer."""
    engine = sqlite_engine
    bad_answers = {
        "html": body(HTML_PAGE, "text/html", {"ETag": '"bad"'}),
        "empty": body(b"", "application/rss+xml", {"ETag": '"bad"'}),
        "truncated": truncated,
    }
    good = {name: MisbehavingFeed("honest") for name in bad_answers}

    def once_bad(name):
        calls = {"n": 0}

        def handler(h):
            calls["n"] += 1
            return bad_answers[name](h) if calls["n"] == 2 else good[name](h)

        return handler

    with SampleSite(routes={f"/{name}.rss": once_bad(name) for name in bad_answers}) as site:
        feeds = [feed(name, site.url(f"/{name}.rss")) for name in bad_answers]
        sqlite_run(feeds)
        before = rows(engine, "SELECT name, etag, last_modified, body_hash FROM sources ORDER BY name")
        failed = {report.name: report for report in sqlite_run(feeds).feeds}
        after = rows(engine, "SELECT name, etag, last_modified, body_hash FROM sources ORDER BY name")
        for server_feed in good.values():
            server_feed.change("a", "b", new_etag=True)
        sqlite_run(feeds)
        logged = dict(
            rows(
                engine,
                "SELECT s.name, f.status FROM fetch_log f JOIN sources s ON s.id = f.source_id "
                "WHERE f.kind = 'feed' AND f.run_id = 2",
            )
        )
    expected = {"html": "not_a_feed", "empty": "not_a_feed", "truncated": "temporary"}
    assert {name: report.status for name, report in failed.items()} == expected == logged
    assert all(report.counts.items_seen == 0 and report.reason for report in failed.values())
    assert after == before
    assert all(server_feed.seen[-1][0] == '"v1"' for server_feed in good.values())  # the last good validators
    assert scalar(engine, "SELECT COUNT(*) FROM feed_items") == 6  # a and b of each feed, nothing from the bad


# ------------------------------------------------------------------ failures by kind
def failing_state(engine):
    return rows(engine, "SELECT name, consecutive_failures, next_fetch_after, enabled FROM sources ORDER BY name")


def test_failures_slow_a_feed_down_by_kind_and_never_delete_it(engine, pipeline_run, taxonomy):
    server_feed = MisbehavingFeed("honest")
    routes = {
        "/feed.rss": server_feed,
        "/gone.rss": status(410),
        "/missing.rss": status(404),
        "/broken.rss": status(500),
        "/html.rss": body(HTML_PAGE, "text/html"),
    }
    with SampleSite(routes=routes) as site:
        feeds = [feed(path.strip("/").removesuffix(".rss"), site.url(path)) for path in routes]
        pipeline_run(feeds)  # run 1: every failing feed fails once
        site.server.routes["/gone.rss"] = site.server.routes["/missing.rss"] = status(404)
        pipeline_run(feeds)  # run 2: permanent failures (404/410, not a feed) are now slowed down
        after_two = {name: (failures, retry_at) for name, failures, retry_at, _ in failing_state(engine)}
        pipeline_run(feeds)  # run 3: they are skipped; the 5xx feed fails a third time and is slowed down
        third = {name: failures for name, failures, _, _ in failing_state(engine)}
        skipped = rows(
            engine,
            "SELECT COUNT(*) FROM fetch_log f JOIN sources s ON s.id = f.source_id "
            "WHERE s.name = 'gone' AND f.kind = 'feed'",
        )[0][0]
    assert after_two["gone"][0] == 2 and after_two["gone"][1] is not None
    assert after_two["missing"][1] is not None and after_two["html"][1] is not None
    assert after_two["broken"] == (2, None)  # temporary failures get more patience
    assert third["broken"] == 3 and third["gone"] == 2  # the slowed feed was not fetched in run 3
    assert skipped == 2
    final = {name: (retry_at, enabled) for name, _, retry_at, enabled in failing_state(engine)}
    assert final["broken"][0] is not None and final["feed"] == (None, True)
    assert all(enabled for _, enabled in final.values())  # slowed down, never removed or disabled


def test_the_slowdown_grows_and_is_capped_by_kind():
    from pipeline.warehouse.sources import next_fetch_after

    now = datetime(2025, 1, 28, tzinfo=UTC)
    days = {
        kind: [
            (next_fetch_after(kind, n, now) - now).days if next_fetch_after(kind, n, now) else 0 for n in range(1, 12)
        ]
        for kind in ("temporary", "permanent", "not_a_feed", "refused")
    }
    assert days["temporary"] == [0, 0, 1, 2, 4, 7, 7, 7, 7, 7, 7]
    assert days["permanent"] == days["not_a_feed"] == days["refused"] == [0, 1, 2, 4, 8, 16, 30, 30, 30, 30, 30]
    assert next_fetch_after("ok", 0, now) is None and next_fetch_after("not_modified", 0, now) is None


def test_a_dead_feed_keeps_its_history_and_comes_back(sqlite_engine, sqlite_run):
    engine, pipeline_run = sqlite_engine, sqlite_run
    server_feed = MisbehavingFeed("honest")
    with SampleSite(routes={"/feed.rss": server_feed}) as site:
        feeds = [feed("comeback", site.url("/feed.rss"))]
        pipeline_run(feeds)
        site.server.routes["/feed.rss"] = status(410)
        for _ in range(2):
            pipeline_run(feeds, respect_backoff=False)  # forced, as `newsmon run --force` does
        dead = rows(engine, "SELECT consecutive_failures, next_fetch_after, last_status FROM sources")[0]
        assert dead[0] == 2 and dead[1] is not None and dead[2] == "permanent"
        assert guids(engine) == {"a"}  # what it published before it died is kept
        skipped = pipeline_run(feeds)
        assert skipped.feeds[0].status == "skipped" and "slowed down" in skipped.feeds[0].reason
        with engine.begin() as conn:  # time passes
            conn.execute(
                text("UPDATE sources SET next_fetch_after = :past"), {"past": datetime.now(UTC) - timedelta(minutes=1)}
            )
        server_feed.change("a", "b", new_etag=True)
        site.server.routes["/feed.rss"] = server_feed
        back = pipeline_run(feeds)
    assert back.feeds[0].status == "ok"
    assert rows(engine, "SELECT consecutive_failures, next_fetch_after FROM sources")[0] == (0, None)
    assert guids(engine) == {"a", "b"}
    assert scalar(engine, "SELECT COUNT(*) FROM fetch_log WHERE kind = 'feed'") == 4  # every attempt on record


# ------------------------------------------------------------------ permanent redirects
def test_the_stored_url_changes_only_on_a_permanent_redirect_to_a_working_feed(engine, pipeline_run):
    targets = {
        "/good.rss": True,  # 301 to a working feed: the stored URL follows
        "/missing.rss": False,  # 301 to a 404
        "/page.html": False,  # 301 to an HTML page
        "/cut.rss": False,  # 301 to a truncated body
        "/hop-302": False,  # 301 then 302: not moved for good
    }
    routes = {
        "/good.rss": body(rss("{{BASE}}", "a")),
        "/missing.rss": status(404),
        "/page.html": body(HTML_PAGE, "text/html"),
        "/cut.rss": truncated,
        "/hop-302": redirect("/good.rss", 302),
    }
    routes.update({f"/old{target}": redirect(target, 301) for target in targets})
    with SampleSite(routes=routes) as site:
        pipeline_run([feed(target, site.url(f"/old{target}")) for target in targets])
        stored = dict(rows(engine, "SELECT name, feed_url FROM sources"))
    assert stored == {target: site.url(target if moves else f"/old{target}") for target, moves in targets.items()}


def test_a_moved_feed_whose_body_is_unchanged_still_gets_its_new_url(sqlite_engine, sqlite_run):
    engine, pipeline_run = sqlite_engine, sqlite_run
    routes = {"/old.rss": body(rss("{{BASE}}", "a")), "/new.rss": body(rss("{{BASE}}", "a"))}
    with SampleSite(routes=routes) as site:
        feeds = [feed("moved", site.url("/old.rss"))]
        pipeline_run(feeds)
        site.server.routes["/old.rss"] = redirect("/new.rss", 301)  # the same bytes, now at a new address
        second = pipeline_run(feeds)
        stored = scalar(engine, "SELECT feed_url FROM sources")
    assert second.feeds[0].status == "not_modified"
    assert stored == site.url("/new.rss")


# ------------------------------------------------------------------ politeness across a run
def test_the_per_host_limit_holds_for_a_whole_run_of_many_feeds(sqlite_engine, taxonomy, tagger, rules, fast):
    """Twelve feeds and their article pages on one host, eight workers: the server never sees more than the
    per-host limit at once."""
    in_flight = InFlight(hold=0.03)
    routes = {f"/feed-{n}.rss": in_flight.wrap(body(rss("{{BASE}}", f"{n}-1", f"{n}-2"))) for n in range(12)}
    with SampleSite(routes=routes) as site:
        site.server.routes.update({f"/gone/{n}-{k}": in_flight.wrap(status(404)) for n in range(12) for k in (1, 2)})
        site.server.routes["/robots.txt"] = in_flight.wrap(body(b"User-agent: *\nAllow: /\n", "text/plain"))
        polite = dataclasses.replace(fast, per_host_concurrency=2, workers=8)
        report = run(
            sqlite_engine,
            taxonomy,
            tagger,
            rules,
            polite,
            [feed(f"f{n}", site.url(f"/feed-{n}.rss")) for n in range(12)],
        )
    assert report.counts.feeds_ok == 12
    assert in_flight.total == 12 + 24 + 1
    assert in_flight.peak == 2
    assert threading.active_count() < 50  # the run's thread pools are gone
