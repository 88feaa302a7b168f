"""Turn feed bytes into typed entries. feedparser never sees a URL, only bytes, and never raises here:
like feedparser's own `bozo`, what was wrong is reported beside the result.
"""
from __future__ import annotations

import calendar
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import feedparser

from .textutil import plain_text

log = logging.getLogger(__name__)

EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_TOLERANCE = timedelta(days=1)

# An internal DTD subset may declare entities that expand quadratically ("billion laughs"): drop it.
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.DOTALL | re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE)
# Numeric character references feedparser raises on: surrogates, beyond U+10FFFF, absurdly long numbers.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


@dataclass(frozen=True)
class FeedEntry:
    url: str | None
    guid: str | None
    title: str | None
    summary: str | None
    published_at: datetime | None
    published_raw: str | None
    date_problem: str | None
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    entries: tuple[FeedEntry, ...]
    is_feed: bool
    title: str | None
    version: str
    problem: str | None  # why the document was not well-formed (feedparser's bozo) or could not be read


def _safe_char_ref(match: re.Match) -> bytes:
    hex_digits, dec_digits = match.groups()
    digits = hex_digits or dec_digits
    if len(digits) > 8:
        return b"&#xFFFD;"
    code = int(digits, 16 if hex_digits else 10)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return match.group(0)


def defuse_feed(data: bytes) -> bytes:
    """Remove entity declarations and references that make feedparser raise or expand without bound."""
    data = _DOCTYPE_SUBSET.sub(b"", data)
    data = _ENTITY_DECL.sub(b"", data)
    return _CHAR_REF.sub(_safe_char_ref, data)


def check_date(value: datetime | None, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """Reject dates in the future (beyond a day's clock skew) or before 1990; return (date, problem)."""
    if value is None:
        return None, None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    now = now or datetime.now(timezone.utc)
    if value > now + FUTURE_TOLERANCE:
        return None, f"date {value.isoformat()} is in the future"
    if value < EARLIEST_DATE:
        return None, f"date {value.isoformat()} is before 1990"
    return value, None


def _entry_date(entry) -> tuple[datetime | None, str | None, str | None]:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            value = datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
            checked, problem = check_date(value)
            return checked, raw, problem
        if raw:
            return None, raw, f"unparseable date {raw!r}"
    return None, None, None


def _entry_url(entry) -> str | None:
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if not link and entry.get("guidislink") and entry.get("id"):
        link = entry["id"]
    return link.strip() if link else None


def to_entry(entry) -> FeedEntry:
    """Convert one feedparser entry (an untyped dict) into a FeedEntry."""
    published, raw, problem = _entry_date(entry)
    authors = tuple(a.get("name", "").strip() for a in entry.get("authors") or [] if a.get("name"))
    return FeedEntry(
        url=_entry_url(entry),
        guid=(entry.get("id") or None),
        title=plain_text(entry.get("title")) or None,
        summary=plain_text(entry.get("summary")) or None,
        published_at=published,
        published_raw=raw,
        date_problem=problem,
        authors=authors,
    )


def parse_feed(data: bytes, headers: dict[str, str] | None = None, url: str | None = None) -> ParsedFeed:
    """Parse feed bytes; never raises. `headers` are the HTTP response headers (charset, base URL)."""
    headers = dict(headers or {})
    if url:
        headers.setdefault("content-location", url)
    if not data or not data.strip():
        return ParsedFeed((), False, None, "", "empty body")
    try:
        parsed = feedparser.parse(io.BytesIO(defuse_feed(data)), response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser raises on a few inputs instead of flagging them
        log.warning("feedparser failed on %s: %s", url, exc)
        return ParsedFeed((), False, None, "", f"unparseable feed: {type(exc).__name__}: {exc}")
    entries = []
    for raw_entry in parsed.entries:
        try:
            entries.append(to_entry(raw_entry))
        except Exception as exc:  # one odd entry must not cost the others
            log.warning("skipping an unreadable entry in %s: %s", url, exc)
    problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}" if parsed.get("bozo") else None
    is_feed = bool(parsed.get("version")) or bool(entries)
    title = plain_text(parsed.feed.get("title")) or None
    return ParsedFeed(tuple(entries), is_feed, title, parsed.get("version") or "", problem)
