"""Hostile feed documents: entity and attribute bombs in every encoding feedparser reads, CPU bombs aimed at our
own defusing, references and names that make feedparser raise, out-of-range dates and unstorable characters.
Time and memory are bounded per feed; no entry is lost."""

from __future__ import annotations

import io
import time
import tracemalloc

import feedparser
import pytest

from pipeline.fetching.feeds import defuse_feed, parse_feed

ITEM = b"<item><title>%s</title><link>http://example.org/%d</link><guid>g%d</guid>%s</item>"


def rss(*items: bytes, prolog: bytes = b"", encoding: str = "utf-8") -> bytes:
    body = (
        f'<?xml version="1.0" encoding="{encoding}"?>'.encode() + prolog + b'<rss version="2.0"><channel>'
        b"<title>Hostile</title><link>http://example.org/</link>" + b"".join(items) + b"</channel></rss>"
    )
    return body.decode("utf-8").encode(encoding) if encoding.lower() != "utf-8" else body


def item(n: int, title: bytes = b"Title", extra: bytes = b"") -> bytes:
    return ITEM % (title, n, n, extra)


def measured(function, *args):
    """(result, seconds, peak traced bytes) of one call."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = function(*args)
    finally:
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak


def entity_bomb(encoding: str) -> bytes:
    """One 10,000-character entity referenced 600 times: 24 KB on the wire, 6 MB once expanded (below
    expat's own 8 MiB amplification guard, so only our defusing stands in the way)."""
    prolog = b'<!DOCTYPE rss [<!ENTITY big "' + b"x" * 10_000 + b'">]>'
    return rss(item(1, b"&big;" * 600), item(2), prolog=prolog, encoding=encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be", "utf-32", "cp037"])
def test_entity_expansion_is_defused_in_every_encoding(encoding):
    data = entity_bomb(encoding)
    reference = feedparser.parse(io.BytesIO(data))
    assert len(reference.entries[0].title) == 6_000_000  # the bomb is real: plain feedparser expands it
    parsed, seconds, peak = measured(parse_feed, data, {})
    assert [e.guid for e in parsed.entries] == ["g1", "g2"]
    assert len(parsed.entries[0].title) < 10_000
    assert seconds < 5 and peak < 4 * 1024 * 1024  # memory is what a bomb attacks


def test_attribute_default_bomb_is_defused():
    """A DTD default attribute is copied onto every element that lacks it."""
    prolog = b'<!DOCTYPE rss [<!ATTLIST category domain CDATA "' + b"d" * 20_000 + b'">]>'
    data = rss(*(item(n, extra=b"<category>c</category>" * 50) for n in range(20)), prolog=prolog)
    parsed, seconds, peak = measured(parse_feed, data, {})
    assert len(parsed.entries) == 20
    assert seconds < 5 and peak < 8 * 1024 * 1024


def test_a_declaration_hidden_in_a_comment_of_the_prolog_is_not_re_inserted():
    """feedparser copies `<!ENTITY` lines it finds before the root (even inside a comment) into a DOCTYPE."""
    prolog = b'<!DOCTYPE rss []>\n<!--\n<!ENTITY big "' + b"x" * 10_000 + b'">\n-->\n'
    parsed = parse_feed(rss(item(1, b"&big;" * 600), prolog=prolog), {})
    assert len(parsed.entries) == 1 and len(parsed.entries[0].title) < 10_000


def test_a_declaration_keyword_in_a_comment_does_not_swallow_the_comment_end():
    prolog = b"<!-- see <!ENTITY/docs?a=1 and <!ATTLIST here -->"
    parsed = parse_feed(rss(item(1), item(2), prolog=prolog), {})
    assert [e.guid for e in parsed.entries] == ["g1", "g2"] and parsed.problem is None


@pytest.mark.parametrize(
    "pattern",
    [
        b"<!DOCTYPE x [",
        b"<!ENTITY ",
        b'<!ENTITY a "',
        b"<!ATTLIST a b c d ",
        b"<!ENTITY % p PUBLIC 'x' ",
        b"&#x" + b"1" * 40,
        b"]" + b" " * 40,
    ],
)
def test_defusing_is_linear_on_adversarial_input(pattern):
    """Each pattern repeated into 2 MB: a regex that rescans the rest of the document per match would take hours."""
    data = pattern * (2_000_000 // len(pattern))
    started = time.monotonic()
    defuse_feed(data)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "reference", [b"&#xD800;", b"&#55296;", b"&#x110000;", b"&#99999999999999999999;", b"&#x0000000000041;", b"&#0;"]
)
def test_character_references_feedparser_raises_on_in_a_malformed_feed(reference):
    """In a malformed feed the loose parser meets the reference (test_feeds covers the well-formed case)."""
    data = rss(item(1, b"A " + reference + b" B"), item(2, b"unclosed <b>"))
    parsed = parse_feed(data, {})
    assert [e.guid for e in parsed.entries] == ["g1", "g2"]
    assert parsed.entries[0].title.startswith("A ") and parsed.entries[0].title.endswith(" B")


def test_white_space_in_a_namespace_uri_does_not_lose_the_feed():
    """Non-breaking spaces are not XML white space, so expat accepts them; the SAX reader then splits on them."""
    data = rss(item(1, extra=b"<x:note>n</x:note>"), item(2)).replace(
        b'<rss version="2.0">', b'<rss version="2.0" xmlns:x="http://example.org/a\xc2\xa0b\xc2\xa0c">'
    )
    with pytest.raises(ValueError):
        feedparser.parse(io.BytesIO(data))  # feedparser's strict parser raises: every entry would be lost
    parsed = parse_feed(data, {})
    assert [e.guid for e in parsed.entries] == ["g1", "g2"]


@pytest.mark.parametrize(
    "date", [b"0000-01-01T00:00:00Z", b"Mon, 01 Jan 99999 00:00:00 GMT", b"not a date", b"9999-12-31T23:59:59+14:00"]
)
def test_an_out_of_range_date_keeps_the_entry_and_records_why(date):
    data = rss(item(1, extra=b"<pubDate>" + date + b"</pubDate>"), item(2))
    parsed = parse_feed(data, {})
    assert [e.guid for e in parsed.entries] == ["g1", "g2"]
    first = parsed.entries[0]
    assert first.published_at is None and first.date_problem and first.published_raw


def test_naive_date_is_read_as_utc():
    parsed = parse_feed(
        rss(item(1, extra=b"<dc:date>2025-01-28T09:30:00</dc:date>")).replace(
            b'<rss version="2.0">', b'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        ),
        {},
    )
    assert parsed.entries[0].published_at.isoformat() == "2025-01-28T09:30:00+00:00"


def test_nul_control_characters_and_surrogates_never_leave_the_parser():
    hostile = b"A\x00B\x01C\x1bD &#1; &#xD800; \xed\xa0\x80 E"
    data = (
        rss(item(1, hostile, b"<description>" + hostile + b"</description><author>x\x00y@e.org (N\x00ame)</author>"))
        .replace(b"http://example.org/1", b"http://example.org/\x001\x07")
        .replace(b"<guid>g1", b"<guid>g\x001")
    )
    for headers in ({}, {"content-type": "text/xml; charset=windows-1252"}):
        parsed = parse_feed(data, headers)
        entry = parsed.entries[0]
        for value in (entry.title, entry.summary, entry.url, entry.guid, *entry.authors):
            assert value and not any(ord(ch) < 32 and ch not in "\n\t" for ch in value), value
            assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
        assert entry.url == "http://example.org/1" and entry.guid == "g1"


def test_header_names_are_case_insensitive():
    data = rss(item(1, "Café".encode("cp1252"))).replace(b'encoding="utf-8"', b"")
    for name in ("Content-Type", "content-type", "CONTENT-TYPE"):
        parsed = parse_feed(data, {name: "application/rss+xml; charset=windows-1252"})
        assert parsed.entries[0].title == "Café", name
