"""Sentences of a field (title or text) with their offsets, and the lexicon hits inside each."""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from pipeline.config import Grammar
from pipeline.tagging.labels import (
    PLACE_IRAN,
    PLACE_RUSSIA,
    RELATION_CUES,
    TOPIC_KINDS,
    TOPIC_TERMS,
    Kind,
    Label,
)
from pipeline.tagging.lexicon import Match, Token
from pipeline.tagging.results import Evidence

_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'»”’)\]]*(?=\s+)|[\n]")


@dataclass(slots=True)
class Sentence:
    field: str
    paragraph: int
    start: int
    end: int
    first: int = 0  # token range [first, last) in the field's token list
    last: int = 0
    # by label: the keys are Labels, looked up by a Label, a Kind or a plain string too (a Label equals and hashes as
    # its string form), which no key type short of Any can say
    hits: dict[Any, list[Match]] = dataclasses.field(default_factory=dict)
    link: float = 0.0  # how clearly Russia and Iran act toward each other in this sentence
    both_named: bool = False
    crowded: bool = False  # a third state is named too
    adjacent: bool = False  # Russia here, Iran in the next sentence (or the other way round), with a cue
    corroborated: bool = False  # names both, related only by the headline (see Tagger._corroborate)
    context: float = 0.0
    matches: list[Match] = dataclasses.field(default_factory=list)
    resolved: bool = False  # overlapping terms sorted out (done lazily: only sentences that can matter)

    def has(self, label: str) -> bool:
        return bool(self.hits.get(label))

    def positions(self, label: str) -> list[int]:
        return [m.first for m in self.hits.get(label, ())]


def split_sentences(
    text: str, field_name: str, paragraph_offset: int = 0, abbreviations: frozenset[str] = frozenset()
) -> list[Sentence]:
    """Sentences with offsets; a newline always ends a sentence and a paragraph; a full stop after one of the
    `abbreviations` (the taxonomy's `grammar.abbreviations`) or after a single letter does not end one."""
    sentences: list[Sentence]
    sentences, start, paragraph = [], 0, paragraph_offset
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[max(start, match.start() - 24) : match.start()].rsplit(None, 1)
        last_word = before[-1].lower().rstrip(".") if before else ""
        if match.group() != "\n" and (last_word in abbreviations or re.fullmatch(r"\w", last_word)):
            continue
        _append_sentence(sentences, text, start, end, field_name, paragraph)
        if match.group() == "\n" or "\n" in text[end : end + 1]:
            paragraph += 1
        start = end
    _append_sentence(sentences, text, start, len(text), field_name, paragraph)
    return sentences


def _append_sentence(sentences, text, start, end, field_name, paragraph):
    raw = text[start:end]
    stripped = raw.strip()
    if stripped:
        offset = start + raw.index(stripped[0])
        sentences.append(Sentence(field_name, paragraph, offset, offset + len(stripped)))


@dataclass
class Field:
    name: str
    source: str
    tokens: list[Token]
    sentences: list[Sentence]
    grammar: Grammar = Grammar()  # the word classes the rules read (the taxonomy's `grammar:`)


def sentence_index(tokens: list[Token], sentences: list[Sentence]) -> list[int]:
    """The sentence each token belongs to (both lists are in text order)."""
    starts = [sentence.start for sentence in sentences[1:]]
    position = bisect.bisect_right
    return [position(starts, token[0]) for token in tokens]


def group_hits(matches: list[Match]) -> dict[Label, list[Match]]:
    hits: dict[Label, list[Match]] = {}
    for match in matches:
        for label in match.labels:
            hits.setdefault(label, []).append(match)
    return hits


def may_relate(hits: dict[Any, list[Match]]) -> bool:
    """Sentences whose relation score depends on overlaps: both states named, or a pair word."""
    return (
        (Kind.RUSSIA in hits and (Kind.IRAN in hits or PLACE_IRAN in hits))
        or (Kind.IRAN in hits and PLACE_RUSSIA in hits)
        or Kind.PAIR in hits
        or Kind.REFERENCE in hits
    )


def resolve_hits(matches: list[Match]) -> dict[Label, list[Match]]:
    """Group a sentence's matches by label, dropping topic terms inside longer terms of another topic or inside
    one of their topic's exclusions, and third-state names inside a longer term."""
    outers = [m for m in matches if m.last > m.first or label_sets(m.labels)[1]]
    hits: dict[Label, list[Match]] = {}
    if not outers:
        for match in matches:
            for label in match.labels:
                hits.setdefault(label, []).append(match)
        return hits
    for match in matches:
        covering = [o for o in outers if o is not match and o.start <= match.start and match.end <= o.end]
        if not covering:
            for label in match.labels:
                hits.setdefault(label, []).append(match)
            continue
        length = match.end - match.start
        for label in match.labels:
            if label.kind in TOPIC_KINDS:
                topic = label.key
                if any(
                    topic in label_sets(o.labels)[1] or (o.end - o.start > length and label_sets(o.labels)[0] - {topic})
                    for o in covering
                ):
                    continue
            elif (
                label == Kind.OTHER_STATE
                and any(o.end - o.start > length and Kind.OTHER_STATE not in o.labels for o in covering)
                or label.kind in RELATION_CUES
                and any(Kind.NOT_CUE in o.labels for o in covering)
            ):
                continue
            hits.setdefault(label, []).append(match)
    return hits


_LABEL_SETS: dict[tuple[Label, ...], tuple[frozenset[str], frozenset[str]]] = {}


def label_sets(labels: tuple[Label, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(topics a term belongs to, topics it excludes), cached per label tuple."""
    found = _LABEL_SETS.get(labels)
    if found is None:
        found = (
            frozenset(label.key for label in labels if label.kind in TOPIC_TERMS),
            frozenset(label.key for label in labels if label.kind is Kind.EXCLUDE),
        )
        _LABEL_SETS[labels] = found
    return found


def evidence_of(sentence: Sentence, fields: list[Field]) -> Evidence:
    source = fields[0].source if sentence.field == "title" else fields[1].source
    return Evidence(source[sentence.start : sentence.end], sentence.field, sentence.start, sentence.end)
