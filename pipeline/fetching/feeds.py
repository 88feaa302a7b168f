"""Turn feed bytes into typed entries. feedparser never sees a URL, only bytes, and never raises here:
like feedparser's own `bozo`, what was wrong is reported beside the result.
"""

from __future__ import annotations

import calendar
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser
from feedparser.encodings import convert_to_utf8

from pipeline.textutil import plain_text, strip_controls
from pipeline.vocabulary import utc

log = logging.getLogger(__name__)

EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)

# Declarations that make a parser copy text: entities (quadratic blow-up, "billion laughs") and attribute
# defaults (one long default copied onto every element). A declaration written as the XML grammar has it is
# removed whole; the patterns never cross a "<", ">" or "--", so they stay linear and cannot swallow the end
# of a comment. Any "<!ENTITY" or "<!ATTLIST" left over (odd syntax, inside a comment) loses its "<!".
_LITERAL = rb"""(?:"[^"<>]*"|'[^'<>]*')"""
_TOKEN = rb"""(?:[^\s<>"'(-]|-(?!-))+"""
_ENTITY_DECL = (
    rb"<!ENTITY\s+(?:%\s+)?"
    + _TOKEN
    + rb"\s*(?:"
    + _LITERAL
    + rb"|SYSTEM\s*"
    + _LITERAL
    + rb"|PUBLIC\s*"
    + _LITERAL
    + rb"\s*"
    + _LITERAL
    + rb")(?:\s+NDATA\s+"
    + _TOKEN
    + rb")?\s*>"
)
_ATTLIST_DECL = rb"<!ATTLIST\s+" + _TOKEN + rb"(?:\s+(?:" + _TOKEN + rb"|" + _LITERAL + rb"|\([^()<>]*\)))*\s*>"
_DECLARATION = re.compile(_ENTITY_DECL + rb"|" + _ATTLIST_DECL, re.IGNORECASE)
_DECLARATION_OPENER = re.compile(rb"<!(?=ENTITY|ATTLIST)", re.IGNORECASE)
# A namespace URI with white space inside makes feedparser's strict parser raise (expat joins URI and name
# with a space, and the SAX reader splits on any white space).
_NAMESPACE_DECL = re.compile(rb"""(\sxmlns(?::[^\s=<>"']+)?\s*=\s*)("[^"<>]*"|'[^'<>]*')""")
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
    """Remove entity and attribute-default declarations and the character references that make feedparser
    raise. Works on the bytes of an ASCII-compatible encoding; see `defuse_for_parser` for the others."""
    data = _DECLARATION.sub(b" ", data)  # a space, so that no keyword can be re-formed from two halves
    data = _DECLARATION_OPENER.sub(b"  ", data)
    return _CHAR_REF.sub(_safe_char_ref, data)


def defuse_for_parser(data: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """Defuse the document feedparser will actually read. In UTF-16/32 or EBCDIC a declaration is not
    visible in the raw bytes, so the text is decoded as feedparser decodes it, and if that text still holds
    something to defuse it is handed over as UTF-8 (the XML declaration and charset are rewritten to match)."""
    data = defuse_feed(data)
    try:
        as_utf8 = convert_to_utf8(dict(headers), data, {})
    except Exception:
        return data, headers
    defused = _NAMESPACE_DECL.sub(_namespace_without_spaces, defuse_feed(as_utf8))
    if defused == as_utf8:
        return data, headers
    media_type = (headers.get("content-type") or "application/xml").split(";", 1)[0].strip()
    return defused, {**headers, "content-type": f"{media_type}; charset=utf-8"}


def _namespace_without_spaces(match: re.Match) -> bytes:
    quote, uri = match.group(2)[:1], match.group(2)[1:-1].decode("utf-8", "replace")
    uri = "%20".join(uri.split())
    return match.group(1) + quote + uri.encode("utf-8") + quote


def _clean_field(value: str | None) -> str | None:
    """Identifiers and raw values from a feed: no NUL, control characters or lone surrogates."""
    return (strip_controls(value).strip() or None) if value else None


def check_date(value: datetime | None, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """Reject dates in the future (beyond a day's clock skew) or before 1990; return (date, problem)."""
    if value is None:
        return None, None
    value = utc(value)
    now = now or datetime.now(UTC)
    if value > now + FUTURE_TOLERANCE:
        return None, f"date {value.isoformat()} is in the future"
    if value < EARLIEST_DATE:
        return None, f"date {value.isoformat()} is before 1990"
    return value, None


def _entry_date(entry) -> tuple[datetime | None, str | None, str | None]:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        parsed = entry.get(f"{key}_parsed")
        raw = _clean_field(raw)
        if parsed:
            try:
                value = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (ValueError, OverflowError, OSError):  # feedparser accepts years 0 and 10000
                return None, raw, f"date {raw!r} is out of range"
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
    return _clean_field(link)


def to_entry(entry) -> FeedEntry:
    """Convert one feedparser entry (an untyped dict) into a FeedEntry."""
    published, raw, problem = _entry_date(entry)
    authors = tuple(filter(None, (plain_text(a.get("name")) for a in entry.get("authors") or [])))
    return FeedEntry(
        url=_entry_url(entry),
        guid=_clean_field(entry.get("id")),
        title=plain_text(entry.get("title")) or None,
        summary=plain_text(entry.get("summary")) or None,
        published_at=published,
        published_raw=raw,
        date_problem=problem,
        authors=authors,
    )


def parse_feed(data: bytes, headers: dict[str, str] | None = None, url: str | None = None) -> ParsedFeed:
    """Parse feed bytes; never raises. `headers` are the HTTP response headers (charset, base URL)."""
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    if url:
        headers.setdefault("content-location", url)
    if not data or not data.strip():
        return ParsedFeed((), False, None, "", "empty body")
    try:
        data, headers = defuse_for_parser(data, headers)
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True)
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
