"""robots.txt that misbehaves, served for real from 127.0.0.1, and the documented policy of pipeline/fetching/robots.py:
2xx → obeyed (the first 500 KiB, read as UTF-8 with or without a BOM, else as Latin-1); 4xx → no restrictions;
5xx, 429, timeouts, or a redirect to a refused address → the site is disallowed for this run, retried next run."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from pipeline.config import FeedSource
from pipeline.fetching.http import Fetcher
from pipeline.fetching.robots import MAX_ROBOTS_BYTES, RobotsCache
from pipeline.runs.live import Pipeline, RunOptions
from pipeline.sample.server import SampleSite
from tests.faults import body, hang, redirect, status

RULES = b"User-agent: *\nDisallow: /private/\n"


@pytest.fixture(scope="module")
def server():
    with SampleSite() as running:
        yield running


def decide(server, limits, handler, path="/private/page.html"):
    """(decision, robots fetch, decision for another page) for one article URL when robots.txt is `handler`."""
    server.server.routes["/robots.txt"] = handler
    with Fetcher(limits) as fetcher:
        fetcher.sleep = lambda seconds: None
        cache = RobotsCache(fetcher, limits.user_agent)
        decision, fetched = cache.check(server.url(path))
        again, refetched = cache.check(server.url("/other.html"))
    assert refetched is None  # one robots.txt fetch per origin and run
    return decision, fetched, again


@pytest.fixture
def robots_limits(limits):
    return dataclasses.replace(limits, retries=0, deadline=1.0, private_allowlist=("127.0.0.1",))


@pytest.mark.parametrize(
    "name, data",
    [
        ("plain", RULES),
        ("utf-8 BOM", b"\xef\xbb\xbf" + RULES),  # a BOM before the first line must not hide its group
        ("CRLF", RULES.replace(b"\n", b"\r\n")),
        ("latin-1", "User-agent: *\nDisallow: /café/\nDisallow: /private/\n".encode("latin-1")),
    ],
)
def test_rules_are_obeyed_whatever_the_encoding(server, robots_limits, name, data):
    decision, fetched, other = decide(server, robots_limits, body(data, "text/plain"))
    assert not decision.allowed and decision.reason == "disallowed by robots.txt", name
    assert other.allowed and fetched.status == "ok"


def test_non_ascii_paths_of_a_latin_1_file_match_as_their_author_meant(server, robots_limits):
    data = "User-agent: *\nDisallow: /café/\n".encode("latin-1")
    decision, _, _ = decide(server, robots_limits, body(data, "text/plain"), "/caf%C3%A9/article.html")
    assert not decision.allowed


def test_a_huge_robots_txt_is_obeyed_for_its_first_500_kib(server, robots_limits):
    """Rules at the top are obeyed; whatever lies beyond 500 KiB is ignored (as Google documents)."""
    data = RULES + b"# filler\n" * (MAX_ROBOTS_BYTES // 9) + b"User-agent: *\nDisallow: /other.html\n"
    data += b"# more filler\n" * 500_000  # 7 MB in all, above the fetcher's size cap for any other body
    decision, fetched, other = decide(
        server, dataclasses.replace(robots_limits, max_bytes=1024 * 1024), body(data, "text/plain")
    )
    assert fetched.status == "ok" and fetched.size == MAX_ROBOTS_BYTES and "cut" in fetched.reason
    assert not decision.allowed
    assert other.allowed  # the rule past the first 500 KiB is ignored


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410])
def test_a_4xx_robots_txt_means_no_restrictions(server, robots_limits, code):
    decision, fetched, other = decide(server, robots_limits, status(code))
    assert decision.allowed and other.allowed and f"answered {code}" in decision.reason


@pytest.mark.parametrize(
    "name, handler",
    [
        ("500", status(500)),
        ("503", status(503, {"Retry-After": "3600"})),
        ("429", status(429)),
        ("timeout", hang),
        ("redirect to the metadata address", redirect("http://169.254.169.254/robots.txt")),
        ("redirect to a private address", redirect("http://10.0.0.1/robots.txt")),
        ("redirect to file:", redirect("file:///etc/passwd")),
    ],
)
def test_an_unavailable_robots_txt_disallows_the_site_for_this_run(server, robots_limits, name, handler):
    decision, fetched, other = decide(server, robots_limits, handler)
    assert not decision.allowed and not other.allowed, name
    assert "unavailable" in decision.reason and fetched.reason in decision.reason


def test_a_robots_txt_that_is_an_html_page_restricts_nothing(server, robots_limits):
    page = b"<!doctype html><html><body><h1>Welcome</h1><p>Disallow: /private/</p></body></html>"
    decision, _, _ = decide(server, robots_limits, body(page, "text/html"))
    assert decision.allowed


def test_the_pipeline_records_and_retries_what_robots_txt_held_back(engine, taxonomy, tagger, rules, limits):
    """robots.txt answers 503 on the first run: the article is recorded as failed with the reason, fetched on
    the next run when robots.txt is back. A permanently disallowed article is refused, never retried."""
    page = (
        b"<html><head><title>Treaty signed</title></head><body><article><p>"
        + b"Russia and Iran signed a comprehensive strategic partnership treaty in Moscow. " * 12
        + b"</p></article></body></html>"
    )
    rss = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>Open</title><link>{{BASE}}/news/open.html</link></item>"
        b"<item><title>Closed</title><link>{{BASE}}/private/closed.html</link></item></channel></rss>"
    )
    calls = {"n": 0}

    def flaky_robots(h):
        calls["n"] += 1
        return status(503)(h) if calls["n"] == 1 else body(RULES, "text/plain")(h)

    routes = {
        "/robots.txt": flaky_robots,
        "/feed.rss": body(rss),
        "/news/open.html": body(page, "text/html"),
        "/private/closed.html": body(page, "text/html"),
    }
    source = FeedSource(name="robots", url="", site=None, language="en", country="GB", perspective="western")
    with SampleSite(routes=routes) as site, Fetcher(dataclasses.replace(limits, retries=0)) as fetcher:
        feeds = [dataclasses.replace(source, url=site.url("/feed.rss"))]
        Pipeline(engine, tagger, taxonomy, rules, fetcher).run(feeds, RunOptions(triggered_by="test"))
        with engine.connect() as conn:
            first = dict(conn.execute(text("SELECT url, state FROM feed_items")).all())
            logged = conn.execute(text("SELECT status, reason FROM fetch_log WHERE kind = 'robots'")).one()
        with Fetcher(dataclasses.replace(limits, retries=0)) as second_fetcher:
            Pipeline(engine, tagger, taxonomy, rules, second_fetcher).run(feeds, RunOptions(triggered_by="test"))
        with engine.connect() as conn:
            second = dict(conn.execute(text("SELECT url, state FROM feed_items")).all())
            errors = dict(conn.execute(text("SELECT url, last_error FROM feed_items")).all())
            articles = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar()
    open_url, closed_url = site.url("/news/open.html"), site.url("/private/closed.html")
    assert first == {open_url: "failed", closed_url: "failed"}
    assert logged[0] == "temporary" and "503" in logged[1]
    assert second == {open_url: "done", closed_url: "refused"}
    assert errors[closed_url] == "disallowed by robots.txt" and articles == 1
    assert "/private/closed.html" not in site.requests


def test_a_utf_8_character_cut_at_the_size_cap_does_not_turn_the_file_into_latin_1():
    from pipeline.fetching.robots import _robots_text

    cut = "User-agent: *\nDisallow: /новости/\n# Иран".encode()[:-1]  # the last character loses a byte
    assert _robots_text(cut).startswith("User-agent: *\nDisallow: /новости/")
