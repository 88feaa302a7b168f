"""Hostile content through the whole pipeline into SQLite and PostgreSQL (which is stricter: it rejects NUL and
lone surrogates, and a failed statement aborts the batch's transaction). One run per database over a feed that
holds every trap at once; a second run must change nothing. Each test then checks one promise on the result:
charsets decoded from bytes, text stored as clean NFC, no markup or script, every item kept exactly once."""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import text

from pipeline.config import FeedSource, load_cleaning, load_taxonomy
from pipeline.fetching.http import Fetcher
from pipeline.runs.live import Pipeline
from pipeline.sample.server import SampleSite
from pipeline.settings import PROJECT_ROOT, FetchLimits
from pipeline.tagging import Tagger
from tests.conftest import WAREHOUSE_KINDS, fresh_warehouse

SENTENCES = [
    "Russia and Iran signed a comprehensive strategic partnership treaty at the Kremlin on Friday.",
    "The agreement covers defence, energy, transport and finance over the next twenty years.",
    "Officials in Tehran said the deal would deepen cooperation on the North-South transport corridor.",
    "Analysts in Moscow described the treaty as a response to Western sanctions on both countries.",
    "The two presidents also discussed nuclear energy projects, including new units at Bushehr.",
]
TABLES = ("articles", "feed_items", "raw_pages", "article_sources", "article_relevance", "fetch_log")
TEXT_COLUMNS = {
    "articles": ("url", "title", "text", "authors", "site_name", "published_raw", "canonical_url"),
    "feed_items": ("url", "guid", "title", "summary", "published_raw", "last_error"),
}
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def page(
    title: str,
    paragraphs: list[str],
    head: str = "",
    body_extra: str = "",
    charset_meta: str = "utf-8",
    heading: str | None = None,
) -> str:
    paras = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}</title>{head}</head><body>"
        f"<header><nav><a href='/'>Home</a></nav></header><article><h1>{heading or title}</h1>{paras}{body_extra}"
        f"</article><footer>Footer</footer></body></html>"
    )


XSS = """
<script>alert('xss-script')</script><style>.evil { color: red } /* xss-style */</style>
<noscript>xss-noscript enable javascript</noscript><img src=x onerror="alert('xss-onerror')">
<svg onload="alert('xss-svg')"><circle r="1"/></svg><iframe src="javascript:alert('xss-iframe')"></iframe>
<p>Read the <a href="javascript:alert('xss-href')">statement</a> of the ministry in full today.</p>
<p onmouseover="alert('xss-attr')">The ministry added that talks would continue next month in Tehran.</p>
<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-mxss')></style></mglyph></table></mtext></math>
"""

RUSSIAN = [
    "Россия и Иран подписали договор о всеобъемлющем стратегическом партнёрстве в Кремле.",
    "Соглашение охватывает оборону, энергетику, транспорт и финансы на двадцать лет вперёд.",
    "В Тегеране заявили, что договор углубит сотрудничество по транспортному коридору Север — Юг.",
]


def articles() -> dict[str, tuple[bytes, str]]:
    """path → (bytes, Content-Type): each page carries one trap."""
    utf8 = "text/html; charset=utf-8"
    nfd = [unicodedata.normalize("NFD", s.replace("Kremlin", "Kremlin café")) for s in SENTENCES]
    mojibake = [s.replace("Tehran", "Téhéran").encode("utf-8").decode("latin-1") for s in SENTENCES]
    hostile_chars = [s[:30] + "\x00\x01\x1b\x7f" + s[30:] + " &#xD800; &#0; &#1;" for s in SENTENCES]
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "LD \ud800 headline",
            "author": {"@type": "Person", "name": "Ann\u0000 \udfff Writer"},
            "datePublished": "2025-01-28",
        }
    )
    return {
        "/a/bom-vs-header.html": (
            b"\xef\xbb\xbf" + page("Café treaty BOM", SENTENCES).encode("utf-8"),
            "text/html; charset=iso-8859-1",
        ),  # the BOM wins over the header
        "/a/header-vs-meta.html": (
            page("Договор header", RUSSIAN, charset_meta="utf-8").encode("cp1251"),
            "text/html; charset=windows-1251",
        ),  # the header wins over the meta
        "/a/meta-only.html": (page("Договор meta", RUSSIAN, charset_meta="windows-1251").encode("cp1251"), "text/html"),
        "/a/xml-declaration.html": (
            ('<?xml version="1.0" encoding="windows-1251"?>' + page("Договор xml", RUSSIAN, charset_meta="")).encode(
                "cp1251"
            ),
            "application/xhtml+xml",
        ),
        "/a/wrong-header.html": (
            page("Договор wrong", RUSSIAN, charset_meta="windows-1251").encode("cp1251"),
            utf8,
        ),  # the header lies: not valid UTF-8
        "/a/three-way.html": (
            page("Договор трёх кодировок", RUSSIAN, charset_meta="koi8-r").encode("cp1251"),
            utf8,
        ),  # header utf-8 (invalid), <meta> koi8-r (decodes, to mojibake), bytes cp1251
        "/a/nfd.html": (page(unicodedata.normalize("NFD", "Café treaty NFD"), nfd).encode("utf-8"), utf8),
        "/a/mojibake.html": (page("Téhéran mojibake".encode().decode("latin-1"), mojibake).encode("utf-8"), utf8),
        "/a/control.html": (page("Control\x00 \x01title", hostile_chars).encode("utf-8"), utf8),
        "/a/json-ld.html": (
            page(
                "JSON-LD page",
                SENTENCES,
                head=f'<script type="application/ld+json">{ld}</script><meta name="author" content="Bob\x00 Byline">',
            ).encode("utf-8"),
            utf8,
        ),
        "/a/xss.html": (
            page(
                "XSS <script>alert('xss-title')</script> title", SENTENCES, body_extra=XSS, heading="XSS title"
            ).encode(),
            utf8,
        ),
        "/a/xss-heading.html": (
            page("Heading", SENTENCES[::2], heading="A <script>alert('xss-h1')</script>head").encode(),
            utf8,
        ),
        "/a/dup.html": (page("Duplicate story", SENTENCES).encode(), utf8),
        "/a/no-guid.html": (page("No GUID", SENTENCES[::-1]).encode(), utf8),
        "/a/shared-guid-1.html": (page("Shared GUID one", SENTENCES[1:]).encode(), utf8),
        "/a/shared-guid-2.html": (page("Shared GUID two", SENTENCES[2:] + SENTENCES[:1]).encode(), utf8),
        "/a/future.html": (page("Future dated", SENTENCES[3:] + SENTENCES[:2]).encode(), utf8),
        "/a/naive.html": (page("Naive dated", SENTENCES[4:] + SENTENCES[:3]).encode(), utf8),
        "/a/long-title.html": (page("Long " * 4000, SENTENCES).encode(), utf8),
        "/a/" + "long-url-" * 300 + ".html": (page("Long URL", [s.upper() for s in SENTENCES]).encode(), utf8),
    }


def feed_xml(base: str) -> bytes:
    future = (datetime.now(UTC) + timedelta(days=400)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    items = [
        ("BOM", "/a/bom-vs-header.html", "g-bom", ""),
        ("Header", "/a/header-vs-meta.html", "g-hm", ""),
        ("Meta", "/a/meta-only.html", "g-meta", ""),
        ("XML decl", "/a/xml-declaration.html", "g-xml", ""),
        ("Wrong header", "/a/wrong-header.html", "g-wrong", ""),
        ("Three-way", "/a/three-way.html", "g-three", ""),
        ("NFD", "/a/nfd.html", "g-nfd", ""),
        ("Mojibake", "/a/mojibake.html", "g-moji", ""),
        ("Control", "/a/control.html", "g-ctl", ""),
        ("JSON-LD", "/a/json-ld.html", "g-ld", ""),
        ("XSS", "/a/xss.html", "g-xss", ""),
        ("XSS heading", "/a/xss-heading.html", "g-xss-h1", ""),
        ("Dup", "/a/dup.html", "g-dup-1", ""),
        ("Dup again", "/a/dup.html?utm_source=rss", "g-dup-2", ""),
        ("Dup exact", "/a/dup.html", "g-dup-1", ""),
        ("No GUID", "/a/no-guid.html", None, ""),
        ("Shared 1", "/a/shared-guid-1.html", "g-shared", ""),
        ("Shared 2", "/a/shared-guid-2.html", "g-shared", ""),
        ("Future", "/a/future.html", "g-future", f"<pubDate>{future}</pubDate>"),
        ("Naive", "/a/naive.html", "g-naive", "<dc:date>2025-01-28T09:30:00</dc:date>"),
        ("Long title " * 3000, "/a/long-title.html", "g-long-title", ""),
        ("Long URL", "/a/" + "long-url-" * 300 + ".html", "g-long-url", ""),
    ]
    xml = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<channel><title>Hostile</title><link>{base}/</link>"
    ]
    for title, path, guid, extra in items:
        guid_xml = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
        xml.append(f"<item><title>{escape(title)}</title><link>{escape(base + path)}</link>{guid_xml}{extra}</item>")
    xml.append(
        "<item><title>Feed-level hostile &#xD800; &#x110000; \x01 title</title>"
        "<description>&lt;script&gt;alert('xss-summary')&lt;/script&gt;Summary &amp;lt;b&amp;gt;"
        "double-escaped&amp;lt;/b&amp;gt; \x00 text</description>"
        f"<link>{base}/a/gone.html\x00</link><guid>g\x00feed-level</guid></item>"
    )
    xml.append("</channel></rss>")
    return "".join(xml).replace("{base}", base).encode("utf-8")


@pytest.fixture(scope="module", params=WAREHOUSE_KINDS)
def hostile(request, tmp_path_factory):
    """(engine, base URL, first report, counts after the first run, second report, counts after it)."""
    from pipeline.warehouse.db import make_engine

    pages = articles()
    routes = {path.split("?")[0]: _serve(data, content_type) for path, (data, content_type) in pages.items()}
    routes["/feed.rss"] = lambda h: h.send_body(200, feed_xml(h.server.base_url), "application/rss+xml")
    routes["/robots.txt"] = lambda h: h.send_body(200, b"User-agent: *\nAllow: /\n", "text/plain")
    taxonomy = load_taxonomy(PROJECT_ROOT / "config" / "taxonomy.yaml")
    rules = load_cleaning(PROJECT_ROOT / "config" / "cleaning.yaml")
    limits = FetchLimits(
        deadline=5.0, retries=0, workers=4, per_host_concurrency=4, private_allowlist=("127.0.0.1/32",)
    )
    source = FeedSource(name="hostile", url="", site=None, language="en", country="GB", perspective="western")
    with fresh_warehouse(request.param, tmp_path_factory.mktemp("hostile")) as url, SampleSite(routes=routes) as site:
        engine = make_engine(url)
        feeds = [dataclasses.replace(source, url=site.url("/feed.rss"))]
        reports = []
        for _ in range(2):
            with Fetcher(limits) as fetcher:
                reports.append(Pipeline(engine, Tagger(taxonomy), taxonomy, rules, fetcher).run(feeds))
            reports.append(table_counts(engine))
        yield (engine, site.base_url, *reports)
        engine.dispose()


def _serve(data: bytes, content_type: str):
    def handler(h):
        h.send_body(200, data.replace(b"{{BASE}}", h.server.base_url.encode()), content_type)

    return handler


def table_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}


def article_by_path(engine, base: str) -> dict[str, dict]:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT * FROM articles")).mappings().all()
    return {row["url"].removeprefix(base): dict(row) for row in found}


def items_by_guid(engine) -> dict[str | None, list[dict]]:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT * FROM feed_items")).mappings().all()
    grouped: dict[str | None, list[dict]] = {}
    for row in found:
        grouped.setdefault(row["guid"], []).append(dict(row))
    return grouped


def test_the_run_completes_and_a_rerun_changes_nothing(hostile):
    engine, _, first, counts, second, counts_again = hostile
    assert first.status == "ok" and first.counts.feeds_ok == 1, first
    assert counts_again["articles"] == counts["articles"] and counts_again["feed_items"] == counts["feed_items"]
    assert second.counts.articles_new == 0


def test_every_item_is_kept_exactly_once(hostile):
    engine, base, *_ = hostile
    items = items_by_guid(engine)
    urls = [row["url"] for rows in items.values() for row in rows]
    assert len(urls) == len(set(urls)) == 21  # 23 items; the exact duplicate and the tracking variant fold
    assert len(items["g-shared"]) == 2  # a shared GUID does not merge two stories
    assert [row["url"] for row in items[None]] == [base + "/a/no-guid.html"]  # no GUID: keyed by its URL
    stored = article_by_path(engine, base)
    assert len(stored) == 20 and "/a/dup.html" in stored  # every page once; the duplicates point at one article
    assert {row["state"] for rows in items.values() for row in rows} <= {"done", "gone"}


def test_charsets_are_decoded_from_the_bytes(hostile):
    engine, base, *_ = hostile
    stored = article_by_path(engine, base)
    assert stored["/a/bom-vs-header.html"]["title"].startswith("Café treaty")
    for path in (
        "/a/header-vs-meta.html",
        "/a/meta-only.html",
        "/a/xml-declaration.html",
        "/a/wrong-header.html",
        "/a/three-way.html",
    ):
        assert "Россия и Иран подписали договор" in stored[path]["text"], path
        assert stored[path]["title"].startswith("Договор"), path
    # three declarations that disagree: the one that reads as Russian wins, and the language follows
    assert stored["/a/three-way.html"]["title"] == "Договор трёх кодировок"
    assert stored["/a/three-way.html"]["language"] == "ru"


def test_text_is_stored_as_clean_nfc_with_mojibake_repaired(hostile):
    engine, base, *_ = hostile
    stored = article_by_path(engine, base)
    assert "Kremlin café" in stored["/a/nfd.html"]["text"] and stored["/a/nfd.html"]["title"] == "Café treaty NFD"
    assert "Téhéran" in stored["/a/mojibake.html"]["text"] and "Ã" not in stored["/a/mojibake.html"]["text"]
    assert stored["/a/mojibake.html"]["title"] == "Téhéran mojibake"
    for row in stored.values():
        for column in ("title", "text"):
            assert unicodedata.is_normalized("NFC", row[column] or ""), (row["url"], column)


def test_no_nul_control_character_or_surrogate_is_stored(hostile):
    engine, base, *_ = hostile
    stored = article_by_path(engine, base)
    assert stored["/a/control.html"]["title"] == "Control title"
    with engine.connect() as conn:
        for table, columns in TEXT_COLUMNS.items():
            for row in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table}")).all():
                for column, value in zip(columns, row):
                    assert not UNSTORABLE.search(value or ""), (table, column, value)
    feed_level = [row for rows in items_by_guid(engine).values() for row in rows if "gone" in row["url"]]
    assert [row["url"] for row in feed_level] == [base + "/a/gone.html"] and feed_level[0]["state"] == "gone"
    assert feed_level[0]["guid"].endswith("gfeed-level") and feed_level[0]["title"].startswith("Feed-level hostile")


def test_script_style_and_xss_payloads_are_absent_from_stored_text(hostile):
    engine, base, *_ = hostile
    stored = article_by_path(engine, base)
    xss = stored["/a/xss.html"]
    assert "ministry added that talks would continue" in xss["text"]
    with engine.connect() as conn:
        values = [
            v
            for row in conn.execute(
                text("SELECT title, text, authors FROM articles WHERE url NOT LIKE '%xss-heading%'")
            ).all()
            for v in row
            if v
        ]
        values += [v for row in conn.execute(text("SELECT title, summary FROM feed_items")).all() for v in row if v]
    for value in values:
        assert "xss-" not in value and "<script" not in value.lower() and "onerror" not in value, value[:200]
        assert "<" not in value or not re.search(r"<[a-zA-Z/!]", value), value[:200]  # no markup at all
    assert "double-escaped" in "".join(values)  # the summary's text survives without its tags


def test_bad_dates_are_recorded_and_naive_dates_read_as_utc(hostile):
    engine, base, *_ = hostile
    items = items_by_guid(engine)
    future = items["g-future"][0]
    assert future["published_at"] is None and future["published_raw"]
    naive = items["g-naive"][0]
    assert str(naive["published_at"]).startswith("2025-01-28 09:30:00")  # read as UTC
    stored = article_by_path(engine, base)
    assert "future" in (stored["/a/future.html"]["date_problem"] or "")


def test_overlong_titles_and_urls_are_kept(hostile):
    engine, base, *_ = hostile
    items = items_by_guid(engine)
    assert items["g-long-title"][0]["title"].startswith("Long title Long title")
    assert len(items["g-long-url"][0]["url"]) > 2700  # beyond what a PostgreSQL b-tree index entry may hold
    stored = article_by_path(engine, base)
    assert "/a/long-title.html" in stored and any(path.startswith("/a/long-url-") for path in stored)


def test_a_script_inside_the_headline_does_not_reach_the_stored_title(hostile):
    engine, base, *_ = hostile
    assert "xss-h1" not in article_by_path(engine, base)["/a/xss-heading.html"]["title"]
