"""Page metadata: title, authors, published time, canonical URL, site name.

The page's own meta tags come first (cheap, and what the publisher declares). trafilatura's readers (JSON-LD,
bylines, the date search of htmldate) run only for the fields the meta tags lack, in trafilatura's own order, so
that a page with complete meta tags costs no page-wide search.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_sitename, extract_title
from trafilatura.settings import set_date_params

from pipeline.fetching.feeds import check_date
from pipeline.fetching.netguard import RefusedURL, check_url
from pipeline.textutil import plain_text
from pipeline.vocabulary import utc

log = logging.getLogger(__name__)

PUBLISHED_TAGS = ("article:published_time", "og:published_time", "date", "pubdate", "dc.date")
META_FIELDS = {
    "title": ("og:title",),
    "date": PUBLISHED_TAGS,
    "author": ("author", "article:author"),
    "sitename": ("og:site_name",),
}
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\band\b|&|\bи\b|\sو\s)\s*")
_BYLINE_PREFIX = re.compile(r"^(by|от|автор:?|نویسنده:?)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class PageMetadata:
    title: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    published_raw: str | None
    date_problem: str | None
    canonical_url: str | None
    site_name: str | None
    html_lang: str | None


def meta_tags(tree: HtmlElement | None) -> dict[str, str]:
    """The first non-empty content of each <meta property=…> or <meta name=…> of the page."""
    found: dict[str, str] = {}
    for tag in tree.iter("meta") if tree is not None else ():
        content = (tag.get("content") or "").strip()
        for key in (tag.get("property"), tag.get("name")):
            if key and content:
                found.setdefault(key, content)
    return found


def first(meta: dict[str, str], *names: str) -> str | None:
    return next((meta[n] for n in names if n in meta), None)


def read_metadata(
    tree: HtmlElement | None, url: str | None, restore: Callable[[str | None], str | None] = lambda s: s
) -> PageMetadata:
    """Metadata of one page; `restore` undoes characters the caller protected in the markup."""
    meta = meta_tags(tree)
    found = missing_fields(tree, meta, url)
    published_raw = first(meta, *PUBLISHED_TAGS) or found.get("date")
    published, date_problem = check_date(parse_date(published_raw))
    if published_raw and published is None and date_problem is None:
        date_problem = f"unparseable date {published_raw!r}"
    page_title = tree.findtext(".//title") if tree is not None else None
    return PageMetadata(
        title=plain_text(restore(meta.get("og:title") or found.get("title") or page_title)) or None,
        authors=split_authors(restore(first(meta, "author", "article:author")), found.get("author")),
        published_at=published,
        published_raw=published_raw,
        date_problem=date_problem,
        canonical_url=canonical_url(tree, meta, url),
        site_name=plain_text(meta.get("og:site_name") or found.get("sitename")) or None,
        html_lang=(tree.get("lang") or "")[:2].lower() or None if tree is not None else None,
    )


def missing_fields(tree: HtmlElement | None, meta: dict[str, str], url: str | None) -> dict[str, str | None]:
    """What trafilatura's readers find for the fields the meta tags lack (best effort, never raises)."""
    missing = {field for field, names in META_FIELDS.items() if not first(meta, *names)}
    if tree is None or not missing:
        return {}
    try:
        return _read_missing(tree, missing, url)
    except Exception as exc:  # third-party readers on arbitrary markup: metadata is best effort
        log.warning("metadata extraction failed on %s: %s", url, exc)
        return {}


def without_code(tree: HtmlElement) -> HtmlElement:
    """A copy without scripts, styles and templates: a <script> inside an <h1> is not part of the headline."""
    copy = deepcopy(tree)
    for element in copy.xpath(".//script|.//style|.//noscript|.//template"):
        element.drop_tree()
    return copy


def _read_missing(tree: HtmlElement, missing: set[str], url: str | None) -> dict[str, str | None]:
    """trafilatura's extract_metadata, restricted to the missing fields (same readers, same order)."""
    found = examine_meta(tree)
    if found.author and " " not in found.author:  # a single word is a handle, not a name
        found.author = None
    found = extract_meta_json(tree, found)
    visible = without_code(tree) if missing & {"title", "author"} else tree
    if "title" in missing and not found.title:
        found.title = extract_title(visible)
    if "author" in missing and not found.author:
        found.author = extract_author(visible)
    if "date" in missing:
        found.date = find_date(tree, url=found.url or url, **set_date_params(True))
    if "sitename" in missing:
        found.sitename = _site_name(found.sitename or extract_sitename(tree), found.url or url)
    found.clean_and_trim()
    return {field: getattr(found, field) for field in missing}


def _site_name(name: str | None, url: str | None) -> str | None:
    name = (name or "").lstrip("@")
    if name and "." not in name and not name[0].isupper():
        name = name.title()
    return name or (urlsplit(url or "").hostname or "").removeprefix("www.") or None


def parse_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = dateparser.parse(raw)
    except (ValueError, OverflowError, TypeError):
        return None
    return utc(value)


def split_authors(*candidates: str | None) -> tuple[str, ...]:
    """Author names of the first candidate that has any (bylines split on commas, 'and', semicolons)."""
    for raw in candidates:
        if raw:
            names = [_BYLINE_PREFIX.sub("", plain_text(part)) for part in _AUTHOR_SPLIT.split(raw)]
            names = [n for n in names if n and len(n) <= 100]
            if names:
                return tuple(dict.fromkeys(names))
    return ()


def canonical_url(tree: HtmlElement | None, meta: dict[str, str], page_url: str | None) -> str | None:
    links = tree.iter("link") if tree is not None else ()
    link = next((el for el in links if "canonical" in (el.get("rel") or "").lower().split()), None)
    href = (link.get("href") or "").strip() if link is not None else (meta.get("og:url") or "")
    if not href:
        return None
    try:
        return check_url(urljoin(page_url or "", href))
    except RefusedURL:
        return None
