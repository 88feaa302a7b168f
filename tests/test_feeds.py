"""Feed parsing from bytes: typed entries, problems reported beside the result, never an exception."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline.fetching.feeds import check_date, defuse_feed, parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>
<item><title>A &amp; B</title><link>https://example.org/a</link><guid>g1</guid>
<pubDate>Tue, 28 Jan 2025 09:30:00 +0300</pubDate><description>&lt;p&gt;Sum&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description></item>
<item><title>Future</title><link>/relative</link><pubDate>Mon, 01 Jan 2091 00:00:00 GMT</pubDate></item>
<item><title>Old</title><link>https://example.org/old</link><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_entries_are_typed_with_dates_in_utc():
    parsed = parse_feed(RSS, {"content-type": "application/rss+xml"}, "https://example.org/feed")
    assert parsed.is_feed and parsed.problem is None and parsed.version == "rss20"
    first, future, old = parsed.entries
    assert first.title == "A & B" and first.summary == "Sum" and first.guid.endswith("g1")
    assert first.published_at == datetime(2025, 1, 28, 6, 30, tzinfo=UTC)
    assert future.url == "https://example.org/relative"
    assert future.published_at is None and "in the future" in future.date_problem
    assert old.published_at is None and "before 1990" in old.date_problem


def test_html_and_empty_bodies_are_not_feeds():
    assert not parse_feed(b"<html><body><p>hello</p></body></html>", {"content-type": "text/html"}).is_feed
    empty = parse_feed(b"   ", {})
    assert not empty.is_feed and empty.problem == "empty body"


def test_malformed_feed_keeps_what_feedparser_recovers():
    data = b"<rss version='2.0'><channel><title>Broken & co</title><item><title>Kept</title><link>https://e.org/k</link></item><item><title>cut"
    parsed = parse_feed(data, {})
    assert parsed.is_feed and parsed.problem
    assert [e.title for e in parsed.entries][0] == "Kept"


def test_invalid_character_references_do_not_lose_the_feed():
    data = RSS.replace(b"A &amp; B", b"A &#xD800; B &#x110000; &#99999999999999999999;")
    parsed = parse_feed(data, {})
    assert len(parsed.entries) == 3
    assert parsed.entries[0].title.startswith("A ")


def test_entity_expansion_bomb_is_defused():
    lol = (
        b'<!DOCTYPE rss [<!ENTITY a "'
        + b"x" * 10000
        + b'">'
        + b"".join(b'<!ENTITY a%d "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' % i for i in range(6))
        + b"]>"
    )
    data = RSS.replace(b'<rss version="2.0">', lol + b'<rss version="2.0">').replace(b"A &amp; B", b"&a5;")
    started = time.monotonic()
    parsed = parse_feed(data, {})
    assert time.monotonic() - started < 5
    assert len(parsed.entries) == 3
    assert len(parsed.entries[0].title or "") < 1000
    assert b"<!ENTITY" not in defuse_feed(data)


def test_date_checks():
    now = datetime(2025, 2, 1, tzinfo=UTC)
    assert check_date(datetime(2025, 1, 31), now) == (datetime(2025, 1, 31, tzinfo=UTC), None)
    assert check_date(datetime(2025, 3, 1, tzinfo=UTC), now)[0] is None


def test_sample_site_feeds_parse(sample_site):
    root = Path(__file__).resolve().parent.parent / "pipeline" / "sample" / "site" / "feeds"
    for name in ("world.rss", "region.atom", "broken.rss"):
        data = (root / name).read_bytes().replace(b"{{BASE}}", sample_site.base_url.encode())
        parsed = parse_feed(data, {})
        assert parsed.is_feed and len(parsed.entries) >= 5, name
    assert parse_feed((root / "broken.rss").read_bytes(), {}).problem  # the malformed one is flagged
