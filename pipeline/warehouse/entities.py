"""Load gazetteer entities and their mentions per article (tables `entities` and `article_entities`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from pipeline.config import TaxonomySpec
from pipeline.warehouse.db import tables
from pipeline.warehouse.load import upsert


def record_entities(conn: Connection, spec: TaxonomySpec, now: datetime) -> None:
    """Upsert the gazetteer's entities (id, kind, label, country) as of this taxonomy version."""
    rows = [dict(entity_id=e.id, kind=e.kind, label=e.label, country=e.country, taxonomy_version=spec.version,
                 updated_at=now) for e in spec.entities]
    upsert(conn, tables(conn).tables["entities"], rows, ["entity_id"],
           ["kind", "label", "country", "taxonomy_version", "updated_at"])


def replace_entities(conn: Connection, tagged: list, now: datetime) -> int:
    """Replace the mention rows of each (article id, TagResult) pair for the result's taxonomy version."""
    table = tables(conn).tables["article_entities"]
    by_version: dict[str, list[int]] = {}
    for article_id, result in tagged:
        by_version.setdefault(result.taxonomy_version, []).append(article_id)
    for version, article_ids in by_version.items():
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start:start + 500]
            conn.execute(table.delete().where(table.c.taxonomy_version == version, table.c.article_id.in_(chunk)))
    rows = {}
    for article_id, result in tagged:
        for mention in getattr(result, "entities", ()):
            key = (article_id, result.taxonomy_version, mention.entity, mention.field, mention.start)
            rows[key] = dict(article_id=article_id, taxonomy_version=result.taxonomy_version,
                             entity_id=mention.entity, kind=mention.kind, mention=mention.text, field=mention.field,
                             mention_start=mention.start, mention_end=mention.end, tagged_at=now)
    if rows:
        conn.execute(table.insert(), list(rows.values()))
    return len(rows)
