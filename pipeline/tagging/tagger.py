"""The tagger the pipeline uses: the rules decide relevance, the learned model decides topics from their features.

`tag(title, text)` reads the article with the rules (relation scores, lexicon hits, the rules' own topic
decisions), and for a relevant article scores every sentence for every topic with the model. A topic is earned
when its best sentence reaches the topic's threshold; that sentence is the tag's evidence and its strongest
features are the tag's trace. Without a model (tests of the rules, or `Tagger(spec)`) the rules decide topics.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..config import TaxonomySpec
from .features import article_features
from .model import TopicModel, load_model
from .records import TagResult, TopicTag
from .rules import RuleTagger
from .sentences import evidence_of

DEFAULT_MODEL_NAME = "tagger-model.npz"


class Tagger:
    """Compiled taxonomy plus (optionally) the learned topic model; `tag` is pure and thread-safe."""

    def __init__(self, spec: TaxonomySpec, model: TopicModel | None = None):
        self.spec = spec
        self.version = spec.version
        self.rules = RuleTagger(spec)
        self.model = model
        self.entity_sides = {e.id: e.country for e in spec.entities if e.country}

    def tag(self, title: str | None, text: str) -> TagResult:
        analysis = self.rules.analyse(title, text)
        result = analysis.result(self.version)
        if self.model is None or not analysis.relevant:
            return result
        sentences = article_features(analysis, self.entity_sides)
        probabilities = self.model.probabilities(sentences)
        tags = []
        for column, topic in enumerate(self.model.topics):
            best = int(probabilities[:, column].argmax())
            score = float(probabilities[best, column])
            if score < self.model.thresholds[column]:
                continue
            chosen = sentences[best]
            tags.append(TopicTag(topic, round(score, 3), evidence_of(chosen.sentence, analysis.fields),
                                 (f"model.{chosen.relation}",) + self.model.strongest(chosen, topic)))
        order = {t.id: i for i, t in enumerate(self.spec.topics)}
        tags.sort(key=lambda tag: order.get(tag.topic, len(order)))
        return TagResult(result.relevant, result.relevance, result.evidence, tuple(tags), self.version,
                         result.entities, result.trace)


def default_model_path(spec: TaxonomySpec) -> Path:
    """$NEWSMON_TAGGER_MODEL, else tagger-model.npz beside the taxonomy file."""
    if os.environ.get("NEWSMON_TAGGER_MODEL"):
        return Path(os.environ["NEWSMON_TAGGER_MODEL"])
    if spec.source_path:
        return Path(spec.source_path).parent / DEFAULT_MODEL_NAME
    from ..settings import PROJECT_ROOT

    return PROJECT_ROOT / "config" / DEFAULT_MODEL_NAME


def load_tagger(spec: TaxonomySpec, model_path: Path | str | None = None) -> Tagger:
    """The pipeline's tagger: the taxonomy with its trained model, which must match it (else ModelError)."""
    path = Path(model_path) if model_path else default_model_path(spec)
    return Tagger(spec, load_model(path, spec.version, spec.sha256))
