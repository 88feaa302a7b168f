"""Extract an article's main text and metadata from its HTML: trafilatura first, a paragraph-density fallback
when trafilatura's text is too short, and the method that won is recorded."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import py3langid
import trafilatura
from bs4 import BeautifulSoup, UnicodeDammit
from dateutil import parser as dateparser

from .clean import clean_text
from .config import CleaningRules
from .feeds import check_date
from .netguard import RefusedURL, check_url
from .textutil import plain_text

log = logging.getLogger(__name__)

ZWNJ = "\u200c"
# trafilatura drops non-printable characters such as the zero-width non-joiner of Persian spelling; it is
# swapped for a printable stand-in that the page does not use, and swapped back afterwards.
_ZWNJ_STAND_INS = ("\u16eb", "\u2e2e", "\u02bf")
_FALLBACK_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg", "button")
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\band\b|&|\bи\b|\sو\s)\s*")
_BYLINE_PREFIX = re.compile(r"^(by|от|автор:?|نویسنده:?)\s+", re.IGNORECASE)
LANG_CONFIDENT = 0.90
SUPPORTED_LANGS = ("en", "ru", "fa")

_identifier = None


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str
    method: str  # trafilatura, fallback, feed_summary, none
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    published_raw: str | None = None
    date_problem: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None

    def as_json(self, item_id) -> str:
        return json.dumps({
            "id": item_id, "title": self.title, "text": self.text,
            "published": self.published_at.isoformat().replace("+00:00", "Z") if self.published_at else None,
            "authors": list(self.authors), "lang": self.language, "canonical_url": self.canonical_url,
            "method": self.method,
        }, ensure_ascii=False)


def decode_html(data: bytes | str, content_type: str | None = None) -> str:
    """Bytes to text: BOM, then the HTTP charset, then <meta charset>, then detection."""
    if isinstance(data, str):
        return data
    declared = []
    if content_type and "charset=" in content_type.lower():
        declared.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    dammit = UnicodeDammit(data, known_definite_encodings=declared, is_html=True)
    return dammit.unicode_markup or data.decode("utf-8", "replace")


def _protect_zwnj(html: str) -> tuple[str, str | None]:
    if ZWNJ not in html:
        return html, None
    for stand_in in _ZWNJ_STAND_INS:
        if stand_in not in html:
            return html.replace(ZWNJ, stand_in), stand_in
    return html, None


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content", "").strip():
            return tag["content"].strip()
    return None


def _parse_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = dateparser.parse(raw)
    except (ValueError, OverflowError, TypeError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _authors(*candidates: str | None) -> tuple[str, ...]:
    for raw in candidates:
        if raw:
            names = [_BYLINE_PREFIX.sub("", plain_text(part)) for part in _AUTHOR_SPLIT.split(raw)]
            names = [n for n in names if n and len(n) <= 100]
            if names:
                return tuple(dict.fromkeys(names))
    return ()


def _canonical(soup: BeautifulSoup, page_url: str | None) -> str | None:
    from urllib.parse import urljoin

    link = soup.find("link", rel=lambda v: v and "canonical" in (v if isinstance(v, list) else [v]))
    href = (link.get("href") or "").strip() if link else (_meta(soup, "og:url") or "")
    if not href:
        return None
    try:
        return check_url(urljoin(page_url or "", href))
    except RefusedURL:
        return None


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
    if _identifier is None:
        _identifier = py3langid.langid.LanguageIdentifier.from_model_file(
            py3langid.langid.MODEL_FILE, norm_probs=True)
    lang, confidence = _identifier.classify(text[:4000])
    if confidence >= LANG_CONFIDENT or declared is None:
        return lang
    return declared if declared in SUPPORTED_LANGS else lang


def drop_leading_title(text: str, title: str | None) -> str:
    """Extractors keep the headline as the first line; the title is stored on its own."""
    first, _, rest = text.partition("\n")
    if title and first.strip().casefold() == title.strip().casefold():
        return rest
    return text


def extract_article(html: bytes | str, url: str | None, rules: CleaningRules, *, content_type: str | None = None,
                    declared_language: str | None = None) -> Extracted:
    """Main text and metadata of one page; never raises on bad markup (an empty text is reported instead)."""
    markup, stand_in = _protect_zwnj(decode_html(html, content_type))
    try:
        doc = trafilatura.bare_extraction(markup, url=url, include_comments=False, include_tables=False,
                                          favor_precision=True, with_metadata=True)
    except Exception as exc:  # trafilatura can fail on pathological markup; the fallback still runs
        log.warning("trafilatura failed on %s: %s", url, exc)
        doc = None
    text, method = (clean_text(doc.text or "", rules), "trafilatura") if doc is not None else ("", "none")
    soup = BeautifulSoup(markup, "lxml")
    if len(text) < rules.min_text_chars:
        alternative = clean_text(fallback_text(BeautifulSoup(markup, "lxml")), rules)
        if len(alternative) > len(text):
            text, method = alternative, "fallback"
    if stand_in:
        text = text.replace(stand_in, ZWNJ)
    restore = (lambda s: s.replace(stand_in, ZWNJ) if s and stand_in else s)
    published_raw = _meta(soup, "article:published_time", "og:published_time", "date", "pubdate", "dc.date") \
        or (doc.date if doc is not None else None)
    published, date_problem = check_date(_parse_date(published_raw))
    if published_raw and published is None and date_problem is None:
        date_problem = f"unparseable date {published_raw!r}"
    title = plain_text(restore(_meta(soup, "og:title") or (doc.title if doc is not None else None)
                               or (soup.title.string if soup.title else None))) or None
    text = drop_leading_title(text, title)
    html_lang = (soup.html.get("lang") or "")[:2].lower() if soup.html else ""
    return Extracted(
        title=title, text=text, method=method if text else "none",
        authors=_authors(restore(_meta(soup, "author", "article:author")), doc.author if doc is not None else None),
        published_at=published, published_raw=published_raw, date_problem=date_problem,
        canonical_url=_canonical(soup, url),
        site_name=plain_text(_meta(soup, "og:site_name") or (doc.sitename if doc is not None else None)) or None,
        language=detect_language(text, declared_language or html_lang or None) if text else declared_language,
    )
