"""Rule and lexicon tagger for the Russia–Iran taxonomy (config/taxonomy.yaml, spec: shared taxonomy.md).

Relevance needs a sentence in which both states act toward each other; a topic needs a sentence about the pair
in that domain. Every decision keeps its evidence: the sentence, its field (title or text) and character offsets.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .config import TaxonomySpec

RELEVANCE_THRESHOLD = 0.6
TOPIC_THRESHOLD = 0.6
ADJACENT_WORDS = 8  # two actor mentions this close are read as a pair ("Russia and Iran", "Moscow and Tehran")
LIST_ITEM_MAX_WORDS = 3

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "prof", "sen", "rep", "gov", "jan", "feb",
                  "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "inc", "ltd",
                  "corp", "co", "u.s", "u.k", "u.n", "e.g", "i.e", "etc", "г", "гг", "им", "т.е", "т.д"}
_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'»”’)\]]*(?=\s+)|[\n]")
_LIST_SPLIT = re.compile(r"\s*(?:[,;:،؛]|\band\b|\bor\b|\bи\b|\bа также\b|\sو\s)\s*")
_WORD = re.compile(r"\w+")
# Characters folded for matching; every replacement keeps the length so offsets stay true.
_FOLD = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "\u200c": " ", "ё": "е", "–": "-", "—": "-", "‑": "-",
                       "‐": "-", "’": "'", "ـ": " "})


def fold(text: str) -> str:
    """Lower-case and fold spelling variants without changing the string's length."""
    lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.translate(_FOLD)


def term_pattern(term: str) -> str:
    """Regex for one lexicon term: word-start anchored; `*` makes it a stem; hyphens and spaces are flexible."""
    stem = term.endswith("*")
    body = fold(term.rstrip("*").strip())
    parts = [re.escape(piece) for piece in re.split(r"[\s]+", body)]
    pattern = r"\s+".join(parts).replace(r"\-", r"[-\s]?")
    return rf"(?<!\w){pattern}" + (r"\w*" if stem else r"(?!\w)")


def is_acronym(term: str) -> bool:
    """Capitals of up to five letters (IT, AI, SCO, ВТБ) match only in capitals."""
    letters = term.rstrip("*")
    return letters.isupper() and letters.isalpha() and len(letters) <= 5


def compile_terms(terms, case_sensitive: bool = False) -> re.Pattern | None:
    """One alternation for a term list, longest first; acronyms go in the case-sensitive pattern."""
    chosen = sorted({t for t in terms if is_acronym(t) == case_sensitive}, key=lambda t: -len(t))
    if not chosen:
        return None
    if case_sensitive:
        return re.compile("|".join(
            rf"(?<!\w){re.escape(t.rstrip('*'))}" + (r"\w*" if t.endswith("*") else r"(?!\w)") for t in chosen))
    return re.compile("|".join(f"(?:{term_pattern(t)})" for t in chosen))


@dataclass(frozen=True)
class Evidence:
    text: str
    field: str  # title or text
    start: int
    end: int


@dataclass(frozen=True)
class TopicTag:
    topic: str
    score: float
    evidence: Evidence


@dataclass(frozen=True)
class TagResult:
    relevant: bool
    relevance: float
    evidence: Evidence | None
    topics: tuple[TopicTag, ...]
    taxonomy_version: str

    def as_dict(self, item_id=None) -> dict:
        return {
            "id": item_id, "relevant": self.relevant, "relevance": round(self.relevance, 3),
            "evidence": self.evidence.text if self.evidence else None,
            "topics": [{"topic": t.topic, "score": round(t.score, 3), "evidence": t.evidence.text,
                        "field": t.evidence.field, "start": t.evidence.start, "end": t.evidence.end}
                       for t in self.topics],
            "taxonomy_version": self.taxonomy_version,
        }


@dataclass
class _Sentence:
    field: str
    paragraph: int
    start: int
    end: int
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    pair_score: float = 0.0

    def has(self, group: str) -> bool:
        return bool(self.spans.get(group))


def split_sentences(text: str, field_name: str, paragraph_offset: int = 0) -> list[_Sentence]:
    """Sentences with offsets; a newline always ends a sentence and a paragraph."""
    sentences, start, paragraph = [], 0, paragraph_offset
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[start:match.start()].rsplit(None, 1)
        last_word = before[-1].lower().rstrip(".") if before else ""
        if match.group() != "\n" and (last_word in _ABBREVIATIONS or re.fullmatch(r"\w", last_word)):
            continue
        _append_sentence(sentences, text, start, end, field_name, paragraph)
        if match.group() == "\n" or "\n" in text[end:end + 1]:
            paragraph += 1
        start = end
    _append_sentence(sentences, text, start, len(text), field_name, paragraph)
    return sentences


def _append_sentence(sentences, text, start, end, field_name, paragraph):
    raw = text[start:end]
    stripped = raw.strip()
    if stripped:
        offset = start + raw.index(stripped[0])
        sentences.append(_Sentence(field_name, paragraph, offset, offset + len(stripped)))


class Tagger:
    """Compiled taxonomy; `tag(title, text)` is pure and thread-safe."""

    def __init__(self, spec: TaxonomySpec):
        self.spec = spec
        self.version = spec.version
        self.topics = spec.topics
        lexicons = [("russia", spec.actors["russia"]), ("iran", spec.actors["iran"]), ("pair", spec.pair_terms),
                    ("cue", spec.relation_cues), ("other", spec.other_states)]
        lexicons += [(f"topic:{t.id}", t.terms) for t in spec.topics]
        lexicons += [(f"exclude:{t.id}", t.exclude) for t in spec.topics if t.exclude]
        # (group, pattern, matched against the original text rather than the folded one)
        self.patterns: list[tuple[str, re.Pattern, bool]] = []
        for group, terms in lexicons:
            for case_sensitive in (False, True):
                pattern = compile_terms(terms, case_sensitive)
                if pattern is not None:
                    self.patterns.append((group, pattern, case_sensitive))

    # -- matching
    def _annotate(self, sentences: list[_Sentence], source: str) -> None:
        starts = [s.start for s in sentences]
        folded = fold(source)
        for group, pattern, case_sensitive in self.patterns:
            for match in pattern.finditer(source if case_sensitive else folded):
                index = bisect.bisect_right(starts, match.start()) - 1
                if index >= 0 and match.end() <= sentences[index].end:
                    sentences[index].spans.setdefault(group, []).append(match.span())

    def _pair_score(self, sentence: _Sentence, text: str) -> float:
        """How clearly this sentence has Russia and Iran acting toward each other (0 when not both named)."""
        ru, ir = sentence.spans.get("russia", []), sentence.spans.get("iran", [])
        if not (ru and ir):
            return 0.0
        gap = min(_words_between(text, a, b) for a in ru for b in ir)
        adjacent = gap <= ADJACENT_WORDS
        others = len(sentence.spans.get("other", []))
        score = 0.45 + (0.2 if sentence.has("cue") else 0.0) + (0.15 if adjacent else 0.0)
        if others >= 2 and _is_enumeration(text[sentence.start:sentence.end]):
            score -= 0.45  # a list of states (BRICS members, a market report) is co-occurrence
        elif others and not adjacent:
            score -= 0.25  # a third state between them: the pair is probably not the subject
        return max(0.0, min(score, 1.0))

    # -- decisions
    def tag(self, title: str | None, text: str) -> TagResult:
        title = title or ""
        sentences = split_sentences(title, "title", -1) + split_sentences(text, "text")
        for field_name, source in (("title", title), ("text", text)):
            group = [s for s in sentences if s.field == field_name]
            self._annotate(group, source)
        for s in sentences:
            s.pair_score = self._pair_score(s, title if s.field == "title" else text)
        best = max(sentences, key=lambda s: (s.pair_score, s.field == "text"), default=None)
        strong = [s for s in sentences if s.pair_score >= RELEVANCE_THRESHOLD]
        relevance = min(1.0, (best.pair_score if best else 0.0) + 0.05 * min(len(strong) - 1, 3)) if strong else (
            best.pair_score if best else 0.0)
        relevant = bool(strong)
        evidence = _evidence(best, title, text) if best is not None and best.pair_score > 0 else None
        topics = self._topics(sentences, title, text) if relevant else ()
        return TagResult(relevant, round(relevance, 3), evidence, topics, self.version)

    def _context(self, sentence: _Sentence, sentences: list[_Sentence]) -> float:
        """How strongly a sentence is about the pair: itself, through a pair phrase, or through its paragraph."""
        if sentence.pair_score >= RELEVANCE_THRESHOLD:
            return 0.9
        same_paragraph = [s for s in sentences if s.field == sentence.field and s.paragraph == sentence.paragraph]
        paragraph_has_pair = any(s.pair_score >= RELEVANCE_THRESHOLD for s in same_paragraph)
        if sentence.has("pair") and (paragraph_has_pair or sentence.has("russia") or sentence.has("iran")):
            return 0.8
        if sentence.has("pair"):
            return 0.7
        if paragraph_has_pair and (sentence.has("russia") or sentence.has("iran")):
            return 0.7
        return 0.0

    def _topics(self, sentences: list[_Sentence], title: str, text: str) -> tuple[TopicTag, ...]:
        found: dict[str, list[tuple[float, _Sentence]]] = {}
        for sentence in sentences:
            context = self._context(sentence, sentences)
            if context < TOPIC_THRESHOLD:
                continue
            source = title if sentence.field == "title" else text
            for topic_id in self._sentence_topics(sentence, source):
                found.setdefault(topic_id, []).append((context, sentence))
        tags = []
        for topic in self.topics:
            hits = found.get(topic.id)
            if not hits:
                continue
            best_context, best_sentence = max(hits, key=lambda h: (h[0], h[1].field == "text", -h[1].paragraph, -h[1].start))
            score = min(1.0, best_context + 0.05 * min(len(hits) - 1, 2))
            tags.append(TopicTag(topic.id, round(score, 3), _evidence(best_sentence, title, text)))
        return tuple(tags)

    def _sentence_topics(self, sentence: _Sentence, source: str) -> set[str]:
        """Topics a sentence earns: matches not inside an exclusion, not in a bare list, not overridden."""
        raw = {}
        for topic in self.topics:
            spans = sentence.spans.get(f"topic:{topic.id}", [])
            excluded = sentence.spans.get(f"exclude:{topic.id}", [])
            spans = [s for s in spans if not any(e[0] < s[1] and s[0] < e[1] for e in excluded)]
            if spans:
                raw[topic.id] = spans
        listed = _bare_list_topics(sentence, source, raw)
        earned = {t for t in raw if t not in listed}
        overrides = {t.id: set(t.overridden_by) for t in self.topics}
        return {t for t in earned if not (overrides.get(t, set()) & earned)}


def _words_between(text: str, a: tuple[int, int], b: tuple[int, int]) -> int:
    left, right = sorted((a, b))
    return len(_WORD.findall(text[left[1]:right[0]]))


def _is_enumeration(sentence: str) -> bool:
    return len([p for p in _LIST_SPLIT.split(sentence) if p.strip()]) >= 4


def _bare_list_topics(sentence: _Sentence, source: str, raw: dict[str, list[tuple[int, int]]]) -> set[str]:
    """Topics whose only matches sit in a bare enumeration of sector names ("defence, energy, finance…").

    A list item longer than a few words has content of its own and still earns its topic.
    """
    if len(raw) < 3:
        return set()
    text = source[sentence.start:sentence.end]
    items, cursor = [], 0
    for piece in _LIST_SPLIT.split(text):
        position = text.find(piece, cursor)
        cursor = position + len(piece)
        items.append((sentence.start + position, sentence.start + cursor, len(_WORD.findall(piece))))

    def item_of(span):
        for number, (start, end, _) in enumerate(items):
            if start <= span[0] < end:
                return number
        return None

    short_items_by_topic: dict[str, set[int]] = {}
    for topic_id, spans in raw.items():
        numbers = set()
        for span in spans:
            number = item_of(span)
            if number is None:
                break
            start, end, words = items[number]
            lead_in_tail = number == 0 and len(_WORD.findall(source[span[0]:end])) <= LIST_ITEM_MAX_WORDS
            if words > LIST_ITEM_MAX_WORDS and not lead_in_tail:
                break  # the match sits in an item with content of its own
            numbers.add(number)
        else:
            short_items_by_topic[topic_id] = numbers
    listed_items = set().union(*short_items_by_topic.values()) if short_items_by_topic else set()
    if len(short_items_by_topic) < 3 or len(listed_items) < 3:
        return set()
    return set(short_items_by_topic)


def _evidence(sentence: _Sentence, title: str, text: str) -> Evidence:
    source = title if sentence.field == "title" else text
    return Evidence(source[sentence.start:sentence.end], sentence.field, sentence.start, sentence.end)
