"""Line vote between two extractors: a line of the primary extractor's text stays when the voter extracted it too.

trafilatura (in fast, recall-leaning mode) finds the article and keeps its order; readability, a different algorithm,
votes. Chrome that only one of them picked up (bylines, captions, newsletter boxes, related links, menus) goes. When the
voter found the same text and much more around it, the primary extractor saw only part of the article and the voter's
text is taken instead (the rule trafilatura itself applies to readability). A line counts as extracted by the voter when
most of its word 4-grams are in the voter's text (a short line: when it appears there whole), so different line breaks
or spacing do not matter.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
SHINGLE = 4
LINE_SUPPORT = 0.5  # share of a line's word 4-grams the voter must hold for the line to stay
VOTE_KEEPS_AT_LEAST = 0.3  # a vote keeping less than this share of the text is checked against the voter ...
VOTER_AGREES = 0.6  # ... and trusted only when the kept lines hold this share of the voter's text (same article)
VOTER_LONGER = 2.0  # the voter's text replaces the kept lines when it is this many times longer ...
VOTER_CONTAINS = 0.9  # ... and holds this share of their 4-grams: the primary found only part of the article


def _shingles(words: list[str]) -> list[str]:
    return [" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


def _supported(line: str, voter_words: str, voter_shingles: set[str]) -> bool:
    words = _WORD.findall(line)
    if not words:
        return True
    if len(words) < SHINGLE:  # a short line must appear as a whole
        return f" {' '.join(words)} " in voter_words
    shingles = _shingles(words)
    return sum(s in voter_shingles for s in shingles) >= LINE_SUPPORT * len(shingles)


def confirm_lines(text: str, voter: str) -> str:
    """Keep the lines of `text` that `voter` also extracted. The whole text stays when the vote would keep little of
    it and what it keeps is not the voter's article either (the voter then found something else)."""
    words = _WORD.findall(voter)
    if not words:
        return text
    voter_words, voter_shingles = f" {' '.join(words)} ", set(_shingles(words))
    lines = [line for line in text.split("\n") if line.strip()]
    kept = [line for line in lines if _supported(line, voter_words, voter_shingles)]
    if sum(map(len, kept)) >= VOTE_KEEPS_AT_LEAST * sum(map(len, lines)):
        return "\n".join(kept)
    agreed = voter_shingles & set(_shingles(_WORD.findall("\n".join(kept))))
    return "\n".join(kept) if len(agreed) >= VOTER_AGREES * len(voter_shingles) else text


def voter_found_more(kept: str, voter: str) -> bool:
    """The voter's text is much longer than the kept lines and holds nearly all of them."""
    kept_words, voter_words = _WORD.findall(kept), _WORD.findall(voter)
    if not kept_words or len(voter_words) <= VOTER_LONGER * len(kept_words):
        return False
    voter_shingles, kept_shingles = set(_shingles(voter_words)), _shingles(kept_words)
    return sum(s in voter_shingles for s in kept_shingles) >= VOTER_CONTAINS * max(len(kept_shingles), 1)


def vote(text: str, voter: str) -> tuple[str, bool]:
    """(text, whether the voter's text won): the confirmed lines, or the voter's text when it found more."""
    kept = confirm_lines(text, voter)
    return (voter, True) if voter_found_more(kept, voter) else (kept, False)
