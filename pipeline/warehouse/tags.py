"""Tags (tables taxonomy_versions, article_relevance, article_topics, entities, article_entities): rows are kept
per taxonomy version, so that a retag adds a version beside the old one and the views read the current one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from pipeline.config import TaxonomySpec
from pipeline.tagging import TagResult
from pipeline.warehouse.articles import CHUNK
from pipeline.warehouse.db import tables, upsert

Tagged = tuple[int, TagResult]  # (article id, its tags)


def record_taxonomy(conn: Connection, spec: TaxonomySpec, now: datetime, current: bool = True) -> None:
    """Remember the taxonomy version in use and its gazetteer. With `current` it becomes the version the trend
    views read; without, it is stored beside the current one (current only if there is none yet)."""
    versions = tables(conn).tables["taxonomy_versions"]
    if current:
        conn.execute(update(versions).where(versions.c.version != spec.version).values(is_current=False))
        upsert(
            conn,
            versions,
            [dict(version=spec.version, content_sha256=spec.sha256, is_current=True, first_used_at=now)],
            ["version"],
            ["is_current", "content_sha256"],
        )
    else:
        has_current = conn.execute(versions.select().where(versions.c.is_current.is_(True))).first()
        upsert(
            conn,
            versions,
            [dict(version=spec.version, content_sha256=spec.sha256, is_current=has_current is None, first_used_at=now)],
            ["version"],
            ["content_sha256"],
        )
    record_entities(conn, spec, now)


def record_entities(conn: Connection, spec: TaxonomySpec, now: datetime) -> None:
    """Upsert the gazetteer's entities (id, kind, label, country) as of this taxonomy version."""
    rows = [
        dict(
            entity_id=e.id, kind=e.kind, label=e.label, country=e.country, taxonomy_version=spec.version, updated_at=now
        )
        for e in spec.entities
    ]
    upsert(
        conn,
        tables(conn).tables["entities"],
        rows,
        ["entity_id"],
        ["kind", "label", "country", "taxonomy_version", "updated_at"],
    )


def replace_tags(conn: Connection, tagged: list[Tagged], now: datetime) -> None:
    """Write relevance, topic and entity rows for (article id, TagResult) pairs, replacing that version's old
    rows of those articles."""
    meta = tables(conn)
    relevance, topics = meta.tables["article_relevance"], meta.tables["article_topics"]
    _delete_version_rows(conn, topics, tagged)
    topic_rows: list[dict[str, Any]]
    relevance_rows, topic_rows = [], []
    for article_id, result in tagged:
        ev = result.evidence
        relevance_rows.append(
            dict(
                article_id=article_id,
                taxonomy_version=result.taxonomy_version,
                relevant=result.relevant,
                score=result.relevance,
                evidence=ev.text if ev else None,
                evidence_field=ev.field if ev else None,
                evidence_start=ev.start if ev else None,
                evidence_end=ev.end if ev else None,
                tagged_at=now,
            )
        )
        topic_rows.extend(
            dict(
                article_id=article_id,
                taxonomy_version=result.taxonomy_version,
                topic=t.topic,
                score=t.score,
                evidence=t.evidence.text,
                evidence_field=t.evidence.field,
                evidence_start=t.evidence.start,
                evidence_end=t.evidence.end,
                tagged_at=now,
            )
            for t in result.topics
        )
    upsert(
        conn,
        relevance,
        relevance_rows,
        ["article_id", "taxonomy_version"],
        ["relevant", "score", "evidence", "evidence_field", "evidence_start", "evidence_end", "tagged_at"],
    )
    if topic_rows:
        conn.execute(topics.insert(), topic_rows)
    replace_entities(conn, tagged, now)


def replace_entities(conn: Connection, tagged: list[Tagged], now: datetime) -> int:
    """Replace the mention rows of each (article id, TagResult) pair for the result's taxonomy version."""
    table = tables(conn).tables["article_entities"]
    _delete_version_rows(conn, table, tagged)
    rows = {}
    for article_id, result in tagged:
        for mention in result.entities:
            key = (article_id, result.taxonomy_version, mention.entity, mention.field, mention.start)
            rows[key] = dict(
                article_id=article_id,
                taxonomy_version=result.taxonomy_version,
                entity_id=mention.entity,
                kind=mention.kind,
                mention=mention.text,
                field=mention.field,
                mention_start=mention.start,
                mention_end=mention.end,
                tagged_at=now,
            )
    if rows:
        conn.execute(table.insert(), list(rows.values()))
    return len(rows)


def _delete_version_rows(conn: Connection, table, tagged: Iterable[Tagged]) -> None:
    by_version: dict[str, list[int]] = {}
    for article_id, result in tagged:
        by_version.setdefault(result.taxonomy_version, []).append(article_id)
    for version, article_ids in by_version.items():
        for start in range(0, len(article_ids), CHUNK):
            conn.execute(
                table.delete().where(
                    table.c.taxonomy_version == version, table.c.article_id.in_(article_ids[start : start + CHUNK])
                )
            )
