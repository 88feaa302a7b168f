"""Extraction on the bundled sample pages (real files), including the article this project started from."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml

from pipeline.extraction.extract import extract_article
from pipeline.sample.server import SITE_DIR

BASE = "http://127.0.0.1:9"
MANIFEST = yaml.safe_load((SITE_DIR / "manifest.yaml").read_text(encoding="utf-8"))["articles"]
FLAGSHIP = next(a for a in MANIFEST if a.get("first_paragraph"))


def page(path: str) -> bytes:
    return (SITE_DIR / path).read_bytes().replace(b"{{BASE}}", BASE.encode())


def extract(path: str, rules, **kwargs):
    return extract_article(page(path), f"{BASE}/{path}", rules, **kwargs)


def test_the_founding_article_is_extracted_clean(rules, tagger):
    result = extract(FLAGSHIP["path"], rules)
    assert result.text.startswith(FLAGSHIP["first_paragraph"])
    assert "Follow us on" not in result.text and "Share on:" not in result.text
    assert result.title == "Russia and Iran sign a new 20-year strategic partnership"
    assert result.authors == ("Fabio Di Felice",)
    assert result.published_at.date() == datetime(2025, 1, 28, tzinfo=UTC).date()
    assert result.method == "trafilatura" and result.language == "en"
    assert result.canonical_url == f"{BASE}/{FLAGSHIP['path']}"
    tags = tagger.tag(result.title, result.text)
    assert tags.relevant
    topics = {t.topic: t for t in tags.topics}
    assert {"diplomacy", "defence"} <= set(topics)  # the treaty's signing; the Shahed and S-300 sentence
    for tag in topics.values():
        evidence = tag.evidence
        assert evidence.field == "text"
        assert result.text[evidence.start : evidence.end] == evidence.text


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda a: a["path"].rsplit("/", 1)[-1])
def test_every_sample_page_gives_clean_text_and_metadata(entry, rules):
    result = extract(entry["path"], rules)
    assert len(result.text.split()) >= 150
    for chrome in ("Follow us on", "Share on:", "cookies", "<script", "alert("):
        assert chrome not in result.text, chrome
    assert result.title == entry["title"]
    assert result.language == entry["lang"]
    if not entry.get("date_problem"):
        assert result.published_at.date().isoformat() == str(entry["published"])
    else:
        assert result.published_at is None and result.date_problem


def test_persian_half_spaces_survive_extraction(rules):
    persian = next(a for a in MANIFEST if a["lang"] == "fa")
    result = extract(persian["path"], rules)
    assert "\u200c" in result.text
    assert "\u200c" in page(persian["path"]).decode()


def test_reader_comments_are_not_article_text(rules):
    html = page(FLAGSHIP["path"]).decode()
    comment = "The headline oversells it a bit"
    assert comment in html
    assert comment not in extract(FLAGSHIP["path"], rules).text


def test_fallback_is_used_when_trafilatura_finds_too_little(rules):
    paragraphs = "".join(
        f"<p>Paragraph {i} about the corridor between Russia and Iran, with enough words "
        f"to be read as article text by a paragraph-density extractor.</p>"
        for i in range(8)
    )
    html = f"<html><body><div><span>x</span></div><table><tr><td>{paragraphs}</td></tr></table></body></html>"
    result = extract_article(html, "https://example.org/a", rules)
    assert result.method == "fallback"
    assert result.text.startswith("Paragraph 0") and "Paragraph 7" in result.text


def test_mangled_markup_never_raises(rules):
    for html in (b"", b"\x00\xff\xfe garbage", b"<html><body><p>unclosed", "<" * 10000):
        result = extract_article(html, None, rules)
        assert isinstance(result.text, str)


def test_charset_from_the_http_header_wins(rules):
    text = (
        "<html><head><title>Россия и Иран</title></head><body><article><p>"
        + "Россия и Иран подписали договор. " * 30
        + "</p></article></body></html>"
    )
    result = extract_article(
        text.encode("cp1251"), "https://example.org/ru", rules, content_type="text/html; charset=windows-1251"
    )
    assert result.title == "Россия и Иран" and result.language == "ru"


def test_cli_output_shape(rules):
    result = extract(FLAGSHIP["path"], rules)
    data = json.loads(result.as_json("x1"))
    assert set(data) == {"id", "title", "text", "published", "authors", "lang", "canonical_url", "method", "truncated"}
    assert data["truncated"] is None  # the page is far under the cap
    assert data["published"].endswith("Z")


def test_a_big_page_is_extracted_in_a_child_process_under_a_time_budget(rules):
    from pipeline.extraction.extract import ExtractionTimeout, extract_bounded

    html = (
        "<html><head><title>Russia and Iran</title></head><body><article>"
        + "<p>Russia and Iran signed a gas agreement in Moscow on Tuesday, officials said.</p>" * 4000
        + "</article></body></html>"
    ).encode()
    isolated = extract_bounded(html, "https://example.org/a", rules, seconds=120, isolate_bytes=100_000)
    assert isolated.text.startswith("Russia and Iran signed") and isolated.method != "none"
    with pytest.raises(ExtractionTimeout, match="over its|longer than its 0.1 s budget"):
        extract_bounded(html, "https://example.org/a", rules, seconds=0.1, isolate_bytes=100_000)
    small = extract_bounded(
        html[:5000] + b"</article></body></html>", "https://example.org/a", rules, seconds=0.1, isolate_bytes=100_000
    )  # under the threshold: in place, no budget
    assert small.text
