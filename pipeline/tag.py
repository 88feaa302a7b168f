"""Rule and lexicon tagger for the Russia–Iran taxonomy (config/taxonomy.yaml, spec: shared taxonomy.md).

Relevance needs a sentence in which both states act toward each other; a topic needs a sentence about the pair
in that domain. Every decision keeps its evidence: the sentence, its field (title or text) and character offsets.
The rules are explained with examples in docs/tagging.md; the words behind them live in the taxonomy file.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .config import TaxonomySpec
from .lexicon import Lexicon, Match, Token, tokenize

RELEVANCE_THRESHOLD = 0.6  # a sentence relating the two states scores at least this
TOPIC_THRESHOLD = 0.6
WEAK_FACTOR = 0.7  # a weak term counts for this share of a specific one: only a pair sentence lifts it over
CUE_BEFORE, CUE_AFTER, CUE_AFTER_VERB_FINAL, CUE_CLOSE_AFTER = 4, 12, 25, 4  # a relation cue this many words before/after the two actor mentions joins them
BOTH_NAMED_LINK = 0.35  # both named in one sentence with nothing relating them, and nothing against it either
PLACE_LINK = 0.65  # one side's actor and the other side's place, related: relevant, a little less sure
CORROBORATED_LINK = 0.6  # such a sentence under a headline that relates the two
ADJACENT_LINK = 0.55  # Russia in one sentence, Iran in the next: context for topics, not relevance on its own
LIST_MARKER_REACH = 3
COORDINATION_REACH = 6  # "the Russian Caspian Flotilla and the Iranian navy": names inside two noun phrases  # "including Russia and Iran": a list marker this close before the pair
LIST_ITEM_MAX_WORDS = 2  # a list item with more content words than this has content of its own
LIST_MIN_ITEMS = 3
NEGATION_REACH = 3  # "no military assistance", "no direct military assistance", «никакой военной помощи»

# Sentence context: how strongly a sentence is tied to the pair (see _contexts).
PAIR_SENTENCE, BOTH_NAMED, ONE_ACTOR_IN_PAIR_PARAGRAPH, FOLLOWS_PAIR_SENTENCE = 1.0, 0.7, 0.75, 0.7
CROWDED_PAIR = 0.5  # both named with a third state: too weak for topics, except a combination about the pair
ONE_ACTOR_IN_PAIR_ARTICLE = 0.65  # one actor and a relation cue, in an article whose title relates the pair

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "prof", "sen", "rep", "gov", "jan", "feb",
                  "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "inc", "ltd",
                  "corp", "co", "u.s", "u.k", "u.n", "e.g", "i.e", "etc", "г", "гг", "им", "т.е", "т.д", "млн",
                  "млрд", "тыс", "руб", "долл"}
_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'»”’)\]]*(?=\s+)|[\n]")
# Function words do not count toward a list item's length ("for the North-South corridor" is a short item).
_FUNCTION_WORDS = frozenset({"the", "a", "an", "of", "for", "in", "on", "to", "its", "their", "his", "her", "our",
                             "в", "во", "на", "для", "по", "из", "к", "در", "از", "به", "برای", "را"})
# A comma before one of these starts a clause, not a list item ("..., which", "..., по словам министра").
_CONJUNCTION_SPACED = (" and ", " or ", " и ", " или ", " а ", " و ", " یا ", " And ", " И ")
_CLAUSE_STARTERS = frozenset({"which", "who", "whose", "that", "where", "when", "while", "according", "said", "says",
                              "although", "but", "if", "as", "который", "которая", "которое", "которые", "которых",
                              "где", "когда", "что", "чтобы", "хотя", "но", "по", "сообщил", "сообщили", "заявил",
                              "که", "اما", "ولی", "گفت", "افزود"})
# "exports of Russian wheat to Iran", "the launch of Iranian satellites on a Russian rocket"
_DIRECTIONS = frozenset({"to", "into", "on", "aboard", "by", "в", "во", "на", "به", "با"})
DIRECTED_GAP = 4  # at most this many words from the first state to the direction word before the second
_CONJUNCTIONS = frozenset({"and", "or", "и", "или", "а", "و", "یا", "also"})
_LIST_PUNCTUATION = re.compile(r"[,;:،؛«»“”\"()]")  # quotes and brackets end a list item too
_PUNCTUATION = re.compile(r"[,;:.!?()،؛«»\"]")
_CLAUSE_PUNCTUATION = re.compile(r"[;:.!?()]")
_CLAUSE_BREAK = re.compile(r"[;؛]")
_COORDINATION_GAP = re.compile(r"^[\s,]*(?:and|и|و|,)?[\s,]*$", re.IGNORECASE)


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
class EntityMention:
    entity: str  # gazetteer id
    kind: str
    text: str
    field: str
    start: int
    end: int


@dataclass(frozen=True)
class TagResult:
    relevant: bool
    relevance: float
    evidence: Evidence | None
    topics: tuple[TopicTag, ...]
    taxonomy_version: str
    entities: tuple[EntityMention, ...] = ()

    def as_dict(self, item_id=None) -> dict:
        return {
            "id": item_id, "relevant": self.relevant, "relevance": round(self.relevance, 3),
            "evidence": self.evidence.text if self.evidence else None,
            "topics": [{"topic": t.topic, "score": round(t.score, 3), "evidence": t.evidence.text,
                        "field": t.evidence.field, "start": t.evidence.start, "end": t.evidence.end}
                       for t in self.topics],
            "entities": [{"entity": e.entity, "kind": e.kind, "text": e.text, "field": e.field, "start": e.start,
                          "end": e.end} for e in self.entities],
            "taxonomy_version": self.taxonomy_version,
        }


@dataclass(slots=True)
class _Sentence:
    field: str
    paragraph: int
    start: int
    end: int
    first: int = 0  # token range [first, last) in the field's token list
    last: int = 0
    hits: dict[str, list[Match]] = field(default_factory=dict)
    link: float = 0.0  # how clearly Russia and Iran act toward each other in this sentence
    both_named: bool = False
    crowded: bool = False  # a third state is named too
    adjacent: bool = False  # Russia here, Iran in the next sentence (or the other way round), with a cue
    corroborated: bool = False  # names both, related only by the headline (see Tagger._corroborate)
    context: float = 0.0
    matches: list = field(default_factory=list)
    resolved: bool = False  # overlapping terms sorted out (done lazily: only sentences that can matter)

    def has(self, label: str) -> bool:
        return bool(self.hits.get(label))

    def positions(self, label: str) -> list[int]:
        return [m.first for m in self.hits.get(label, ())]


def split_sentences(text: str, field_name: str, paragraph_offset: int = 0) -> list[_Sentence]:
    """Sentences with offsets; a newline always ends a sentence and a paragraph."""
    sentences, start, paragraph = [], 0, paragraph_offset
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[max(start, match.start() - 24):match.start()].rsplit(None, 1)
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


@dataclass
class _Field:
    name: str
    source: str
    tokens: list[Token]
    sentences: list[_Sentence]


class Tagger:
    """Compiled taxonomy; `tag(title, text)` is pure and thread-safe."""

    def __init__(self, spec: TaxonomySpec):
        self.spec = spec
        self.version = spec.version
        self.topics = spec.topics
        groups: dict[str, tuple[str, ...]] = {
            "russia": spec.actors["russia"], "iran": spec.actors["iran"], "pair": spec.pair_terms,
            "ref": spec.pair_references, "cue": spec.relation_cues, "wcue": spec.weak_relation_cues,
            "listmark": spec.list_markers, "listtail": spec.list_tails, "other": spec.other_states,
            "bicue": spec.bilateral_cues, "notcue": spec.not_relation_cues, "parallel": spec.parallel_markers,
            "sector": spec.sector_words, "neg": spec.negations, "compare": spec.comparison_markers,
            "place:russia": (spec.places or {}).get("russia", ()), "place:iran": (spec.places or {}).get("iran", ()),
        }
        for topic in spec.topics:
            groups[f"t:{topic.id}"] = topic.terms
            groups[f"w:{topic.id}"] = topic.weak
            groups[f"x:{topic.id}"] = topic.exclude
            for number, combo in enumerate(topic.combinations):
                groups[f"ca{number}:{topic.id}"] = combo.terms
                groups[f"cb{number}:{topic.id}"] = combo.with_terms
        self.entity_kinds = {e.id: e.kind for e in spec.entities}
        for entity in spec.entities:
            groups[f"e:{entity.id}"] = entity.aliases
        self.lexicon = Lexicon({k: v for k, v in groups.items() if v})
        self.overrides = {t.id: set(t.overridden_by) for t in spec.topics}
        self.weak_overrides = {t.id: set(t.overridden_by) | set(t.weak_overridden_by) for t in spec.topics}
        self.combined_topics = [t for t in spec.topics if t.combinations]
        self.combination_labels = {t.id: [(f"ca{n}:{t.id}", f"cb{n}:{t.id}", combo)
                                          for n, combo in enumerate(t.combinations)] for t in self.combined_topics}
        self.yielding = {t.id for t in spec.topics if t.yields}

    # -- reading
    def _read(self, name: str, source: str, paragraph_offset: int) -> _Field:
        tokens = tokenize(source)
        sentences = split_sentences(source, name, paragraph_offset)
        sentence_of = _sentence_index(tokens, sentences)
        for index, sentence in enumerate(sentences):
            sentence.first = bisect.bisect_left(sentence_of, index)
            sentence.last = bisect.bisect_right(sentence_of, index)
        by_sentence: dict[int, list[Match]] = {}
        for match in self.lexicon.find(source, tokens):
            by_sentence.setdefault(sentence_of[match.first], []).append(match)
        for index, matches in by_sentence.items():
            sentence = sentences[index]
            sentence.matches = matches
            sentence.hits = _group(matches)
            if _may_relate(sentence.hits):
                sentence.hits, sentence.resolved = _resolve(matches), True
        return _Field(name, source, tokens, sentences)

    def tag(self, title: str | None, text: str) -> TagResult:
        fields = [self._read("title", title or "", -1), self._read("text", text or "", 0)]
        sentences = fields[0].sentences + fields[1].sentences
        self._link(fields)
        strong = [s for s in sentences if s.link >= RELEVANCE_THRESHOLD]
        best = max(sentences, key=lambda s: (s.link, s.field == "text", -s.start), default=None)
        strong_text = [s for s in strong if s.field == "text"]
        relevant = bool(strong_text) or (bool(strong) and not (text or "").strip())
        if (relevant and len(strong_text) == 1 and strong_text[0].link < 0.9
                and _mentioned_in_passing(strong_text[0], fields)):
            # a story about a third state ("Iran and China review their pact") that relates the two in one
            # sentence only ("Tehran has also signed a treaty with Russia") mentions the pair, it does not discuss it
            relevant = False
        relevance = (best.link if best else 0.0) + (0.05 * min(len(strong) - 1, 3) if strong else 0.0)
        if relevant and best.field != "text" and (text or "").strip():
            # a headline never decides alone: the evidence is the text's best relating sentence
            best = max((s for s in strong if s.field == "text"), key=lambda s: (s.link, -s.start))
        evidence = _evidence(best, fields) if best is not None and best.link > 0 else None
        topics = self._topics(fields) if relevant else ()
        return TagResult(relevant, round(min(relevance, 1.0), 3), evidence, topics, self.version,
                         self._entities(fields))

    # -- relevance
    def _link(self, fields: list[_Field]) -> None:
        """Score every sentence for Russia and Iran acting toward each other; resolve "the two countries"."""
        pair_in_focus = False
        for f in fields:
            for sentence in f.sentences:
                refers = pair_in_focus and sentence.has("ref")
                sentence.link = self._sentence_link(sentence, f, refers)
                pair_in_focus = _focus_after(sentence, pair_in_focus)
            self._adjacent_links(f)
        self._corroborate(fields)

    @staticmethod
    def _corroborate(fields: list[_Field]) -> None:
        """A headline that relates the pair, and a sentence of the text that names both side by side with no third
        state, list or contrast ("Moscow and Tehran say the corridor could carry 15m tonnes"): the text sentence
        is read in the headline's light. The headline alone never makes an article relevant."""
        if not any(s.link >= RELEVANCE_THRESHOLD for s in fields[0].sentences):
            return
        for sentence in fields[1].sentences:
            if (BOTH_NAMED_LINK <= sentence.link < RELEVANCE_THRESHOLD and (sentence.both_named or sentence.adjacent)
                    and not sentence.crowded and not sentence.has("parallel") and not sentence.has("listmark")):
                sentence.link, sentence.corroborated = CORROBORATED_LINK, True

    def _sentence_link(self, sentence: _Sentence, f: _Field, refers: bool) -> float:
        hits = sentence.hits
        if "pair" not in hits and not (refers and "ref" in hits) and not (
                ("russia" in hits or "place:russia" in hits) and ("iran" in hits or "place:iran" in hits)):
            sentence.crowded = "other" in hits
            return 0.0  # nothing that could name both (most sentences)
        ru, ir = _distinct(hits.get("russia", ())), _distinct(hits.get("iran", ()))
        ru, ir = _outside(ru, ir), _outside(ir, ru)  # «بانک مرکزی» inside «بانک مرکزی روسیه» is not Iran
        others = sentence.positions("other")
        sentence.crowded = bool(others)
        if sentence.has("pair"):
            sentence.both_named = True
            return 0.9
        pairs = [(r, i) if r.first < i.first else (i, r) for r in ru for i in ir if r.first != i.first]
        place_pairs = []
        if "place:russia" in sentence.hits or "place:iran" in sentence.hits:
            # one side's actor and the other side's place ("Russian warships arrived in Bandar Abbas"), or the two
            # sides' places ("Ferdowsi University of Mashhad and St Petersburg State University signed")
            places = {}
            for label in ("place:russia", "place:iran"):
                # "Iran's Bushehr", "Russian Railways": a place that is part of an actor's name is that actor
                places[label] = [p for p in _distinct(hits.get(label, ())) if not any(
                    a.first <= p.first <= a.last or p.first <= a.first <= p.last for a in (*ru, *ir))]
            for one, other in ((ru, places["place:iran"]), (ir, places["place:russia"]),
                               (places["place:russia"], places["place:iran"])):
                place_pairs += [(a, b) if a.first < b.first else (b, a) for a in one for b in other]
        if refers and not others:  # "a bilateral treaty between Yerevan and Moscow": the pair named is another
            pairs += [(m, m) for m in sentence.hits["ref"]]
        pairs += place_pairs
        if not pairs:
            return 0.0
        sentence.both_named = len(pairs) > len(place_pairs)
        bilateral = {m.first for m in sentence.hits.get("bicue", ())}
        cues = [(m.first, m.first in bilateral) for m in [*sentence.hits.get("cue", ()), *sentence.hits.get("bicue", ())]
                if not _inside_actor(m, sentence)]
        # "with 47 trillion cubic metres", "with about 5,600": a quantity, not a partner
        weak_cues = [c for c in sentence.positions("wcue") if not _quantity_after(c, f)]
        compared = "compare" in hits
        markers = sentence.positions("listmark")
        tails = sentence.positions("listtail")
        parallel = sentence.positions("parallel")
        verb_final = f.tokens[left_first(pairs)].word[0] >= "\u0600"
        best = 0.0
        for left, right in pairs:
            lo, hi = left.first, right.first
            is_reference = left is right
            if not is_reference and f.name == "text" and _CLAUSE_BREAK.search(f.source[left.end:right.start]):
                continue  # "...; producers such as Russia and Iran": two clauses (a headline's ";" joins one story)
            coordinated = is_reference or _coordinated(left, right, f)
            pair_cues, side_by_side = cues, False
            reach = CUE_AFTER_VERB_FINAL if verb_final else 3  # Persian puts "compete", "defeated" at the end
            if not is_reference and (compared or _alternatives(left, right, f) or _two_sources(left, right, f)):
                # "…, by comparison, …", "Iranian or Russian exports", "imports gas from Russia, and its contract for
                # gas from Iran ends": compared, alternatives, two sources of one buyer
                pair_cues, side_by_side = [], True
            elif coordinated and not is_reference and any(lo - 1 <= p <= right.last + reach for p in parallel):
                # "both Russia and Iran", "Russian and Iranian oil compete for buyers": side by side
                coordinated, pair_cues, side_by_side = False, [(c, b) for c, b in cues if c < lo], True
            elif not coordinated and any(left.last < p < right.first
                                         or (verb_final and right.last < p <= right.last + reach) for p in parallel):
                # "..., while Iranian ...", "Russia competes with Iran for the same buyers"
                pair_cues, side_by_side = [(c, b) for c, b in cues if c < lo], True
            elif coordinated and not is_reference and _adjectival(left, f) and _adjectival(right, f):
                # "Russian and Iranian exports": the word the two adjectives qualify is two flows, not a relation
                pair_cues = [(c, b) for c, b in cues if b or c != right.last + 1]
            if not is_reference and _adjectival(left, f) and not _directed_to(left, right, f):
                # "Iranian exports are under pressure, and Russia's fleet...": the noun after an adjective is its own
                # ("Russian-built", "Iranian-made" are one word: built by Russia)
                pair_cues = [(c, b) for c, b in pair_cues if b or c != left.last + 1
                             or f.source[left.end:f.tokens[c].start] not in (" ", "\u00a0")]
            score = BOTH_NAMED_LINK
            # a Persian verb ends its clause: a cue after the next clause's verb is not this pair's
            after_counts = coordinated or (verb_final and not is_reference and not _persian_clauses(left, right, f))
            if verb_final and not after_counts and not coordinated:
                pair_cues = [(c, b) for c, b in pair_cues if c < right.first]
            if any(_cue_relates(c, is_bilateral, left, right, f, after_counts, directed=not others)
                   for c, is_bilateral in pair_cues):
                score = 0.75
            elif lo != hi and not side_by_side and any(lo < c < hi for c in weak_cues):
                score = 0.6
            if score <= best:
                continue  # the checks below only lower a score
            if others and (any(lo < o < hi for o in others) or _grouped_with_other(left, right, sentence, f)):
                score -= 0.3
            if (any(lo - LIST_MARKER_REACH <= m < lo for m in markers) or any(right.last < t <= right.last + 5
                                                                               for t in tails)
                    # "…, including Iran": one of them an example of a group
                    or any(left.last < m < right.first and right.first - m <= 2 for m in markers)
                    or (others and _in_state_list(lo, hi, sentence, f))):
                score = min(score, 0.3)
            if place_pairs and (left, right) in place_pairs:
                score = PLACE_LINK if score >= 0.75 else 0.0  # a place needs a real relation cue
            best = max(best, score)
            if best >= 0.75:
                break  # no pair scores higher
        return best

    def _adjacent_links(self, f: _Field) -> None:
        """Russia in one sentence and Iran in the next (same paragraph, no third state), with a relation cue:
        the pair relation spans the two sentences."""
        for first, second in zip(f.sentences, f.sentences[1:]):
            if first.paragraph != second.paragraph or first.both_named or second.both_named:
                continue
            if first.crowded or second.crowded or first.has("other") or second.has("other"):
                continue
            states = {(s.has("russia"), s.has("iran")) for s in (first, second)}
            if states != {(True, False), (False, True)}:
                continue
            cued = [s for s in (first, second) if s.has("cue")]
            if cued:
                for s in (first, second):
                    s.adjacent = True
                    s.link = max(s.link, ADJACENT_LINK if len(cued) == 2 else ADJACENT_LINK - 0.05)

    # -- topics
    def _contexts(self, fields: list[_Field]) -> None:
        title_linked = any(s.link >= RELEVANCE_THRESHOLD for s in fields[0].sentences)
        for f in fields:
            linked_paragraphs = {s.paragraph for s in f.sentences if s.link >= RELEVANCE_THRESHOLD}
            previous_linked = False
            for sentence in f.sentences:
                one_actor = (sentence.has("russia") or sentence.has("iran") or sentence.has("ref")
                             or sentence.has("place:russia") or sentence.has("place:iran"))
                if sentence.link >= RELEVANCE_THRESHOLD and not sentence.corroborated:
                    context = PAIR_SENTENCE
                elif sentence.adjacent:
                    context = ONE_ACTOR_IN_PAIR_PARAGRAPH
                elif sentence.both_named:
                    context = BOTH_NAMED if not sentence.crowded else CROWDED_PAIR
                elif one_actor and sentence.paragraph in linked_paragraphs:
                    context = ONE_ACTOR_IN_PAIR_PARAGRAPH if not sentence.crowded else 0.55
                elif previous_linked:
                    context = FOLLOWS_PAIR_SENTENCE
                elif one_actor and title_linked and not sentence.crowded and sentence.has("cue"):
                    context = ONE_ACTOR_IN_PAIR_ARTICLE
                else:
                    context = 0.0
                sentence.context = context
                previous_linked = sentence.link >= RELEVANCE_THRESHOLD

    def _topics(self, fields: list[_Field]) -> tuple[TopicTag, ...]:
        self._contexts(fields)
        earned: list[tuple[_Sentence, dict[str, float]]] = []
        strong_by_paragraph: dict[tuple[str, int], set[str]] = {}
        designations: list[tuple[float, _Sentence, str]] = []
        for f in fields:
            for sentence in f.sentences:
                # "The US sanctioned firms in China and the UAE for supplying Iranian drone engines to Russia": the
                # sanctioning state crowds the sentence, yet a combination that needs both states is about the pair
                crowded_pair = sentence.crowded and sentence.both_named and sentence.context >= CROWDED_PAIR
                if sentence.context < TOPIC_THRESHOLD and not crowded_pair:
                    continue
                if not sentence.resolved:  # overlaps matter for topics only where a topic can be earned
                    sentence.hits, sentence.resolved = _resolve(sentence.matches), True
                if sentence.context < TOPIC_THRESHOLD:
                    designations += [(TOPIC_THRESHOLD, sentence, topic.id) for topic in self.combined_topics
                                     if self._combination(topic, sentence, pair_only=True)]
                    continue
                strong, weak = self._sentence_terms(sentence, f)
                strong_by_paragraph.setdefault((f.name, sentence.paragraph), set()).update(strong)
                earned.append((sentence, {"strong": strong, "weak": weak}))
        found: dict[str, list[tuple[float, _Sentence]]] = {}
        for score, sentence, topic_id in designations:
            found.setdefault(topic_id, []).append((score, sentence))
        for sentence, terms in earned:
            paragraph_strong = strong_by_paragraph.get((sentence.field, sentence.paragraph), set())
            for topic_id, score in self._sentence_scores(sentence, terms["strong"], terms["weak"], paragraph_strong):
                if score >= TOPIC_THRESHOLD:
                    found.setdefault(topic_id, []).append((score, sentence))
        tags = []
        for topic in self.topics:
            hits = found.get(topic.id)
            if not hits:
                continue
            score, sentence = max(hits, key=lambda h: (h[0], h[1].field == "text", -h[1].paragraph, -h[1].start))
            score = min(1.0, score + 0.05 * min(len(hits) - 1, 2))
            tags.append(TopicTag(topic.id, round(score, 3), _evidence(sentence, fields)))
        return tuple(tags)

    def _sentence_terms(self, sentence: _Sentence, f: _Field) -> tuple[set[str], set[str]]:
        """Topics with a specific term (or combination) in the sentence, and topics with weak terms only."""
        listed = _listed_topic_matches(sentence, f)
        negations = sentence.positions("neg")
        if negations:  # "Russia offered no military assistance": the domain is named as absent
            listed = listed | {id(m) for label, ms in sentence.hits.items() if label[:2] in ("t:", "w:") for m in ms
                               if any(m.first - NEGATION_REACH <= n < m.first for n in negations)}
        sectors = sentence.positions("sector")
        strong, weak, specific_words, single = set(), set(), False, set()
        for label, matches in sentence.hits.items():
            kind = label[:2]
            if kind == "t:":
                specific_words = True  # even inside a list: the sentence is about a named domain
                kept = {m.term for m in matches if id(m) not in listed}
                if kept and sectors and all(_names_sector(m, sectors) for m in matches if m.term in kept):
                    weak.add(label[2:])  # "in the transport and logistics sphere": a sector's name, not content
                    continue
                if kept:
                    strong.add(label[2:])
                    if len(kept) == 1:
                        single.add(label[2:])
            elif kind == "w:" and any(id(m) not in listed for m in matches):
                weak.add(label[2:])
        for topic in self.combined_topics:
            if topic.id not in strong and self._combination(topic, sentence):
                strong.add(topic.id)
        for topic_id in self.yielding & single:
            if strong - {topic_id}:
                strong.discard(topic_id)  # "oil delivered from Russian Caspian ports": the route of another domain
        if specific_words:
            return strong, set()
        return strong, weak - strong

    def _combination(self, topic, sentence: _Sentence, pair_only: bool = False) -> bool:
        """Whether two words of one of the topic's combinations meet (`pair_only`: only those that need both
        states named)."""
        hits = sentence.hits
        for first_label, second_label, combo in self.combination_labels[topic.id]:
            if first_label not in hits or second_label not in hits or (pair_only and not combo.needs_both_states):
                continue
            if combo.needs_both_states and not sentence.both_named:
                continue
            if combo.within == 0:
                return True
            first, second = sentence.positions(first_label), sentence.positions(second_label)
            if any(abs(a - b) <= combo.within for a in first for b in second):
                return True
        return False

    def _sentence_scores(self, sentence: _Sentence, strong: set[str], weak: set[str], paragraph_strong: set[str]):
        """(topic, score) pairs one sentence earns, after the overlap rules."""
        kept_strong = {t for t in strong if not (self.overrides.get(t, set()) & strong)}
        for topic_id in kept_strong:
            yield topic_id, sentence.context
        if strong or len(weak) != 1:
            return  # weak words count only alone: a sentence with a specific term is about that domain
        topic_id = next(iter(weak))
        if self.weak_overrides.get(topic_id, set()) & paragraph_strong:
            return
        yield topic_id, sentence.context * WEAK_FACTOR

    # -- entities
    def _entities(self, fields: list[_Field]) -> tuple[EntityMention, ...]:
        mentions = []
        for f in fields:
            spans: list[tuple[int, int, str]] = []
            for sentence in f.sentences:
                for label, matches in sentence.hits.items():
                    if label.startswith("e:"):
                        spans.extend((m.start, m.end, label[2:]) for m in matches)
            for start, end, entity in _longest_first(spans):
                mentions.append(EntityMention(entity, self.entity_kinds.get(entity, ""), f.source[start:end], f.name,
                                              start, end))
        return tuple(mentions)


def _mentioned_in_passing(sentence: _Sentence, fields: list[_Field]) -> bool:
    """The only sentence relating the two, in a story whose headline names a third state and not both of them, and
    whose paragraph names the state the headline leaves out nowhere else, and not the lede: the pair is mentioned,
    not discussed (a digest item or a paragraph about the pair inside another story is discussed)."""
    if fields[1].sentences and sentence is fields[1].sentences[0]:
        return False  # the lede is what the story is about ("The EU sanctioned Iranian firms for supplying Russia")

    def names(hits: dict, state: str) -> bool:
        return state in hits or f"place:{state}" in hits

    title = [s.hits for s in fields[0].sentences]
    if not any("other" in h for h in title) or any("pair" in h for h in title):
        return False
    missing = [state for state in ("russia", "iran") if not any(names(h, state) for h in title)]
    paragraph = [s.hits for s in fields[1].sentences if s.paragraph == sentence.paragraph]
    return bool(missing) and not any(sum(names(h, state) for h in paragraph) >= 2 for state in missing)


def _sentence_index(tokens: list[Token], sentences: list[_Sentence]) -> list[int]:
    """The sentence each token belongs to (both lists are in text order)."""
    starts = [sentence.start for sentence in sentences[1:]]
    position = bisect.bisect_right
    return [position(starts, token[0]) for token in tokens]


def _group(matches: list[Match]) -> dict[str, list[Match]]:
    hits: dict[str, list[Match]] = {}
    for match in matches:
        for label in match.labels:
            hits.setdefault(label, []).append(match)
    return hits


def _may_relate(hits: dict[str, list[Match]]) -> bool:
    """Sentences whose relation score depends on overlaps: both states named, or a pair word."""
    return (("russia" in hits and ("iran" in hits or "place:iran" in hits))
            or ("iran" in hits and "place:russia" in hits) or "pair" in hits or "ref" in hits)


def _resolve(matches: list[Match]) -> dict[str, list[Match]]:
    """Group a sentence's matches by label, dropping topic terms inside longer terms of another topic or inside
    one of their topic's exclusions, and third-state names inside a longer term."""
    outers = [m for m in matches if m.last > m.first or _label_sets(m.labels)[1]]
    hits: dict[str, list[Match]] = {}
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
            if label[:2] in ("t:", "w:", "ca", "cb"):
                topic = label.split(":", 1)[1]
                if any(topic in _label_sets(o.labels)[1] or (o.end - o.start > length
                                                             and _label_sets(o.labels)[0] - {topic})
                       for o in covering):
                    continue
            elif label == "other" and any(o.end - o.start > length and "other" not in o.labels for o in covering):
                continue
            elif label in ("cue", "wcue", "bicue") and any("notcue" in o.labels for o in covering):
                continue
            hits.setdefault(label, []).append(match)
    return hits


_LABEL_SETS: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}


def _label_sets(labels: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(topics a term belongs to, topics it excludes), cached per label tuple."""
    found = _LABEL_SETS.get(labels)
    if found is None:
        found = (frozenset(label[2:] for label in labels if label[:2] in ("t:", "w:")),
                 frozenset(label[2:] for label in labels if label[:2] == "x:"))
        _LABEL_SETS[labels] = found
    return found


def _longer(outer: Match, inner: Match) -> bool:
    return outer.end - outer.start > inner.end - inner.start


def _other_topic_label(match: Match, topic: str) -> bool:
    return any(label[:2] in ("t:", "w:") and label[2:] != topic for label in match.labels)


# Words that stop a relation cue before the pair from reaching it: "supply from Iran and Russia" is two sources.
_CUE_BLOCKERS = frozenset({"from", "to", "on", "in", "at", "for", "against", "by", "like", "including", "as",
                           "из", "от", "в", "на", "против", "для", "как", "از", "به", "در", "برای", "علیه", "مانند"})


def _cue_relates(cue: int, bilateral: bool, left: Match, right: Match, f: _Field, after_counts: bool,
                 directed: bool = False) -> bool:
    """Whether a relation cue at token `cue` joins the two actor mentions: between them ("Russia will supply
    Iran"); after both when they are coordinated or the sentence is verb-final ("Russia and Iran signed", Persian
    word order); or just before them as their head when the cue is bilateral by nature ("cooperation between
    Russia and Iran", «сотрудничество России и Ирана», «رزمایش مشترک ایران و روسیه» — but not "supply from Iran
    and Russia", which is two sources); or before them when it heads a flow from one to the other and no third
    state is named (`directed`: «экспорт российской пшеницы в Иран», «صادرات گندم روسیه به ایران»)."""
    if left.last < cue < right.first:
        return True
    if left is right and left.first <= cue <= left.last:
        return True  # "стороны договорились"
    if after_counts and right.last < cue <= right.last + (CUE_AFTER_VERB_FINAL if verb_final(f, left) else CUE_AFTER):
        return True
    if right.last < cue <= right.last + CUE_CLOSE_AFTER:  # "thanked Roscosmos for its cooperation"
        return not _PUNCTUATION.search(f.source[f.tokens[right.last].end:f.tokens[cue].start])
    if bilateral and left.first - CUE_BEFORE <= cue < left.first:
        return not any(f.tokens[k].word in _CUE_BLOCKERS for k in range(cue + 1, left.first))
    if (directed and left.first - CUE_BEFORE <= cue < left.first and left is not right
            and _directed_to(left, right, f, DIRECTED_GAP)
            and not _CLAUSE_PUNCTUATION.search(f.source[f.tokens[cue].end:f.tokens[right.first].start])):
        return True  # a flow headed by its cue, from one to the other: «экспорт российской пшеницы в Иран»
    return False


def _outside(mentions: list[Match], other_state: list[Match]) -> list[Match]:
    """Mentions of one state that are not part of a longer name of the other state."""
    if not other_state:
        return mentions
    return [m for m in mentions if not any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                                           for o in other_state)]


def _distinct(mentions) -> list[Match]:
    """One mention per starting word ("Iran" and "Iran Khodro" start at the same word): the longest."""
    by_first: dict[int, Match] = {}
    for m in mentions:
        if m.first not in by_first or m.last > by_first[m.first].last:
            by_first[m.first] = m
    return list(by_first.values())


def left_first(pairs) -> int:
    return min(left.first for left, _ in pairs)


def verb_final(f: _Field, mention: Match) -> bool:
    """Persian puts the verb last: a cue may come long after the two names."""
    return f.tokens[mention.first].word[0] >= "\u0600"


def _coordinated(left: Match, right: Match, f: _Field) -> bool:
    """"Russia and Iran", "Moscow, Tehran", "Moscow State University and Tehran University": two mentions joined
    by a conjunction (or a comma) with at most a few words of their noun phrases around it."""
    gap = right.first - left.last
    if gap > COORDINATION_REACH:
        return False
    between = f.source[f.tokens[left.last].end:f.tokens[right.first].start]
    if gap <= 2:
        return bool(_COORDINATION_GAP.match(between))
    words = [f.tokens[k].word for k in range(left.last + 1, right.first)]
    return any(w in _CONJUNCTIONS for w in words) and not _CLAUSE_PUNCTUATION.search(between)


_SOURCES = frozenset({"from", "из", "от", "از"})
_ALTERNATIVES = frozenset({"or", "или", "либо", "یا"})
# A Persian clause ends with its verb: «… تحت فشار است و …» joins two clauses, each with its own subject.
_PERSIAN_CLAUSE_VERBS = frozenset({"است", "بود", "شد", "شده", "کرد", "کرده", "دارد", "داشت", "نیست", "هستند",
                                   "بودند", "شدند", "کردند", "دارند", "میشود", "میکند"})


def _persian_clauses(left: Match, right: Match, f: _Field) -> bool:
    tokens = f.tokens
    return any(tokens[k].word in _PERSIAN_CLAUSE_VERBS and tokens[k + 1].word == "و"
               for k in range(left.last + 1, right.first - 1))


_APPROXIMATELY = frozenset({"about", "around", "some", "nearly", "almost", "over", "more", "less", "than", "около",
                            "почти", "более", "свыше", "менее", "حدود", "بیش", "کمتر", "نزدیک", "از"})


def _quantity_after(index: int, f: _Field) -> bool:
    """A number right after the word at `index`, or after "about", "more than"…: a quantity."""
    for token in f.tokens[index + 1:index + 4]:
        if token.word[0].isdigit():
            return True
        if token.word not in _APPROXIMATELY:
            return False
    return False


def _alternatives(left: Match, right: Match, f: _Field) -> bool:
    """"Iranian or Russian exports": two alternatives, not partners."""
    return right.first - left.last <= 2 and f.tokens[left.last + 1].word in _ALTERNATIVES


def _two_sources(left: Match, right: Match, f: _Field) -> bool:
    """"from Russia ... from Iran": both named as where something comes from, side by side."""
    return (left.first > 0 and f.tokens[left.first - 1].word in _SOURCES
            and f.tokens[right.first - 1].word in _SOURCES and right.first - 1 > left.last)


def _directed_to(left: Match, right: Match, f: _Field, gap: int = DIRECTED_GAP + 2) -> bool:
    """A direction word just before the second mention, at most `gap` words after the first: "Russian supplies of
    gas to Iran"."""
    return right.first - left.last <= gap and any(
        f.tokens[k].word in _DIRECTIONS for k in (right.first - 1, right.first - 2) if k > left.last)


def _adjectival(mention: Match, f: _Field) -> bool:
    """"Russian", «иранская»: a state named by its adjective, which qualifies the word after it."""
    word = f.tokens[mention.last].word
    return word.endswith("ian") or word.startswith(("российск", "иранск", "русск"))


def _inside_actor(cue: Match, sentence: _Sentence) -> bool:
    """A cue word that is part of a name ("Iran Air", "Russian Railways") relates nothing."""
    for label in ("russia", "iran", "other"):
        for m in sentence.hits.get(label, ()):
            if m.start <= cue.start and cue.end <= m.end and (m.end - m.start) > (cue.end - cue.start):
                return True
    return False


def _focus_after(sentence: _Sentence, pair_in_focus: bool) -> bool:
    """Whether "the two countries" after this sentence still means Russia and Iran."""
    ru, ir, others = sentence.has("russia"), sentence.has("iran"), sentence.has("other")
    if sentence.has("pair") or (ru and ir and (not others or sentence.link >= RELEVANCE_THRESHOLD)):
        return True
    if (ru or ir) and others and not (ru and ir):
        return False  # Russia and North Korea, Iran and China
    if others and len({m.term for m in sentence.hits["other"]}) >= 2:
        return False
    return pair_in_focus


def _grouped_with_other(left: Match, right: Match, sentence: _Sentence, f: _Field) -> bool:
    """One of the pair coordinated with a third state that the other is not part of: "Russia has close ties with
    both Tehran and Riyadh" relates Russia to a group, not to Iran alone."""
    if not sentence.crowded or left is right:
        return False
    for mention, partner in ((left, right), (right, left)):
        for other in sentence.hits.get("other", ()):
            a, b = (mention, other) if mention.first < other.first else (other, mention)
            if _coordinated(a, b, f) and not (min(a.first, b.first) <= partner.first <= max(a.last, b.last)):
                return True
    return False


def _in_state_list(lo: int, hi: int, sentence: _Sentence, f: _Field) -> bool:
    """Russia and Iran as items of a list of states ("India, Russia, Iran and Turkey")."""
    if not sentence.crowded:
        return False
    states = sorted({(m.first, m.last, label) for label in ("russia", "iran", "other")
                     for m in sentence.hits.get(label, ())})
    chains: list[list[tuple[int, int, str]]] = []
    for state in states:
        if chains and state[0] <= chains[-1][-1][1]:
            chains[-1].append(state)  # overlapping names ("Iran" inside "Iran Khodro")
            continue
        if chains:
            previous = chains[-1][-1]
            gap = f.source[f.tokens[previous[1]].end:f.tokens[state[0]].start]
            if state[0] - previous[1] <= 2 and _COORDINATION_GAP.match(gap):
                chains[-1].append(state)
                continue
        chains.append([state])
    for chain in chains:
        firsts = {s[0] for s in chain}
        if lo in firsts and hi in firsts and len(firsts) >= 3 and any(s[2] == "other" for s in chain):
            return True
    return False


def _listed_topic_matches(sentence: _Sentence, f: _Field) -> set[int]:
    """ids of topic matches that sit in a list that is not all about one domain ("defence, energy and finance",
    "grain, sunflower oil and timber", "fruit, plastics and car parts"); such lists earn none of their topics."""
    topic_matches = [m for label, ms in sentence.hits.items() if label[:2] in ("t:", "w:") for m in ms]
    if len({m.first for m in topic_matches}) < 2:
        return set()
    listed: set[int] = set()
    topic_ends = {m.first: m.last for m in sorted(topic_matches, key=lambda m: m.last)}  # the longest per start
    for run in _list_runs(sentence, f, topic_ends):
        item_topics = []
        members = []
        for a, b in run:
            inside = [m for m in topic_matches if a <= m.first < b]
            members.extend(inside)
            item_topics.append(frozenset(label[2:] for m in inside for label in m.labels if label[:2] in ("t:", "w:")))
        if len(set(item_topics)) > 1 or len(item_topics[0]) != 1:
            listed.update(id(m) for m in members)
    return listed


def _list_runs(sentence: _Sentence, f: _Field, topic_ends: dict[int, int] | None = None) -> list[list[tuple[int, int]]]:
    """Runs of consecutive short list items, each item a token range; the first item may be long (its tail), and
    the last may go on after its topic word ("trade, logistics, education and tourism as areas for the group")."""
    text = f.source[sentence.start:sentence.end]
    separators = sum(text.count(c) for c in ",;:،؛") + sum(text.count(w) for w in _CONJUNCTION_SPACED)
    if separators < LIST_MIN_ITEMS - 1:
        return []
    protected = set()
    for matches in sentence.hits.values():
        for m in matches:
            if m.last > m.first:
                protected.update(range(m.first + 1, m.last + 1))
    items: list[tuple[int, int]] = []
    start = sentence.first
    for index in range(sentence.first, sentence.last):
        token = f.tokens[index]
        if index > sentence.first and index not in protected:
            gap = f.source[f.tokens[index - 1].end:token.start]
            if _LIST_PUNCTUATION.search(gap) and index > start:
                items.append((start, index))
                start = index
        if token.word in _CONJUNCTIONS and index not in protected:
            if index > start:
                items.append((start, index))
            start = index + 1
    if start < sentence.last:
        items.append((start, sentence.last))
    runs, current = [], []
    for item in items:
        clause = f.tokens[item[0]].word in _CLAUSE_STARTERS
        if not clause and _content_words(item, f) <= LIST_ITEM_MAX_WORDS:
            current.append(item)
            continue
        head = (topic_ends or {}).get(item[0])
        if (not clause and head is not None and len(current) >= 2 and f.tokens[item[0] - 1].word in _CONJUNCTIONS
                and _content_words((item[0], head + 1), f) <= 1):
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


def _names_sector(match: Match, sectors: list[int]) -> bool:
    """A topic word next to a sector word ("logistics sphere", «в сфере логистики», «در حوزه انرژی»)."""
    return any(match.first - 3 <= s < match.first or match.last < s <= match.last + 2 for s in sectors)


def _content_words(item: tuple[int, int], f: _Field) -> int:
    """Words of a list item that give it content ("حمل و نقل", "oil and gas" are one domain's name)."""
    return sum(1 for k in range(item[0], item[1])
               if f.tokens[k].word not in _FUNCTION_WORDS and f.tokens[k].word not in _CONJUNCTIONS)


def _longest_first(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Entity spans without overlaps: the longest mention wins, then the earliest."""
    chosen: list[tuple[int, int, str]] = []
    for start, end, entity in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0])):
        if not any(start < e and s < end for s, e, _ in chosen):
            chosen.append((start, end, entity))
    return sorted(chosen)


def _evidence(sentence: _Sentence, fields: list[_Field]) -> Evidence:
    source = fields[0].source if sentence.field == "title" else fields[1].source
    return Evidence(source[sentence.start:sentence.end], sentence.field, sentence.start, sentence.end)
