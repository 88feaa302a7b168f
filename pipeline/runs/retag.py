"""Re-tag stored articles under the taxonomy in use, without fetching or extracting anything again.

Tags are stored per taxonomy version (article_relevance, article_topics, article_entities), so a retag adds the
new version's rows beside the old ones; the trend views read the version marked current in taxonomy_versions,
which the caller switches with `warehouse.tags.record_taxonomy` once the retag has finished (or pins back with
`pin_version`). A retag is idempotent: running it twice for the same version and days writes the same rows.
A dry run tags and compares, and writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select, update

from pipeline.fetching.limits import FetchLimits
from pipeline.runs.cpu import ArticleBuilder
from pipeline.tagging import Tagger
from pipeline.warehouse.db import WarehouseError, tables
from pipeline.warehouse.summaries import refresh_summaries
from pipeline.warehouse.tags import record_taxonomy, replace_tags

log = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass
class RetagResult:
    taxonomy_version: str
    compared_with: str | None  # the version whose stored tags the new ones were compared with
    dry_run: bool
    articles: int = 0
    relevant: int = 0
    relevance_gained: int = 0
    relevance_lost: int = 0
    topics_gained: dict[str, int] = field(default_factory=dict)
    topics_lost: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        verb = "would tag" if self.dry_run else "tagged"
        lines = [f"{verb} {self.articles} articles with taxonomy {self.taxonomy_version}: {self.relevant} relevant"]
        if self.compared_with:
            lines.append(f"against {self.compared_with}: relevance +{self.relevance_gained} -{self.relevance_lost}")
            for topic in sorted(set(self.topics_gained) | set(self.topics_lost)):
                lines.append(f"  {topic:20} +{self.topics_gained.get(topic, 0)} -{self.topics_lost.get(topic, 0)}")
        return "\n".join(lines)


def current_version(engine_or_conn) -> str | None:
    """The taxonomy version the trend views read (taxonomy_versions.is_current)."""
    versions = tables(engine_or_conn).tables["taxonomy_versions"]
    query = select(versions.c.version).where(versions.c.is_current.is_(True)).limit(1)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return conn.execute(query).scalar()
    return engine_or_conn.execute(query).scalar()


def pin_version(engine: Engine, version: str) -> None:
    """Make an already stored taxonomy version the one the trend views read."""
    versions = tables(engine).tables["taxonomy_versions"]
    with engine.begin() as conn:
        known = conn.execute(select(versions.c.version).where(versions.c.version == version)).scalar()
        if known is None:
            stored = ", ".join(conn.execute(select(versions.c.version).order_by(versions.c.version)).scalars())
            raise WarehouseError(
                f"taxonomy version {version!r} has no tags in this warehouse (stored: {stored or 'none'})"
            )
        conn.execute(update(versions).values(is_current=versions.c.version == version))
    refresh_summaries(engine)  # the trend views read the summaries, which follow the current version


def retag_articles(
    engine: Engine,
    tagger: Tagger,
    start: date | None = None,
    end: date | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
    make_current: bool = False,
    limits: FetchLimits | None = None,
) -> RetagResult:
    """Tag every stored article whose day is in [start, end) (all when None) with `tagger`, on `limits.cpu_workers`
    processes; one transaction per batch. The new tags are compared with those of the current version and, unless
    `dry_run`, stored; with `make_current` the new version becomes the one the trend views read."""
    now = now or datetime.now(UTC)
    compared = current_version(engine)
    result = RetagResult(tagger.version, compared, dry_run)
    if not dry_run:
        with engine.begin() as conn:
            record_taxonomy(conn, tagger.spec, now, current=False)  # stored, so that it can be pinned later
    after_id = 0
    with ArticleBuilder(tagger, None, limits or FetchLimits()) as builder:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(_articles_query(conn, start, end, after_id, batch_size)).all()
            if not rows:
                break
            tags = builder.tag_many((row.title, row.text or "") for row in rows)  # no transaction open meanwhile
            tagged = list(zip([row.id for row in rows], tags))
            with engine.connect() if dry_run else engine.begin() as conn:
                previous = _stored_tags(conn, [row.id for row in rows], compared) if compared else {}
                _compare(result, tagged, previous, compared is not None)
                if not dry_run:
                    replace_tags(conn, tagged, now)
            after_id = rows[-1].id
            log.info("retag %s: %d articles so far", tagger.version, result.articles)
    if dry_run:
        return result
    if make_current and compared != tagger.version:
        pin_version(engine, tagger.version)  # switches the views and refreshes their summaries
    elif current_version(engine) == tagger.version:
        refresh_summaries(engine)  # the current version's own tags changed
    return result


def _articles_query(conn, start: date | None, end: date | None, after_id: int, limit: int):
    articles = tables(conn).tables["articles"]
    query = select(articles.c.id, articles.c.title, articles.c.text).where(articles.c.id > after_id)
    if start is not None:
        query = query.where(articles.c.day >= start)
    if end is not None:
        query = query.where(articles.c.day < end)
    return query.order_by(articles.c.id).limit(limit)


def _stored_tags(conn, article_ids: list[int], version: str) -> dict[int, tuple[bool, set[str]]]:
    meta = tables(conn)
    relevance, topics = meta.tables["article_relevance"], meta.tables["article_topics"]
    stored: dict[int, tuple[bool, set[str]]] = {
        row.article_id: (bool(row.relevant), set())
        for row in conn.execute(
            select(relevance.c.article_id, relevance.c.relevant).where(
                relevance.c.taxonomy_version == version, relevance.c.article_id.in_(article_ids)
            )
        )
    }
    for article_id, topic in conn.execute(
        select(topics.c.article_id, topics.c.topic).where(
            topics.c.taxonomy_version == version, topics.c.article_id.in_(article_ids)
        )
    ):
        if article_id in stored:
            stored[article_id][1].add(topic)
    return stored


def _compare(result: RetagResult, tagged: list, previous: dict, comparing: bool) -> None:
    for article_id, tags in tagged:
        result.articles += 1
        result.relevant += int(tags.relevant)
        if not comparing or article_id not in previous:
            continue
        was_relevant, old_topics = previous[article_id]
        new_topics = {t.topic for t in tags.topics} if tags.relevant else set()
        old_topics = old_topics if was_relevant else set()
        result.relevance_gained += int(tags.relevant and not was_relevant)
        result.relevance_lost += int(was_relevant and not tags.relevant)
        for topic in new_topics - old_topics:
            result.topics_gained[topic] = result.topics_gained.get(topic, 0) + 1
        for topic in old_topics - new_topics:
            result.topics_lost[topic] = result.topics_lost.get(topic, 0) + 1
