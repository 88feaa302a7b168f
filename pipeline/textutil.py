"""Small text helpers shared by the stages: plain text from markup, normalization, hashing."""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9-]*|/[a-zA-Z][a-zA-Z0-9-]*|!--)[^<>]*>?")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def strip_controls(text: str) -> str:
    """Remove NUL, control characters and lone surrogates (PostgreSQL rejects some of them); keep \\n and \\t."""
    return _CONTROL.sub("", text)


def strip_markup(text: str) -> str:
    """Drop tags (and script/style content) with nh3 when the text holds markup; unescape entities."""
    if _TAG.search(text):
        text = nh3.clean(text, tags=set(), strip_comments=True)
    return html.unescape(text)


def plain_text(value: str | None) -> str:
    """Markup-free, NFC, single-spaced text from a possibly HTML-bearing string (titles, summaries)."""
    if not value:
        return ""
    text = strip_markup(value)
    text = unicodedata.normalize("NFC", strip_controls(text))
    return _SPACES.sub(" ", text).strip()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def content_fingerprint(text: str) -> str:
    """Hash of the text with case and white space folded: equal for exact copies with other spacing."""
    folded = " ".join(text.casefold().split())
    return sha256_text(folded)
