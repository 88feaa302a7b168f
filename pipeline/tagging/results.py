"""What the tagger returns: relevance, topics and entities, each with its evidence (text, field, offsets)
and a trace of what decided it."""

from __future__ import annotations

from dataclasses import dataclass


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
    trace: tuple[str, ...] = ()  # what decided it: a rule's name or the model's strongest features


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
    trace: tuple[str, ...] = ()  # the rule that decided relevance
    truncated: str | None = None  # set when only the text's first characters were tagged

    def as_dict(self, item_id=None, explain: bool = False) -> dict:
        row = {
            "id": item_id,
            "relevant": self.relevant,
            "relevance": round(self.relevance, 3),
            "evidence": self.evidence.text if self.evidence else None,
            "topics": [
                {
                    "topic": t.topic,
                    "score": round(t.score, 3),
                    "evidence": t.evidence.text,
                    "field": t.evidence.field,
                    "start": t.evidence.start,
                    "end": t.evidence.end,
                }
                for t in self.topics
            ],
            "entities": [
                {"entity": e.entity, "kind": e.kind, "text": e.text, "field": e.field, "start": e.start, "end": e.end}
                for e in self.entities
            ],
            "taxonomy_version": self.taxonomy_version,
        }
        if self.truncated:
            row["truncated"] = self.truncated
        if explain:
            row["trace"] = {"relevance": list(self.trace), **{t.topic: list(t.trace) for t in self.topics}}
        return row
