"""Every view and every documented trend query runs unchanged on SQLite and PostgreSQL over real pipeline output."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pipeline.warehouse.db import view_files
from pipeline.warehouse.trends import QueryError, format_table, list_queries, run_query

QUERIES = sorted(list_queries())


def test_queries_are_documented():
    queries = list_queries()
    assert len(queries) >= 6
    for query in queries.values():
        assert query.question, query.name
        assert f"newsmon query {query.name}" in query.sql, query.name
        for name in query.params:
            assert f":{name}" in query.sql, (query.name, name)


@pytest.mark.parametrize("name", QUERIES)
def test_each_query_runs(demo_warehouse, name):
    columns, rows = run_query(demo_warehouse, name)
    assert columns
    if name in (
        "topic_summary",
        "weekly_defence_stories_since_treaty",
        "first_outlet_per_story",
        "language_mix_monthly",
        "fetch_failures_by_source",
        "most_syndicated_stories",
    ):
        assert rows, name
    assert format_table(columns, rows)


@pytest.mark.parametrize("view", [p.stem for p in view_files()])
def test_each_view_answers(demo_warehouse, view):
    with demo_warehouse.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {view}")).all()
    assert rows, view


def test_topic_summary_counts_stories_not_copies(demo_warehouse):
    columns, rows = run_query(demo_warehouse, "topic_summary")
    summary = {row[0]: dict(zip(columns, row)) for row in rows}
    assert {"diplomacy", "defence"} <= set(summary)
    assert all(r["stories"] <= r["articles"] for r in summary.values())
    assert summary["transport"]["stories"] < summary["transport"]["articles"]  # the Rasht–Astara wire copies


def test_coverage_marks_the_dead_feed_as_a_gap(demo_warehouse):
    with demo_warehouse.connect() as conn:
        gaps = (
            conn.execute(
                text(
                    "SELECT s.name FROM coverage_daily c JOIN sources s ON s.id = c.source_id WHERE c.coverage_gap = 1"
                )
            )
            .scalars()
            .all()
        )
    assert gaps == ["Defunct Bulletin (a feed that no longer exists)"]


def test_parameters_are_checked(demo_warehouse):
    with pytest.raises(QueryError, match="not a valid date"):
        run_query(demo_warehouse, "weekly_defence_stories_since_treaty", {"since": "last week"})
    with pytest.raises(QueryError, match="has no parameter 'colour'"):
        run_query(demo_warehouse, "topic_summary", {"colour": "red"})
    with pytest.raises(QueryError, match="no query named"):
        run_query(demo_warehouse, "nope")
    _, rows = run_query(demo_warehouse, "weekly_defence_stories_since_treaty", {"since": "2030-01-01"})
    assert rows == []


DRONE_WORDS = ("drone", "shahed", "geran", "дрон", "беспилотн", "бпла", "шахед", "герань", "پهپاد")


def test_drone_coverage_counts_the_articles_whose_words_name_drones(demo_warehouse):
    """The drone fact kept by the summary refresh marks exactly the defence articles whose title, text or defence
    evidence names a drone, as a search of those words at query time would."""
    with demo_warehouse.connect() as conn:
        defence = conn.execute(
            text(
                "SELECT a.id, a.title, a.text, t.evidence, a.week FROM article_topics t "
                "JOIN taxonomy_versions tv ON tv.version = t.taxonomy_version AND tv.is_current = TRUE "
                "JOIN article_relevance r ON r.article_id = t.article_id AND r.taxonomy_version = t.taxonomy_version "
                "JOIN articles a ON a.id = t.article_id WHERE t.topic = 'defence' AND r.relevant = TRUE"
            )
        ).all()
    expected: dict[str, int] = {}
    for _, title, body, evidence, week in defence:
        words = f"{title or ''} {body} {evidence or ''}".lower()
        if any(word in words for word in DRONE_WORDS):
            expected[str(week)] = expected.get(str(week), 0) + 1
    columns, rows = run_query(demo_warehouse, "drone_coverage_weekly", {"since": "1990-01-01"})
    found = {str(row[columns.index("week")]): row[columns.index("drone_articles")] for row in rows}
    assert sum(expected.values()) > 0
    assert {week: n for week, n in found.items() if n} == expected
    assert sum(row[columns.index("defence_articles")] for row in rows) == len(defence)


TOPIC_SUMMARY_FROM_FACTS = """
WITH tagged AS (
    SELECT t.topic, t.story_id, t.source_id, t.perspective, t.day
    FROM summary_relevant_topics t
    JOIN taxonomy_versions tv ON tv.version = t.taxonomy_version AND tv.is_current = TRUE
    WHERE t.day >= :since
),
leaders AS (
    SELECT topic, perspective,
           ROW_NUMBER() OVER (PARTITION BY topic ORDER BY COUNT(DISTINCT story_id) DESC, perspective) AS rank
    FROM tagged GROUP BY topic, perspective
)
SELECT t.topic, COUNT(*), COUNT(DISTINCT t.story_id), COUNT(DISTINCT t.source_id), MIN(t.day), MAX(t.day), l.perspective
FROM tagged t JOIN leaders l ON l.topic = t.topic AND l.rank = 1
GROUP BY t.topic, l.perspective
"""


@pytest.mark.parametrize("since", ["1990-01-01", "2025-01-27"])
def test_topic_summary_all_time_and_since_a_day_agree_with_the_facts(demo_warehouse, since):
    """All time comes from the summaries kept story by story, a later `since` from the facts: both give what
    counting the facts gives."""
    from datetime import date

    columns, rows = run_query(demo_warehouse, "topic_summary", {"since": since})
    with demo_warehouse.connect() as conn:
        expected = conn.execute(text(TOPIC_SUMMARY_FROM_FACTS), {"since": date.fromisoformat(since)}).all()
    assert rows and sorted(tuple(map(str, row)) for row in rows) == sorted(tuple(map(str, row)) for row in expected)
    query = list_queries()["topic_summary"]
    with demo_warehouse.connect() as conn:  # without the facts, only the all-time summaries can answer
        conn.execute(text("DELETE FROM summary_relevant_topics"))
        without_facts = conn.execute(text(query.sql), query.bind({"since": since})).all()
        conn.rollback()
    assert (sorted(map(tuple, without_facts)) == sorted(rows)) if since == "1990-01-01" else without_facts == []
