"""The tagger the pipeline uses: the rules read the article, the learned model decides from what they read.

`tag(title, text)` reads the article with the rules (relation scores, lexicon hits, the rules' own verdicts), then
the model's relevance head decides relevance from the rules' features, and for a relevant article the topic head
scores every sentence for every topic. A topic is earned when its best sentence reaches the topic's threshold; that
sentence is the tag's evidence and its strongest features are the tag's trace. Without a model (tests of the
rules, or `Tagger(spec)`) the rules decide everything.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from pipeline.config import TaxonomySpec
from pipeline.tagging.features import article_features, pooled_features, relevance_features
from pipeline.tagging.model import TaggerModel, load_model
from pipeline.tagging.results import TagResult, TopicTag
from pipeline.tagging.rules import RuleTagger
from pipeline.tagging.sentences import evidence_of

DEFAULT_MODEL_NAME = "tagger-model.npz"


class Tagger:
    """Compiled taxonomy plus (optionally) the learned model; `tag` is pure and thread-safe."""

    def __init__(self, spec: TaxonomySpec, model: TaggerModel | None = None):
        self.spec = spec
        self.version = spec.version
        self.rules = RuleTagger(spec)
        self.model = model
        self.entity_sides = {e.id: e.country for e in spec.entities if e.country}
        self.order = {t.id: i for i, t in enumerate(spec.topics)}
        # a model trained without the rules' topic verdicts does not need the rules' topic pass
        self.rule_topics = model is None or model.header.get("rule_verdicts", True)

    def tag(self, title: str | None, text: str, max_chars: int | None = None) -> TagResult:
        """Tag an article; with `max_chars`, only the text's first characters (cut at a space) are read."""
        title, text = (title or "")[:2000], text or ""
        if max_chars is not None and len(text) > max_chars:
            cut = text.rfind(" ", 0, max_chars)
            result = self.tag(title, text[: cut if cut > max_chars // 2 else max_chars])
            return dataclasses.replace(result, truncated=f"tagged the first {max_chars} of {len(text)} characters")
        analysis = self.rules.analyse(title, text, topics=self.rule_topics)
        result = analysis.result(self.version)
        if self.model is None:
            return result
        sentences = article_features(analysis, self.entity_sides)
        head = self.model.relevance
        article = head.ids(relevance_features(analysis, sentences))
        relevance = float(head.probabilities([article])[0, 0])
        relevant = relevance >= head.thresholds[0]
        trace = (f"model.relevance p={relevance:.2f}",) + head.strongest(article, "relevant", 5)
        evidence = result.evidence
        if relevant and evidence is None:
            evidence = evidence_of(_closest_to_relation(sentences), analysis.fields)
        tags = self._topics(analysis, sentences) if relevant else ()
        return TagResult(bool(relevant), round(relevance, 3), evidence, tags, self.version, result.entities, trace)

    def _topics(self, analysis, sentences) -> tuple[TopicTag, ...]:
        if not sentences:
            return ()
        assert self.model is not None  # called by `tag` only when there is a model
        head, articles = self.model.topics, self.model.articles
        sentences = [s for s in sentences if s.candidate]
        if not sentences:
            return ()
        rows = [head.ids(s.names) for s in sentences]
        probabilities = head.probabilities(rows)
        pooled = articles.ids(pooled_features(sentences))
        article = articles.probabilities([pooled])[0]
        tags = []
        for column, topic in enumerate(head.labels):
            best = int(probabilities[:, column].argmax())
            score = (float(probabilities[best, column]) + float(article[column])) / 2
            if score < head.thresholds[column]:
                continue
            chosen = sentences[best]
            trace = (
                f"model.sentence p={probabilities[best, column]:.2f} ({chosen.relation})",
                *head.strongest(rows[best], topic, 3),
                f"model.article p={article[column]:.2f}",
                *articles.strongest(pooled, topic, 3),
            )
            tags.append(TopicTag(topic, round(score, 3), evidence_of(chosen.sentence, analysis.fields), trace))
        tags.sort(key=lambda tag: self.order.get(tag.topic, len(self.order)))
        return tuple(tags)


def _closest_to_relation(sentences):
    """The sentence that best ties the two states together (the relevance evidence when no rule fired)."""

    def strength(s):
        states = len(s.sides) + s.sentence.has("russia") + s.sentence.has("iran")
        return (s.sentence.link, states, s.sentence.field == "text", -s.index)

    return max(sentences, key=strength).sentence


def default_model_path(spec: TaxonomySpec) -> Path:
    """$NEWSMON_TAGGER_MODEL, else tagger-model.npz beside the taxonomy file."""
    if os.environ.get("NEWSMON_TAGGER_MODEL"):
        return Path(os.environ["NEWSMON_TAGGER_MODEL"])
    if spec.source_path:
        return Path(spec.source_path).parent / DEFAULT_MODEL_NAME
    from pipeline.settings import PROJECT_ROOT

    return PROJECT_ROOT / "config" / DEFAULT_MODEL_NAME


def load_tagger(spec: TaxonomySpec, model_path: Path | str | None = None) -> Tagger:
    """The pipeline's tagger: the taxonomy with its trained model, which must match it (else ModelError)."""
    path = Path(model_path) if model_path else default_model_path(spec)
    return Tagger(spec, load_model(path, spec.version, spec.sha256))
