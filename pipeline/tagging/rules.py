"""The rule tagger: compiles the taxonomy's lexicons and reads an article (see relation, topics, lists,
entities); docs/tagging.md explains the rules with examples."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import cast

from pipeline.config import TaxonomySpec
from pipeline.tagging.entities import EntityRules
from pipeline.tagging.labels import Kind, Label
from pipeline.tagging.lexicon import Lexicon, Match, tokenize
from pipeline.tagging.relation import (
    RELEVANCE_THRESHOLD,
    RelationRules,
    link_rule,
    mentioned_in_passing,
)
from pipeline.tagging.results import EntityMention, TagResult, TopicTag
from pipeline.tagging.sentences import (
    Field,
    Sentence,
    evidence_of,
    group_hits,
    may_relate,
    resolve_hits,
    sentence_index,
    split_sentences,
)
from pipeline.tagging.topics import TopicRules


@dataclass
class RuleAnalysis:
    """What the rules read in one article: its fields and sentences (with their relation scores and lexicon hits),
    the relevance decision and the sentences each topic's rules found (score, sentence)."""

    fields: list[Field]
    relevant: bool
    relevance: float
    evidence: Sentence | None
    found: dict[str, list[tuple[float, Sentence]]]
    tags: tuple[TopicTag, ...]
    entities: tuple[EntityMention, ...]
    rule: str = ""  # the named rule that decided relevance (see `link_rule`)

    @property
    def sentences(self) -> list[Sentence]:
        return self.fields[0].sentences + self.fields[1].sentences

    def result(self, version: str) -> TagResult:
        evidence = evidence_of(self.evidence, self.fields) if self.evidence is not None else None
        return TagResult(
            self.relevant,
            self.relevance,
            evidence,
            self.tags if self.relevant else (),
            version,
            self.entities,
            (self.rule,),
        )


class RuleTagger(RelationRules, TopicRules, EntityRules):
    """Compiled taxonomy; `tag(title, text)` is pure and thread-safe."""

    def __init__(self, spec: TaxonomySpec):
        self.spec = spec
        self.version = spec.version
        self.topics = spec.topics
        groups: dict[Label, tuple[str, ...]] = {
            Label(Kind.RUSSIA): spec.actors["russia"],
            Label(Kind.IRAN): spec.actors["iran"],
            Label(Kind.PAIR): spec.pair_terms,
            Label(Kind.REFERENCE): spec.pair_references,
            Label(Kind.CUE): spec.relation_cues,
            Label(Kind.WEAK_CUE): spec.weak_relation_cues,
            Label(Kind.LIST_MARKER): spec.list_markers,
            Label(Kind.LIST_TAIL): spec.list_tails,
            Label(Kind.OTHER_STATE): spec.other_states,
            Label(Kind.BILATERAL_CUE): spec.bilateral_cues,
            Label(Kind.NOT_CUE): spec.not_relation_cues,
            Label(Kind.PARALLEL): spec.parallel_markers,
            Label(Kind.SECTOR): spec.sector_words,
            Label(Kind.NEGATION): spec.negations,
            Label(Kind.COMPARISON): spec.comparison_markers,
            Label(Kind.PLACE, "russia"): (spec.places or {}).get("russia", ()),
            Label(Kind.PLACE, "iran"): (spec.places or {}).get("iran", ()),
        }
        self.term_labels = {t.id: (Label(Kind.TERM, t.id), Label(Kind.WEAK, t.id)) for t in spec.topics}
        for topic in spec.topics:
            groups[Label(Kind.TERM, topic.id)] = topic.terms
            groups[Label(Kind.WEAK, topic.id)] = topic.weak
            groups[Label(Kind.EXCLUDE, topic.id)] = topic.exclude
            for number, combo in enumerate(topic.combinations):
                groups[Label(Kind.COMBO_FIRST, topic.id, number)] = combo.terms
                groups[Label(Kind.COMBO_SECOND, topic.id, number)] = combo.with_terms
        self.entity_kinds = {e.id: e.kind for e in spec.entities}
        for entity in spec.entities:
            groups[Label(Kind.ENTITY, entity.id)] = entity.aliases
        self.lexicon = Lexicon({k: v for k, v in groups.items() if v})
        self.overrides = {t.id: set(t.overridden_by) for t in spec.topics}
        self.weak_overrides = {t.id: set(t.overridden_by) | set(t.weak_overridden_by) for t in spec.topics}
        self.combined_topics = [t for t in spec.topics if t.combinations]
        self.combination_labels = {
            t.id: [
                (Label(Kind.COMBO_FIRST, t.id, n), Label(Kind.COMBO_SECOND, t.id, n), combo)
                for n, combo in enumerate(t.combinations)
            ]
            for t in self.combined_topics
        }
        self.yielding = {t.id for t in spec.topics if t.yields}

    # -- reading
    def _read(self, name: str, source: str, paragraph_offset: int) -> Field:
        tokens = tokenize(source)
        sentences = split_sentences(source, name, paragraph_offset, self.spec.grammar.abbreviations)
        sentence_of = sentence_index(tokens, sentences)
        for index, sentence in enumerate(sentences):
            sentence.first = bisect.bisect_left(sentence_of, index)
            sentence.last = bisect.bisect_right(sentence_of, index)
        by_sentence: dict[int, list[Match]] = {}
        for match in self.lexicon.find(source, tokens):
            by_sentence.setdefault(sentence_of[match.first], []).append(match)
        for index, matches in by_sentence.items():
            sentence = sentences[index]
            sentence.matches = matches
            sentence.hits = group_hits(matches)
            if may_relate(sentence.hits):
                sentence.hits, sentence.resolved = resolve_hits(matches), True
        return Field(name, source, tokens, sentences, self.spec.grammar)

    def tag(self, title: str | None, text: str) -> TagResult:
        return self.analyse(title, text).result(self.version)

    def analyse(self, title: str | None, text: str, topics: bool = True) -> RuleAnalysis:
        """Read an article: relation scores for every sentence, relevance, and (`topics`) the topics' rule hits."""
        fields = [self._read("title", title or "", -1), self._read("text", text or "", 0)]
        sentences = fields[0].sentences + fields[1].sentences
        self._link(fields)
        strong = [s for s in sentences if s.link >= RELEVANCE_THRESHOLD]
        best = max(sentences, key=lambda s: (s.link, s.field == "text", -s.start), default=None)
        strong_text = [s for s in strong if s.field == "text"]
        relevant = bool(strong_text) or (bool(strong) and not (text or "").strip())
        rule = "relation.none" if not strong else "relation.headline_only" if not relevant else ""
        if (
            relevant
            and len(strong_text) == 1
            and strong_text[0].link < 0.9
            and mentioned_in_passing(strong_text[0], fields)
        ):
            # a story about a third state ("Iran and China review their pact") that relates the two in one
            # sentence only ("Tehran has also signed a treaty with Russia") mentions the pair, it does not discuss it
            relevant, rule = False, "relation.mentioned_in_passing"
        relevance = (best.link if best else 0.0) + (0.05 * min(len(strong) - 1, 3) if strong else 0.0)
        # relevant means a strong sentence, so `best` is one: the `is not None` only tells the type checker so
        if relevant and best is not None and best.field != "text" and (text or "").strip():
            # a headline never decides alone: the evidence is the text's best relating sentence
            best = max((s for s in strong if s.field == "text"), key=lambda s: (s.link, -s.start))
        evidence = best if best is not None and best.link > 0 else None
        found, tags = self._topics(fields) if relevant and topics else ({}, ())
        return RuleAnalysis(
            fields,
            relevant,
            round(min(relevance, 1.0), 3),
            evidence,
            found,
            tags,
            self._entities(fields),
            rule or link_rule(cast(Sentence, best)),  # no rule yet means a strong sentence: `best` is one
        )
