"""Extract an article's main text and metadata from its HTML: trafilatura first, its lines confirmed by a vote of
a second extractor (readability, see vote.py), a paragraph-density fallback when the text is too short, and the
method that won is recorded. Quality and speed are measured by `python -m bench extraction`.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import threading
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

import py3langid
import trafilatura
from bs4 import BeautifulSoup, UnicodeDammit
from bs4.dammit import EncodingDetector
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement
from readability import Document as ReadabilityDocument
from readability.readability import REGEXES as READABILITY_PATTERNS

from pipeline.config import LANGUAGES, CleaningRules
from pipeline.extraction.clean import clean_text
from pipeline.extraction.metadata import read_metadata
from pipeline.extraction.vote import vote

log = logging.getLogger(__name__)

ZWNJ = "\u200c"
# trafilatura drops non-printable characters such as the zero-width non-joiner of Persian spelling; it is
# swapped for a printable stand-in that the page does not use, and swapped back afterwards.
_ZWNJ_STAND_INS = ("\u16eb", "\u2e2e", "\u02bf")
_FALLBACK_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg", "button")
_NEVER_TEXT = ("script", "style", "link", "svg", "nav", "footer", "aside", "iframe", "button", "select", "input")
LAYOUT_TABLES = "//table[.//td//p]"
_VOTE_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "blockquote", "tr", "dd", "dt", "pre")
LANG_CONFIDENT = 0.90
LANG_SAMPLE_CHARS = 2000  # a few hundred words identify the language; more only costs time

_identifier = None
_identifier_lock = threading.Lock()  # page threads start together; the model is loaded once, not once each


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str
    method: str  # trafilatura, readability, fallback, feed_summary, none
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    published_raw: str | None = None
    date_problem: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None
    truncated: str | None = None  # which cap cut the page, if one did

    def as_json(self, item_id) -> str:
        return json.dumps(
            {
                "id": item_id,
                "title": self.title,
                "text": self.text,
                "published": self.published_at.isoformat().replace("+00:00", "Z") if self.published_at else None,
                "authors": list(self.authors),
                "lang": self.language,
                "canonical_url": self.canonical_url,
                "method": self.method,
                "truncated": self.truncated,
            },
            ensure_ascii=False,
        )


class ExtractionTimeout(Exception):
    """Extracting one page took longer than its time budget; the message says which."""


def extract_bounded(
    html: bytes | str, url: str | None, rules: CleaningRules, *, seconds: float | None, isolate_bytes: int, **options
) -> Extracted:
    """`extract_article`, with a time budget for big pages: a page over `isolate_bytes` is extracted in a child
    process that is killed after `seconds` (a thread cannot be stopped from outside), so one pathological page
    cannot hold a page worker longer than that. Smaller pages, bounded by size, are extracted in place."""
    if seconds is None or len(html) <= isolate_bytes:
        return extract_article(html, url, rules, **options)
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        job = pool.apply_async(extract_article, (html, url, rules), options)
        try:
            return job.get(timeout=seconds)
        except multiprocessing.TimeoutError:
            pool.terminate()
            raise ExtractionTimeout(
                f"extraction took longer than its {seconds:g} s budget "
                f"(NEWSMON_PAGE_SECONDS) for a {len(html)}-byte page"
            ) from None


def decode_html(data: bytes | str, content_type: str | None = None) -> str:
    """Bytes to text: BOM, then the HTTP charset, then <meta charset>, then detection."""
    if isinstance(data, str):
        return data
    declared = []
    if content_type and "charset=" in content_type.lower():
        declared.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    _, bom = EncodingDetector.strip_byte_order_mark(data)
    in_page = EncodingDetector.find_declared_encoding(data, is_html=True)
    # valid UTF-8 is tried before statistical detection, which is slow and only guesses
    candidates = [e for e in (bom, *declared, in_page, "utf-8") if e]
    dammit = UnicodeDammit(data, known_definite_encodings=candidates, is_html=True)
    markup = dammit.unicode_markup or data.decode("utf-8", "replace")
    disagree = not bom and len({_codec_name(e) for e in (*declared, in_page) if e}) > 1
    if disagree or _looks_like_cyrillic_mojibake(markup):
        markup = _most_plausible(data, [*declared, in_page, "utf-8", "cp1251", "koi8-r", "iso-8859-5"], markup)
    return markup


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{3,}")


def _looks_like_cyrillic_mojibake(text: str) -> bool:
    """Cyrillic text in which most letters are capitals: a Cyrillic page read in the wrong Cyrillic code page
    (cp1251 read as KOI8-R swaps the cases)."""
    words = _CYRILLIC_WORD.findall(text[:20000])
    letters = "".join(words[:300])
    return len(words) >= 5 and sum(c.isupper() for c in letters) > 0.5 * len(letters)


def _most_plausible(data: bytes, encodings: list[str | None], current: str) -> str:
    """When the declared charsets disagree (or the text looks wrong), decode with each that can and keep the most
    plausible: for Cyrillic, the share of words the Russian dictionary knows; else the fewest mojibake signs."""
    from ftfy.badness import badness

    from pipeline.tagging.lexicon import known_russian_word

    def plausibility(text: str) -> float:
        words = _CYRILLIC_WORD.findall(text[:50000])[:200]
        known = sum(known_russian_word(w.lower()) for w in words) / len(words) if words else 0.0
        return known - 0.01 * badness(text[:50000]) - text.count("\ufffd") / max(1, len(text))

    best, best_score = current, plausibility(current)
    for encoding in dict.fromkeys(_codec_name(e) for e in encodings if e):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        score = plausibility(text)
        if score > best_score + 0.05:
            best, best_score = text, score
    return best


def _protect_zwnj(html: str) -> tuple[str, str | None]:
    if ZWNJ not in html:
        return html, None
    for stand_in in _ZWNJ_STAND_INS:
        if stand_in not in html:
            return html.replace(ZWNJ, stand_in), stand_in
    return html, None


def fallback_text(soup: BeautifulSoup) -> str:
    """Paragraph-density fallback: the text of the element whose own paragraphs hold the most text."""
    for tag in soup(list(_FALLBACK_DROP)):
        tag.decompose()
    weight: dict[int, list] = {}
    for paragraph in soup.find_all("p"):
        parent = paragraph.parent
        entry = weight.setdefault(id(parent), [parent, 0])
        entry[1] += len(paragraph.get_text(" ", strip=True))
    if not weight:
        return ""
    best = max(weight.values(), key=lambda entry: entry[1])[0]
    blocks = best.find_all(["h1", "h2", "h3", "p", "li", "blockquote"])
    return "\n".join(b.get_text(" ", strip=True) for b in blocks if b.get_text(strip=True))


def detect_language(text: str, declared: str | None) -> str | None:
    """Detected language, reconciled with the feed's declared one when detection is unsure."""
    global _identifier
    if len(text) < 40:
        return declared
    with _identifier_lock:
        if _identifier is None:
            _identifier = py3langid.langid.LanguageIdentifier.from_model_file(
                py3langid.langid.MODEL_FILE, norm_probs=True
            )
    lang, confidence = _identifier.classify(text[:LANG_SAMPLE_CHARS])
    if confidence >= LANG_CONFIDENT or declared is None:
        return lang
    return declared if declared in LANGUAGES else lang


def drop_leading_title(text: str, title: str | None) -> str:
    """Extractors keep the headline as the first line; the title is stored on its own."""
    first, _, rest = text.partition("\n")
    if title and first.strip().casefold() == title.strip().casefold():
        return rest
    return text


def parse_html(markup: str) -> HtmlElement | None:
    """One lxml tree per page, shared by the extractors (each works on its own copy)."""
    try:
        return trafilatura.load_html(markup)
    except Exception as exc:  # lxml refuses some inputs outright (e.g. only a declaration)
        log.warning("unparseable page: %s", exc)
        return None


def trafilatura_document(tree: HtmlElement | None, url: str | None):
    """trafilatura's text in fast mode (no internal fallbacks: the vote checks its lines). Data tables are text;
    tables used for page layout (paragraphs in cells) are not, the fallback reads those pages paragraph by paragraph."""
    if tree is None:
        return None
    try:
        return trafilatura.bare_extraction(
            tree, url=url, fast=True, include_comments=False, include_tables=True, prune_xpath=LAYOUT_TABLES
        )
    except Exception as exc:  # trafilatura can fail on pathological markup; the fallback still runs
        log.warning("trafilatura failed on %s: %s", url, exc)
        return None


class _Readability(ReadabilityDocument):
    """readability-lxml on an already parsed tree, stripped of what is never text instead of running its lxml
    Cleaner, which rewrites every link of the page (most of its time, and no effect on the text)."""

    def _parse(self, input):
        etree.strip_elements(input, *_NEVER_TEXT, etree.Comment, etree.ProcessingInstruction, with_tail=False)
        for element in input.xpath("//*[@hidden]"):
            element.drop_tree()
        for element in input.xpath("//*[@style]"):
            if READABILITY_PATTERNS["displayNoneRe"].search(element.get("style")):
                element.drop_tree()
        return input


def readability_text(tree: HtmlElement | None) -> str:
    """readability's article text, one block per line; empty when it finds nothing or fails."""
    if tree is None:
        return ""
    try:
        summary = _Readability(deepcopy(tree)).summary(html_partial=True)
        body = lxml_html.fragment_fromstring(summary, create_parent="div")
    except Exception as exc:  # readability raises on pages it cannot score
        log.debug("readability failed: %s", exc)
        return ""
    for block in body.iter(*_VOTE_BLOCKS):
        block.tail = "\n" + (block.tail or "")
    return body.text_content()


def main_text(tree: HtmlElement | None, doc, markup: str, rules: CleaningRules) -> tuple[str, str]:
    """(clean text, method): trafilatura's lines confirmed by readability (or readability's text when it found much
    more), or the fallback when that is too short."""
    text, method = "", "none"
    if doc is not None:
        voted, voter_won = vote(doc.text or "", readability_text(tree))
        text, method = clean_text(voted, rules), "readability" if voter_won else "trafilatura"
    if len(text) < rules.min_text_chars:
        alternative = clean_text(fallback_text(BeautifulSoup(markup, "lxml")), rules)
        if len(alternative) > len(text):
            text, method = alternative, "fallback"
    return text, method


def extract_article(
    html: bytes | str,
    url: str | None,
    rules: CleaningRules,
    *,
    content_type: str | None = None,
    declared_language: str | None = None,
    max_bytes: int | None = None,
) -> Extracted:
    """Main text and metadata of one page; never raises on bad markup (an empty text is reported instead).
    With `max_bytes`, a bigger page is extracted from its first `max_bytes` only (parsing time and memory grow
    with the page), and the result says so."""
    truncated = None
    if max_bytes is not None and len(html) > max_bytes:
        truncated = f"page cut at {max_bytes} of {len(html)} {'bytes' if isinstance(html, bytes) else 'characters'}"
        html = html[:max_bytes]
    markup, stand_in = _protect_zwnj(decode_html(html, content_type))
    tree = parse_html(markup)
    doc = trafilatura_document(tree, url)
    text, method = main_text(tree, doc, markup, rules)

    def restore(s):
        return s.replace(stand_in, ZWNJ) if s and stand_in else s

    info = read_metadata(tree, url, restore)
    text = drop_leading_title(restore(text), info.title)
    return Extracted(
        title=info.title,
        text=text,
        method=method if text else "none",
        authors=info.authors,
        published_at=info.published_at,
        published_raw=info.published_raw,
        date_problem=info.date_problem,
        canonical_url=info.canonical_url,
        site_name=info.site_name,
        language=detect_language(text, declared_language or info.html_lang) if text else declared_language,
        truncated=truncated,
    )
