"""Clean extracted text: markup and control characters out, mojibake repaired only when detected, NFC,
site chrome removed by the data-driven rules of config/cleaning.yaml."""

from __future__ import annotations

import re
import unicodedata

from pipeline.config import CleaningRules
from pipeline.textutil import repair_mojibake, strip_controls, strip_markup, until_stable

_INLINE_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_MAX_LINE_FOR_RULES = 160  # a boilerplate line is short; long lines are article text whatever they contain


def is_boilerplate(line: str, rules: CleaningRules) -> bool:
    return len(line) <= _MAX_LINE_FOR_RULES and any(p.fullmatch(line) for p in rules.line_patterns)


def is_end_marker(line: str, rules: CleaningRules) -> bool:
    return len(line) <= _MAX_LINE_FOR_RULES and any(p.fullmatch(line) for p in rules.tail_markers)


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFC", strip_controls(repair_mojibake(strip_markup(text))))
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def normalize_text(text: str) -> str:
    """Markup-free, control-free, NFC text with single spaces inside lines and no empty lines (a fixed point:
    normalizing it again changes nothing)."""
    return until_stable(_normalize_once, text)


def clean_text(text: str, rules: CleaningRules) -> str:
    """Apply normalization, then drop boilerplate lines and everything after an end marker."""
    kept: list[str] = []
    for line in normalize_text(text).split("\n"):
        if is_end_marker(line, rules) and kept:
            break
        if not is_boilerplate(line, rules):
            kept.append(line)
    return "\n".join(kept)
