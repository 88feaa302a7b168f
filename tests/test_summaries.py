"""The trend summaries (pipeline/warehouse/summaries.py): a refresh after a change shows the change, and refreshing only
what changed gives the same views as a full rebuild, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from pipeline.tagging import Evidence, TagResult, TopicTag
from pipeline.warehouse.db import view_files
from pipeline.warehouse.summaries import refresh_summaries
from pipeline.warehouse.tags import replace_tags

SUMMARY_VIEWS = [p.stem for p in view_files() if p.stem != "article_tags_current"]


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {view: sorted(map(repr, conn.execute(text(f"SELECT * FROM {view}")).all())) for view in SUMMARY_VIEWS}


def current_version(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM taxonomy_versions WHERE is_current = TRUE")).scalar_one()


def test_incremental_refresh_matches_a_full_rebuild(demo_warehouse):
    version = current_version(demo_warehouse)
    with demo_warehouse.begin() as conn:
        relevant, irrelevant = (
            conn.execute(
                text(
                    "SELECT article_id FROM article_relevance WHERE relevant = :r AND taxonomy_version = :v "
                    "ORDER BY article_id LIMIT 1"
                ),
                {"r": flag, "v": version},
            ).scalar_one()
            for flag in (True, False)
        )
        evidence = Evidence("Russia and Iran agreed", "text", 0, 22)
        replace_tags(
            conn,
            [
                (relevant, TagResult(False, 0.1, None, (), version)),
                (irrelevant, TagResult(True, 0.9, evidence, (TopicTag("space", 0.8, evidence),), version)),
            ],
            datetime.now(UTC),
        )
    refresh_summaries(demo_warehouse)
    incremental = snapshot(demo_warehouse)
    with demo_warehouse.connect() as conn:
        space = conn.execute(text("SELECT article_id FROM summary_relevant_topics WHERE topic = 'space'")).scalars()
        assert irrelevant in set(space)
        assert (
            conn.execute(
                text("SELECT COUNT(*) FROM summary_relevant_articles WHERE article_id = :a"), {"a": relevant}
            ).scalar_one()
            == 0
        )
    refresh_summaries(demo_warehouse, full=True)
    assert snapshot(demo_warehouse) == incremental


def test_refresh_with_nothing_new_changes_nothing(demo_warehouse):
    before = snapshot(demo_warehouse)
    counts = refresh_summaries(demo_warehouse)
    assert snapshot(demo_warehouse) == before
    assert counts["summary_stories"] > 0 and counts["summary_fetch_day"] > 0
