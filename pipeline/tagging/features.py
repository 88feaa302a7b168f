"""Features of a sentence for the learned topic model, read off the rules' analysis of its article.

A sentence is described by what the rules see in it and around it — how it relates Russia and Iran (its
relation kind), the topic lexicons' hits in it, its neighbours, its paragraph and the headline, the gazetteer's
entities and their side, the rules' own decisions — and by its words (dictionary forms for Russian, plural-free
forms for Persian), single and in pairs. Feature names are plain strings so that a trace can be read.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tagging.labels import PLACE_IRAN, PLACE_RUSSIA, Kind, Label
from pipeline.tagging.lexicon import term_key
from pipeline.tagging.relation import RELEVANCE_THRESHOLD
from pipeline.tagging.rules import RuleAnalysis
from pipeline.tagging.sentences import Sentence, resolve_hits


@dataclass(frozen=True)
class SentenceFeatures:
    """One sentence of an article with its feature names (empty unless it is a candidate for topics); `index` is its
    position in `RuleAnalysis.sentences`."""

    index: int
    sentence: Sentence
    relation: str
    names: tuple[str, ...]
    candidate: bool = True  # tied to the pair or holding a topic or entity word: the only sentences scored for topics
    lexical: tuple[str, ...] = ()  # its words, topic hits, entities and cues (what the relevance head reads nearby)
    sides: frozenset[str] = frozenset()  # the states its gazetteer entities belong to


def article_features(analysis: RuleAnalysis, entity_sides: dict[str, str]) -> list[SentenceFeatures]:
    """Features of every sentence of an article (title first)."""
    sentences = analysis.sentences
    title_linked = any(s.link >= RELEVANCE_THRESHOLD for s in analysis.fields[0].sentences)
    linked_paragraphs = {(s.field, s.paragraph) for s in sentences if s.link >= RELEVANCE_THRESHOLD}
    rule_sentences = {(topic, id(sentence)) for topic, hits in analysis.found.items() for _, sentence in hits}
    rule_topics = {tag.topic for tag in analysis.tags}
    topic_hits = [_topic_hits(s) for s in sentences]
    title_topics = (
        set().union(*topic_hits[: len(analysis.fields[0].sentences)]) if analysis.fields[0].sentences else set()
    )
    paragraph_topics: dict[tuple[str, int], set[str]] = {}
    for sentence, hits in zip(sentences, topic_hits):
        paragraph_topics.setdefault((sentence.field, sentence.paragraph), set()).update(hits)

    paragraph_names = {key: ["para:" + h for h in hits] for key, hits in paragraph_topics.items()}
    headline_names = ["headline:" + h for h in title_topics]
    article_rules = [f"rule_article:{topic}" for topic in rule_topics]
    out = []
    previous_linked = False
    for index, sentence in enumerate(sentences):
        sides = _entity_sides(sentence, entity_sides)
        relation = _relation_kind(sentence, title_linked, linked_paragraphs, previous_linked, sides, analysis.relevant)
        previous_linked = sentence.link >= RELEVANCE_THRESHOLD
        hits = topic_hits[index]
        lexical = list(hits)
        for label in sentence.hits:
            named = _label_name(label)
            if named is not None and named[0] != "topic":
                lexical.append("entity:" + named[1] if named[0] == "entity" else named[1])
        candidate = relation != "none" or bool(hits) or bool(sides)
        if candidate or any(sentence.has(label) for label in _STATE_NAMES):  # words only where a model reads them
            lexical += _word_features(analysis, sentence)
        names: list[str] = []
        if candidate:  # only candidates are scored for topics: the others need no sentence features
            names = [f"rel:{relation}", f"field:{sentence.field}"]
            if sentence.paragraph == 0:
                names.append("lede")
            names += [f"{kind}|{relation}" for kind in hits]
            names += list(hits)
            if index > 0 and sentences[index - 1].paragraph == sentence.paragraph:
                names += ["prev:" + h for h in topic_hits[index - 1]]
            if index + 1 < len(sentences) and sentences[index + 1].paragraph == sentence.paragraph:
                names += ["next:" + h for h in topic_hits[index + 1]]
            names += paragraph_names.get((sentence.field, sentence.paragraph), ())
            names += headline_names
            names += [f"rule:{topic}" for topic in rule_topics if (topic, id(sentence)) in rule_sentences]
            names += article_rules
            names += [f"side:{side}" for side in sides]
            names += lexical
        out.append(
            SentenceFeatures(
                index,
                sentence,
                relation,
                tuple(dict.fromkeys(names)),
                candidate,
                tuple(dict.fromkeys(lexical)),
                frozenset(sides),
            )
        )
    return out


_STATE_NAMES = (Kind.RUSSIA, Kind.IRAN, PLACE_RUSSIA, PLACE_IRAN)
_CUE_LABELS = frozenset(
    {"cue", "bicue", "wcue", "neg", "sector", "listmark", "other", "compare", "parallel", "pair", "ref"}
)


_LABEL_NAMES: dict[str, tuple[str, str] | None] = {}


def _label_name(label: Label) -> tuple[str, str] | None:
    """A lexicon label's feature: ("topic", "term:energy"), ("entity", "shahed"), ("cue", "cue:bicue") or None
    (cached per label)."""
    if label in _LABEL_NAMES:
        return _LABEL_NAMES[label]
    if label.kind is Kind.TERM:
        named = ("topic", "term:" + label.key)
    elif label.kind is Kind.WEAK:
        named = ("topic", "weak:" + label.key)
    elif label.kind in (Kind.COMBO_FIRST, Kind.COMBO_SECOND):
        named = ("topic", "combo:" + label.key)
    elif label.kind is Kind.ENTITY:
        named = ("entity", label.key)
    elif label in _CUE_LABELS:
        named = ("cue", "cue:" + label)
    else:
        named = None
    _LABEL_NAMES[label] = named
    return named


def _topic_hits(sentence: Sentence) -> set[str]:
    """'term:TOPIC', 'weak:TOPIC' and 'combo:TOPIC' for the topic lexicons' hits in the sentence (overlaps
    resolved)."""
    if not sentence.resolved and sentence.matches:
        sentence.hits, sentence.resolved = resolve_hits(sentence.matches), True
    hits = set()
    for label in sentence.hits:
        named = _label_name(label)
        if named is not None and named[0] == "topic":
            hits.add(named[1])
    return hits


def _entity_sides(sentence: Sentence, entity_sides: dict[str, str]) -> set[str]:
    sides = set()
    for label in sentence.hits:
        named = _label_name(label)
        if named is not None and named[0] == "entity" and entity_sides.get(named[1]) in ("russia", "iran"):
            sides.add(entity_sides[named[1]])
    return sides


def _relation_kind(
    sentence: Sentence,
    title_linked: bool,
    linked_paragraphs: set,
    previous_linked: bool,
    sides: set[str],
    relevant: bool,
) -> str:
    """How the sentence ties itself to the Russia–Iran relation (the strongest tie wins)."""
    one_actor = any(sentence.has(label) for label in (Kind.RUSSIA, Kind.IRAN, Kind.REFERENCE, PLACE_RUSSIA, PLACE_IRAN))
    if sentence.link >= RELEVANCE_THRESHOLD and not sentence.corroborated:
        return "pair"
    if sentence.corroborated:
        return "corroborated"
    if sentence.adjacent:
        return "adjacent"
    if sentence.both_named:
        return "both_named" if not sentence.crowded else "crowded_pair"
    if (one_actor or sides) and (sentence.field, sentence.paragraph) in linked_paragraphs:
        return "paragraph"
    if previous_linked:
        return "follows"
    if (one_actor or sides) and title_linked:
        return "title_article"
    if sides and relevant:
        return "entity_side"
    return "none"


def _word_features(analysis: RuleAnalysis, sentence: Sentence) -> list[str]:
    """Words of the sentence in their lookup form (numbers as '#'). Word pairs were tried and left out: no better
    on the real-news dev split, and a third of the tagger's time."""
    f = analysis.fields[0] if sentence.field == "title" else analysis.fields[1]
    names = _WORD_NAMES
    return [names.get(token.word) or _word_name(token.word) for token in f.tokens[sentence.first : sentence.last]]


_WORD_NAMES: dict[str, str] = {}


def _word_name(word: str) -> str:
    """A word's feature name, `w=` and its lookup form (cached: the same few thousand words recur everywhere)."""
    name = "w=" + ("#" if word[:1].isdigit() else term_key(word))
    if len(_WORD_NAMES) < 500_000:
        _WORD_NAMES[word] = name
    return name


def pooled_features(sentences: list[SentenceFeatures]) -> tuple[str, ...]:
    """An article's sentence features pooled: what the article-level topic head reads, so
    that a topic can rest on two sentences together (a sanctions framing here, the cooperation there)."""
    return tuple(sorted({name for s in sentences for name in s.names}))


_STATE_LABELS = {"russia": (Kind.RUSSIA, PLACE_RUSSIA), "iran": (Kind.IRAN, PLACE_IRAN)}


def relevance_features(analysis: RuleAnalysis, sentences: list[SentenceFeatures]) -> tuple[str, ...]:
    """Features of a whole article for the relevance model: the rules' verdict and its rule, how the strongest
    sentences relate the two, where each state is named (and by which side's entities), and the words of the
    headline and of every sentence that names one of them."""
    names = ["rules:relevant" if analysis.relevant else "rules:not_relevant", "rule:" + analysis.rule]
    links = sorted((s.sentence.link for s in sentences), reverse=True)
    best = links[0] if links else 0.0
    names.append(f"best_link:{_bucket(best, (0.9, 0.75, 0.6, 0.5, 0.35, 0.01))}")
    strong = sum(1 for link in links if link >= RELEVANCE_THRESHOLD)
    names.append(f"strong_sentences:{min(strong, 3)}")
    paragraphs: dict[tuple[str, int], set[str]] = {}
    counts = {"russia": 0, "iran": 0, "other": 0}
    for features in sentences:
        sentence = features.sentence
        names.append("kind:" + features.relation)
        present = {state for state, labels in _STATE_LABELS.items() if any(sentence.has(label) for label in labels)}
        present |= features.sides
        counts["other"] += sentence.has(Kind.OTHER_STATE)
        for state in present:
            counts[state] += 1
        paragraphs.setdefault((sentence.field, sentence.paragraph), set()).update(present)
        if sentence.field == "title":
            names += [f"title_names:{state}" for state in present]
        if present or sentence.field == "title":
            names += ["near:" + name for name in features.lexical]
            if len(present) == 2:
                names.append("sentence_names_both")
    names += [f"{state}_sentences:{min(count, 4)}" for state, count in counts.items()]
    if any(len(states) == 2 for states in paragraphs.values()):
        names.append("paragraph_names_both")
    return tuple(dict.fromkeys(names))


def _bucket(value: float, edges: tuple[float, ...]) -> str:
    for edge in edges:
        if value >= edge:
            return f">={edge}"
    return "0"
