"""Gazetteer entities: every mention of a named system, project, agreement, person or organisation."""

from __future__ import annotations

from pipeline.tagging.labels import Kind
from pipeline.tagging.results import EntityMention
from pipeline.tagging.sentences import Field


def longest_first(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Entity spans without overlaps: the longest mention wins, then the earliest."""
    chosen: list[tuple[int, int, str]] = []
    for start, end, entity in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0])):
        if not any(start < e and s < end for s, e, _ in chosen):
            chosen.append((start, end, entity))
    return sorted(chosen)


class EntityRules:
    """Entities: the gazetteer's mentions, longest first. Mixed into RuleTagger, whose compiled lexicon and overrides it
    reads."""

    entity_kinds: dict[str, str]  # entity id -> its kind (set by RuleTagger)

    # -- entities
    def _entities(self, fields: list[Field]) -> tuple[EntityMention, ...]:
        mentions = []
        for f in fields:
            spans: list[tuple[int, int, str]] = []
            for sentence in f.sentences:
                for label, matches in sentence.hits.items():
                    if label.kind is Kind.ENTITY:
                        spans.extend((m.start, m.end, label.key) for m in matches)
            for start, end, entity in longest_first(spans):
                mentions.append(
                    EntityMention(entity, self.entity_kinds.get(entity, ""), f.source[start:end], f.name, start, end)
                )
        return tuple(mentions)
