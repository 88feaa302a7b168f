"""Bare lists of sector names ("defence, energy, finance, transport…") earn no topic; items with content do."""

from __future__ import annotations

import re

from pipeline.tagging.labels import TOPIC_TERMS
from pipeline.tagging.lexicon import Match
from pipeline.tagging.sentences import Field, Sentence

LIST_ITEM_MAX_WORDS = 2  # a list item with more content words than this has content of its own
LIST_MIN_ITEMS = 3


LIST_PUNCTUATION = re.compile(r"[,;:،؛«»“”\"()]")  # quotes and brackets end a list item too


def listed_topic_matches(sentence: Sentence, f: Field) -> set[int]:
    """ids of topic matches that sit in a list that is not all about one domain ("defence, energy and finance",
    "grain, sunflower oil and timber", "fruit, plastics and car parts"); such lists earn none of their topics."""
    topic_matches = [m for label, ms in sentence.hits.items() if label.kind in TOPIC_TERMS for m in ms]
    if len({m.first for m in topic_matches}) < 2:
        return set()
    listed: set[int] = set()
    topic_ends = {m.first: m.last for m in sorted(topic_matches, key=lambda m: m.last)}  # the longest per start
    for run in list_runs(sentence, f, topic_ends):
        item_topics = []
        members = []
        for a, b in run:
            inside = [m for m in topic_matches if a <= m.first < b]
            members.extend(inside)
            item_topics.append(frozenset(label.key for m in inside for label in m.labels if label.kind in TOPIC_TERMS))
        if len(set(item_topics)) > 1 or len(item_topics[0]) != 1:
            listed.update(id(m) for m in members)
    return listed


def list_runs(sentence: Sentence, f: Field, topic_ends: dict[int, int] | None = None) -> list[list[tuple[int, int]]]:
    """Runs of consecutive short list items, each item a token range; the first item may be long (its tail), and
    the last may go on after its topic word ("trade, logistics, education and tourism as areas for the group")."""
    text = f.source[sentence.start : sentence.end]
    separators = sum(text.count(c) for c in ",;:،؛") + sum(text.count(f" {w} ") for w in f.grammar.list_separator_words)
    if separators < LIST_MIN_ITEMS - 1:
        return []
    protected: set[int] = set()
    for matches in sentence.hits.values():
        for m in matches:
            if m.last > m.first:
                protected.update(range(m.first + 1, m.last + 1))
    items: list[tuple[int, int]] = []
    start = sentence.first
    for index in range(sentence.first, sentence.last):
        token = f.tokens[index]
        if index > sentence.first and index not in protected:
            gap = f.source[f.tokens[index - 1].end : token.start]
            if LIST_PUNCTUATION.search(gap) and index > start:
                items.append((start, index))
                start = index
        if token.word in f.grammar.conjunctions and index not in protected:
            if index > start:
                items.append((start, index))
            start = index + 1
    if start < sentence.last:
        items.append((start, sentence.last))
    runs, current = [], []
    for item in items:
        clause = f.tokens[item[0]].word in f.grammar.clause_starters
        if not clause and content_words(item, f) <= LIST_ITEM_MAX_WORDS:
            current.append(item)
            continue
        head = (topic_ends or {}).get(item[0])
        if (
            not clause
            and head is not None
            and len(current) >= 2
            and f.tokens[item[0] - 1].word in f.grammar.conjunctions
            and content_words((item[0], head + 1), f) <= 1
        ):
            current.append((item[0], head + 1))  # the list's last item is a bare topic word; the sentence goes on
            runs.append(current)
            current = []
            continue
        if len(current) + (0 if clause else 1) >= LIST_MIN_ITEMS and len(current) >= 2:
            runs.append(current)  # "defence, energy and the development of Caspian ports": the last item has content
        current = [(max(item[0], item[1] - LIST_ITEM_MAX_WORDS), item[1])]  # a long item may lead a list
    if len(current) >= LIST_MIN_ITEMS:
        runs.append(current)
    return runs


def names_sector(match: Match, sectors: list[int]) -> bool:
    """A topic word next to a sector word ("logistics sphere", «в сфере логистики», «در حوزه انرژی»)."""
    return any(match.first - 3 <= s < match.first or match.last < s <= match.last + 2 for s in sectors)


def content_words(item: tuple[int, int], f: Field) -> int:
    """Words of a list item that give it content ("حمل و نقل", "oil and gas" are one domain's name)."""
    return sum(
        1
        for k in range(item[0], item[1])
        if f.tokens[k].word not in f.grammar.function_words and f.tokens[k].word not in f.grammar.conjunctions
    )
