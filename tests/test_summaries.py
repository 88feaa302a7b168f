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
# the tables kept by difference or per story, compared whole as well as through the views
KEPT_TABLES = [
    "summary_topic_totals",
    "summary_topic_pairs",
    "summary_topic_perspectives",
    "summary_story_topics",
    "summary_story_pairs",
    "summary_story_perspectives",
    "summary_drone_articles",
]


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            name: sorted(map(repr, conn.execute(text(f"SELECT * FROM {name}")).all()))
            for name in SUMMARY_VIEWS + KEPT_TABLES
        }


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


def test_a_story_merge_is_recounted_like_a_full_rebuild(demo_warehouse):
    """A replay joins two stories (merge_exact_copies): the incremental refresh recounts the story kept and the one
    left, and matches a full rebuild (topic totals and pairs included)."""
    from pipeline.warehouse.story_index import merge_exact_copies

    refresh_summaries(demo_warehouse)
    version = current_version(demo_warehouse)
    with demo_warehouse.begin() as conn:
        first, second = conn.execute(
            text(
                "SELECT MIN(a.story_id) FROM articles a JOIN article_topics t ON t.article_id = a.id "
                "AND t.taxonomy_version = :v GROUP BY a.story_id ORDER BY MIN(a.story_id) LIMIT 2"
            ),
            {"v": version},
        ).scalars()
        kept_hash = conn.execute(text("SELECT text_hash FROM articles WHERE id = :s"), {"s": first}).scalar_one()
        conn.execute(text("UPDATE articles SET text_hash = :h WHERE story_id = :s"), {"h": kept_hash, "s": second})
        moved = merge_exact_copies(conn, [first], datetime.now(UTC))
    assert moved > 0
    before = snapshot(demo_warehouse)
    refresh_summaries(demo_warehouse)
    incremental = snapshot(demo_warehouse)
    assert incremental != before
    with demo_warehouse.connect() as conn:
        left = conn.execute(
            text("SELECT COUNT(*) FROM summary_story_topics WHERE story_id = :s"), {"s": second}
        ).scalar_one()
    assert left == 0  # nothing is left of the story the articles moved out of
    refresh_summaries(demo_warehouse, full=True)
    assert snapshot(demo_warehouse) == incremental
