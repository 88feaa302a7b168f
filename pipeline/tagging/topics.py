"""Topic rules: which sentences are tied to the pair (context) and which topics their lexicon hits earn."""

from __future__ import annotations

from pipeline.config import Combination, TopicSpec
from pipeline.tagging.labels import PLACE_IRAN, PLACE_RUSSIA, TOPIC_TERMS, Kind, Label
from pipeline.tagging.lists import listed_topic_matches, names_sector
from pipeline.tagging.relation import RELEVANCE_THRESHOLD
from pipeline.tagging.results import TopicTag
from pipeline.tagging.sentences import Field, Sentence, evidence_of, resolve_hits

TOPIC_THRESHOLD = 0.6
WEAK_FACTOR = 0.7  # a weak term counts for this share of a specific one: only a pair sentence lifts it over
NEGATION_REACH = 3  # "no military assistance", "no direct military assistance", «никакой военной помощи»


# Sentence context: how strongly a sentence is tied to the pair (see _contexts).
PAIR_SENTENCE, BOTH_NAMED, ONE_ACTOR_IN_PAIR_PARAGRAPH, FOLLOWS_PAIR_SENTENCE = 1.0, 0.7, 0.75, 0.7
CROWDED_PAIR = 0.5  # both named with a third state: too weak for topics, except a combination about the pair
ONE_ACTOR_IN_PAIR_ARTICLE = 0.65  # one actor and a relation cue, in an article whose title relates the pair


class TopicRules:
    """Topics: each sentence's context, the topic terms it holds and the topics they earn. Mixed into RuleTagger, whose
    compiled lexicon and overrides it reads."""

    # set by RuleTagger from the taxonomy
    topics: tuple[TopicSpec, ...]
    term_labels: dict[str, tuple[Label, Label]]  # topic id -> (its specific terms' label, its weak terms' label)
    combined_topics: list[TopicSpec]
    combination_labels: dict[str, list[tuple[Label, Label, Combination]]]
    overrides: dict[str, set[str]]
    weak_overrides: dict[str, set[str]]
    yielding: set[str]

    # -- topics
    def _contexts(self, fields: list[Field]) -> None:
        title_linked = any(s.link >= RELEVANCE_THRESHOLD for s in fields[0].sentences)
        for f in fields:
            linked_paragraphs = {s.paragraph for s in f.sentences if s.link >= RELEVANCE_THRESHOLD}
            previous_linked = False
            for sentence in f.sentences:
                one_actor = (
                    sentence.has(Kind.RUSSIA)
                    or sentence.has(Kind.IRAN)
                    or sentence.has(Kind.REFERENCE)
                    or sentence.has(PLACE_RUSSIA)
                    or sentence.has(PLACE_IRAN)
                )
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
                elif one_actor and title_linked and not sentence.crowded and sentence.has(Kind.CUE):
                    context = ONE_ACTOR_IN_PAIR_ARTICLE
                else:
                    context = 0.0
                sentence.context = context
                previous_linked = sentence.link >= RELEVANCE_THRESHOLD

    def _topics(self, fields: list[Field]) -> tuple[dict[str, list[tuple[float, Sentence]]], tuple[TopicTag, ...]]:
        self._contexts(fields)
        earned: list[tuple[Sentence, dict[str, set[str]]]] = []
        strong_by_paragraph: dict[tuple[str, int], set[str]] = {}
        designations: list[tuple[float, Sentence, str]] = []
        for f in fields:
            for sentence in f.sentences:
                # "The US sanctioned firms in China and the UAE for supplying Iranian drone engines to Russia": the
                # sanctioning state crowds the sentence, yet a combination that needs both states is about the pair
                crowded_pair = sentence.crowded and sentence.both_named and sentence.context >= CROWDED_PAIR
                if sentence.context < TOPIC_THRESHOLD and not crowded_pair:
                    continue
                if not sentence.resolved:  # overlaps matter for topics only where a topic can be earned
                    sentence.hits, sentence.resolved = resolve_hits(sentence.matches), True
                if sentence.context < TOPIC_THRESHOLD:
                    designations += [
                        (TOPIC_THRESHOLD, sentence, topic.id)
                        for topic in self.combined_topics
                        if self._combination(topic, sentence, pair_only=True)
                    ]
                    continue
                strong, weak = self._sentence_terms(sentence, f)
                strong_by_paragraph.setdefault((f.name, sentence.paragraph), set()).update(strong)
                earned.append((sentence, {"strong": strong, "weak": weak}))
        found: dict[str, list[tuple[float, Sentence]]] = {}
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
            topic_terms = sorted({m.term for label in self.term_labels[topic.id] for m in sentence.hits.get(label, ())})
            tags.append(
                TopicTag(
                    topic.id,
                    round(score, 3),
                    evidence_of(sentence, fields),
                    ("rules.topic_lexicon",) + tuple(f"term {t}" for t in topic_terms[:4]),
                )
            )
        return found, tuple(tags)

    def _sentence_terms(self, sentence: Sentence, f: Field) -> tuple[set[str], set[str]]:
        """Topics with a specific term (or combination) in the sentence, and topics with weak terms only."""
        listed = listed_topic_matches(sentence, f)
        negations = sentence.positions(Kind.NEGATION)
        if negations:  # "Russia offered no military assistance": the domain is named as absent
            listed = listed | {
                id(m)
                for label, ms in sentence.hits.items()
                if label.kind in TOPIC_TERMS
                for m in ms
                if any(m.first - NEGATION_REACH <= n < m.first for n in negations)
            }
        sectors = sentence.positions(Kind.SECTOR)
        strong, weak, specific_words, single = set(), set(), False, set()
        for label, matches in sentence.hits.items():
            if label.kind is Kind.TERM:
                specific_words = True  # even inside a list: the sentence is about a named domain
                kept = {m.term for m in matches if id(m) not in listed}
                if kept and sectors and all(names_sector(m, sectors) for m in matches if m.term in kept):
                    weak.add(label.key)  # "in the transport and logistics sphere": a sector's name, not content
                    continue
                if kept:
                    strong.add(label.key)
                    if len(kept) == 1:
                        single.add(label.key)
            elif label.kind is Kind.WEAK and any(id(m) not in listed for m in matches):
                weak.add(label.key)
        for topic in self.combined_topics:
            if topic.id not in strong and self._combination(topic, sentence):
                strong.add(topic.id)
        for topic_id in self.yielding & single:
            if strong - {topic_id}:
                strong.discard(topic_id)  # "oil delivered from Russian Caspian ports": the route of another domain
        if specific_words:
            return strong, set()
        return strong, weak - strong

    def _combination(self, topic, sentence: Sentence, pair_only: bool = False) -> bool:
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

    def _sentence_scores(self, sentence: Sentence, strong: set[str], weak: set[str], paragraph_strong: set[str]):
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
