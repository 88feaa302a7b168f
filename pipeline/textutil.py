"""Small text helpers shared by the stages: plain text from markup, normalization, hashing."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import ftfy
import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9-]*|/[a-zA-Z][a-zA-Z0-9-]*|!--)[^<>]*>?")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_NO_TEXT = {"script", "style", "noscript", "template"}  # elements whose content is never text
_MAX_PASSES = 6  # unescaping may uncover markup, repairing may uncover spaces: repeat until nothing changes


def strip_controls(text: str) -> str:
    """Remove NUL, control characters and lone surrogates (PostgreSQL rejects some of them); keep \\n and \\t."""
    return _CONTROL.sub("", text)


def strip_markup(text: str) -> str:
    """Drop tags (and script/style content) with nh3 when the text holds markup, and unescape entities, again
    while unescaping uncovers more: a double-escaped "&amp;lt;script&amp;gt;" is markup too."""
    for _ in range(_MAX_PASSES):
        cleaned = (
            nh3.clean(text, tags=set(), clean_content_tags=_NO_TEXT, strip_comments=True) if _TAG.search(text) else text
        )
        unescaped = html.unescape(cleaned)
        if unescaped == text:
            break
        text = unescaped
    return text


def repair_mojibake(text: str) -> str:
    """Fix text decoded with the wrong charset, but only when ftfy detects mojibake (nothing else is touched)."""
    if ftfy.badness.is_bad(text):
        return ftfy.fix_text(
            text,
            normalization="NFC",
            uncurl_quotes=False,
            fix_latin_ligatures=False,
            fix_character_width=False,
            unescape_html=False,
        )
    return text


def until_stable(step, text: str) -> str:
    """Apply `step` until it changes nothing (at most a few times), so that cleaning twice equals cleaning once."""
    for _ in range(_MAX_PASSES):
        after = step(text)
        if after == text:
            break
        text = after
    return text


def _plain_once(text: str) -> str:
    text = strip_controls(repair_mojibake(strip_markup(text)))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def plain_text(value: str | None) -> str:
    """Markup-free, control-free, NFC, single-spaced text from a possibly HTML-bearing string (titles, summaries),
    mojibake repaired when detected."""
    return until_stable(_plain_once, value) if value else ""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def content_fingerprint(text: str) -> str:
    """Hash of the text with case and white space folded: equal for exact copies with other spacing."""
    folded = " ".join(text.casefold().split())
    return sha256_text(folded)
