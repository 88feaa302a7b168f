"""feedparser's own test feeds replayed through our parser: nothing raises and no entry that feedparser recovers
is lost. Files about HTTP are served from 127.0.0.1 with their `Header:` lines and fetched like a real feed;
`newsmon feed` must give the same entries from the saved file; a bounded fuzz run mutates the corpus."""

from __future__ import annotations

import codecs
import io
import json
import random
import re
import time
from pathlib import Path

import feedparser
import pytest

from pipeline.cli import main as newsmon_main
from pipeline.fetching.feeds import parse_feed
from pipeline.fetching.http import Fetcher
from pipeline.sample.server import SampleSite
from pipeline.settings import PROJECT_ROOT
from pipeline.textutil import plain_text

CORPUS = PROJECT_ROOT.parent / "shared" / "bench-data" / "feeds-corpus"
ABSENT = f"feeds corpus not found at {CORPUS} (it lives in ../shared/bench-data beside the repository)"
_HEADER_LINE = re.compile(r"^\s*Header:\s*([^:\s]+):[ \t]*(.*?)\s*$", re.MULTILINE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF = {
    b"\x00\x00\x00<": "utf-32-be",
    b"<\x00\x00\x00": "utf-32-le",
    b"\x00<\x00?": "utf-16-be",
    b"<\x00?\x00": "utf-16-le",
}
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.xml")) if CORPUS.is_dir() else []


def corpus_params(select=lambda path: True) -> list:
    files = [p for p in corpus_files() if select(p)]
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT))]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in files]


def served_over_http(path: Path) -> bool:
    return "http" in str(path.relative_to(CORPUS))


def metadata_text(data: bytes) -> str:
    """Decode a corpus file to read its comment, as feedparser's tests/helpers.py does."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, "ignore")
    return data.decode(_SNIFF.get(data[:4], "utf-8"), "ignore")


def corpus_headers(data: bytes) -> dict[str, str]:
    """The file's `Header: Name: value` lines, with names as the server would send them."""
    return {name: value for name, value in _HEADER_LINE.findall(metadata_text(data))}


def expected_entries(parsed) -> list[tuple]:
    """What must survive of each entry feedparser itself recovered: title, link and id."""
    return [
        (plain_text(e.get("title")) or None, (e.get("link") or "").strip() or None, e.get("id") or None)
        for e in parsed.entries
    ]


def our_entries(parsed, links_of: list) -> list[tuple]:
    return [(e.title, e.url if link else None, e.guid) for e, link in zip(parsed.entries, links_of)]


def assert_nothing_lost(data: bytes, headers: dict[str, str], ours) -> None:
    reference = feedparser.parse(io.BytesIO(data), response_headers=headers)
    expected = expected_entries(reference)
    assert len(ours.entries) == len(expected)
    assert our_entries(ours, [link for _, link, _ in expected]) == expected
    assert ours.title == (plain_text(reference.feed.get("title")) or None)


def test_the_corpus_is_complete():
    if not CORPUS.is_dir():
        pytest.skip(ABSENT)
    assert len(corpus_files()) == 402
    assert sum(1 for p in corpus_files() if served_over_http(p)) == 71


@pytest.mark.parametrize("path", corpus_params(lambda p: not served_over_http(p)))
def test_saved_feed_keeps_every_entry_feedparser_recovers(path):
    data = path.read_bytes()
    started = time.monotonic()
    ours = parse_feed(data, {})
    assert time.monotonic() - started < 2
    assert_nothing_lost(data, {}, ours)


def serve_file(data: bytes, headers: dict[str, str]):
    """Send a corpus file as upstream's harness does: its Header: lines, text/xml by default, a Content-Length."""
    content_type = None if any(n.lower() == "content-type" for n in headers) else "text/xml"

    def handler(h):
        h.send_body(200, data, content_type, headers)

    return handler


@pytest.fixture(scope="module")
def http_corpus():
    files = [p for p in corpus_files() if served_over_http(p)]
    if not files:
        pytest.skip(ABSENT)
    routes = {
        f"/{p.relative_to(CORPUS).as_posix()}": serve_file(p.read_bytes(), corpus_headers(p.read_bytes()))
        for p in files
    }
    with SampleSite(routes=routes) as site:
        yield site


def feed_command(capsys, *args) -> tuple[int, list[dict], str]:
    code = newsmon_main(["feed", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


@pytest.mark.parametrize("path", corpus_params(served_over_http))
def test_feed_served_with_its_headers_keeps_every_entry(http_corpus, limits, capsys, path):
    data = path.read_bytes()
    url = http_corpus.url(path.relative_to(CORPUS).as_posix())
    with Fetcher(limits) as fetcher:
        result = fetcher.fetch(url)
    assert result.status == "ok" and result.body == data
    ours = parse_feed(result.body, result.headers, result.final_url)  # what the runner does with a response
    sent = {name.lower(): value for name, value in corpus_headers(data).items()}
    sent.setdefault("content-type", "text/xml")
    sent.setdefault("content-location", url)
    assert_nothing_lost(data, sent, ours)
    # `newsmon feed` on the saved file, given the same headers and URL, prints the same entries
    code, printed, err = feed_command(capsys, str(path), "--url", url, *[f"--header={n}: {v}" for n, v in sent.items()])
    assert code == (0 if ours.is_feed else 1), err
    assert [(e["title"], e["url"], e["guid"]) for e in printed] == [(e.title, e.url, e.guid) for e in ours.entries]


def test_charset_from_the_http_header_wins_over_the_xml_declaration(http_corpus, limits):
    """Served as text/xml; charset=windows-1252 while the document says iso-8859-1: the smart quotes survive."""
    path = "encoding/http_text_xml_charset_overrides_encoding_2.xml"
    with Fetcher(limits) as fetcher:
        result = fetcher.fetch(http_corpus.url(path))
    parsed = parse_feed(result.body, result.headers, result.final_url)
    assert parsed.problem is None
    assert parsed.entries[0].summary == "This is a \xa3\u201ctest.\u201d"


def test_feed_command_rejects_a_malformed_header(capsys, tmp_path):
    feed = tmp_path / "f.xml"
    feed.write_bytes(b"<rss version='2.0'><channel><title>t</title></channel></rss>")
    assert newsmon_main(["feed", str(feed), "--header", "no colon here"]) == 2
    assert "Name: value" in capsys.readouterr().err


def test_feed_command_says_when_a_file_is_not_a_feed(capsys, tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b"<!doctype html><html><body><p>hello</p></body></html>")
    code, printed, err = feed_command(capsys, str(page))
    assert code == 1 and printed == [] and "not a feed" in err


# ---------------------------------------------------------------------------------------------------- fuzzing
HOSTILE = [
    b"&#xD800;",
    b"&#x110000;",
    b"&#99999999999999999999;",
    b"&#0;",
    b"\x00",
    b"\x01\x1b\x7f",
    b"\xed\xa0\x80",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"<![CDATA[",
    b"]]>",
    b"<",
    b"&",
    b"&amp",
    b"<item>",
    b"</item>",
    b"<entry>",
    b'<!ENTITY a "' + b"x" * 2000 + b'">',
    b"&a;" * 200,
    b'<!DOCTYPE rss [<!ENTITY b "yyyy"><!ATTLIST item z CDATA "q">',
    b"]>",
    b"<!ENTITY",
    b"<!DOCTYPE x [",
    b"<pubDate>Mon, 01 Jan 0000 00:00:00 GMT</pubDate>",
    b"<updated>99999-12-31T00:00:00Z</updated>",
    b"<link>javascript:alert(1)</link>",
    b"<guid>\x00</guid>",
    b"<script>alert(1)</script>",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b"<" * 500,
    b"<b>" * 2000,
]


def mutate(data: bytes, rng: random.Random, donors: list[bytes]) -> bytes:
    """One to three random edits: byte flips, a cut, a duplicated slice, a hostile snippet, a splice."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data) + 1)
        kind = rng.randrange(5)
        if kind == 0:
            data = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data)
        elif kind == 1:
            data = data[:at]
        elif kind == 2:
            data = data[:at] + data[at : at + rng.randint(1, 400)] * rng.randint(2, 20) + data[at:]
        elif kind == 3:
            data = data[:at] + rng.choice(HOSTILE) + data[at:]
        else:
            donor = rng.choice(donors)
            data = data[:at] + donor[rng.randrange(len(donor) + 1) :]
    return data


def recovered_by_feedparser(data: bytes, headers: dict) -> int:
    try:
        return len(feedparser.parse(io.BytesIO(data), response_headers=headers).entries)
    except Exception:
        return 0


FUZZ_CASES = 1200
FUZZ_BUDGET_SECONDS = 60


def test_fuzzed_corpus_never_raises_loses_nothing_and_yields_storable_text():
    files = corpus_files()
    if not files:
        pytest.skip(ABSENT)
    donors = [p.read_bytes() for p in files]
    rng = random.Random(20250117)  # fixed seed: the same cases on every run
    started, slowest = time.monotonic(), 0.0
    for case in range(FUZZ_CASES):
        data = mutate(rng.choice(donors), rng, donors)
        headers = {"content-type": rng.choice(["application/xml", "text/xml", "text/html"])}
        began = time.monotonic()
        parsed = parse_feed(data, headers)
        slowest = max(slowest, time.monotonic() - began)
        assert len(parsed.entries) >= recovered_by_feedparser(data, headers), case
        for entry in parsed.entries:
            fields = [entry.url, entry.guid, entry.title, entry.summary, entry.published_raw, *entry.authors]
            assert not any(_UNSTORABLE.search(f) for f in fields if f), (case, entry)
        assert time.monotonic() - started < FUZZ_BUDGET_SECONDS, f"fuzz run over budget at case {case}"
    assert slowest < 2.0
