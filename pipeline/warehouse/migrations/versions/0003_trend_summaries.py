"""Trend summaries and the indexes that keep the warehouse fast at millions of articles.

Summary tables are derived data, refreshed by `pipeline.warehouse.summaries.refresh_summaries` after each load (only
what changed since the last refresh): narrow copies of the relevant articles and their topics in the current taxonomy
version (what trend queries with a date parameter scan, without the wide article rows), counts per topic and day, week
and month (the topic views), one row per story with its topic list (the `stories` view), per-day fetch counts per source
(the coverage views), and the topic pairs behind `topic_cooccurrence`. Plain tables on both SQLite and PostgreSQL:
unlike a materialized view, they can be refreshed in part.

Indexes on the base tables: what changed since the last refresh (updated_at, tagged_at), failed fetches per
source (partial), and feed items per source by last sighting or still open (partial), for the known items.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FAILED = "status NOT IN ('ok', 'not_modified')"
NOT_DONE = "state <> 'done'"


def _fact_columns() -> list[sa.Column]:
    return [
        sa.Column("taxonomy_version", sa.String(length=40), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("perspective", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
    ]


def _counts(*keys: sa.Column, sources: bool = True) -> list[sa.Column]:
    """Key columns, the taxonomy version, and the article / distinct story (/ distinct source) counts."""
    columns = [
        *keys,
        sa.Column("taxonomy_version", sa.String(length=40), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
    ]
    return columns + ([sa.Column("sources", sa.Integer(), nullable=False)] if sources else [])


def _period_tables() -> None:
    """Counts per topic (or over all relevant articles) per day, week and month: what the trend views show."""
    topic = lambda: sa.Column("topic", sa.String(length=32), nullable=False)  # noqa: E731
    day, week = (
        (lambda: sa.Column("day", sa.Date(), nullable=False)),
        (lambda: sa.Column("week", sa.Date(), nullable=False)),
    )
    month = lambda: sa.Column("month", sa.String(length=7), nullable=False)  # noqa: E731
    op.create_table("summary_topic_day", *_counts(topic(), day()), sa.PrimaryKeyConstraint("topic", "day"))
    op.create_table("summary_relevant_day", *_counts(day(), sources=False), sa.PrimaryKeyConstraint("day"))
    op.create_table("summary_topic_week", *_counts(topic(), week()), sa.PrimaryKeyConstraint("topic", "week"))
    op.create_table("summary_relevant_week", *_counts(week(), sources=False), sa.PrimaryKeyConstraint("week"))
    op.create_table(
        "summary_topic_month", *_counts(topic(), month(), sources=False), sa.PrimaryKeyConstraint("topic", "month")
    )
    op.create_table("summary_relevant_month", *_counts(month(), sources=False), sa.PrimaryKeyConstraint("month"))
    op.create_table(
        "summary_topic_perspective_week",
        *_counts(topic(), week(), sa.Column("perspective", sa.String(length=20), nullable=False)),
        sa.PrimaryKeyConstraint("topic", "week", "perspective"),
    )
    op.create_table(
        "summary_topic_source_week",
        *_counts(topic(), week(), sa.Column("source_id", sa.Integer(), nullable=False), sources=False),
        sa.PrimaryKeyConstraint("topic", "week", "source_id"),
    )


PERIOD_TABLES = (
    "summary_topic_day",
    "summary_relevant_day",
    "summary_topic_week",
    "summary_relevant_week",
    "summary_topic_month",
    "summary_relevant_month",
    "summary_topic_perspective_week",
    "summary_topic_source_week",
)


def upgrade() -> None:
    op.create_table(
        "summary_relevant_articles",
        sa.Column("article_id", sa.Integer(), nullable=False),
        *_fact_columns(),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_summary_relevant_articles_day", "summary_relevant_articles", ["day"])
    op.create_index("ix_summary_relevant_articles_month", "summary_relevant_articles", ["month"])
    op.create_table(
        "summary_relevant_topics",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        *_fact_columns(),
        sa.PrimaryKeyConstraint("article_id", "topic"),
    )
    op.create_index("ix_summary_relevant_topics_topic_day", "summary_relevant_topics", ["topic", "day"])
    op.create_index("ix_summary_relevant_topics_day", "summary_relevant_topics", ["day"])
    op.create_index("ix_summary_relevant_topics_story", "summary_relevant_topics", ["story_id"])
    _period_tables()
    op.create_table(
        "summary_stories",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("first_article_id", sa.Integer(), nullable=False),
        sa.Column("first_source_id", sa.Integer(), nullable=False),
        sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("perspectives", sa.Integer(), nullable=False),
        sa.Column("relevant_copies", sa.Integer(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=True),
        sa.Column("topic_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("story_id"),
    )
    op.create_index("ix_summary_stories_first_seen", "summary_stories", ["first_seen"])
    op.create_table(
        "summary_fetch_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("fetches", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_http_status", sa.Integer(), nullable=True),
        sa.Column("last_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_summary_fetch_day_day", "summary_fetch_day", ["day", "kind", "source_id"])
    op.create_table(
        "summary_topic_pairs",
        sa.Column("topic_a", sa.String(length=32), nullable=False),
        sa.Column("topic_b", sa.String(length=32), nullable=False),
        sa.Column("taxonomy_version", sa.String(length=40), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("topic_a", "topic_b"),
    )
    op.create_table(
        "summary_topic_totals",
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("topic"),
    )
    op.create_table(
        "summary_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_articles_updated_at", "articles", ["updated_at"])
    op.create_index("ix_article_relevance_tagged_at", "article_relevance", ["tagged_at"])
    op.create_index("ix_article_topics_tagged_at", "article_topics", ["tagged_at"])
    op.create_index(
        "ix_fetch_log_failed",
        "fetch_log",
        ["source_id", "fetched_at", "id"],
        postgresql_where=sa.text(FAILED),
        sqlite_where=sa.text(FAILED),
    )
    op.create_index("ix_feed_items_source_seen", "feed_items", ["source_id", "last_seen_at"])
    op.create_index(
        "ix_feed_items_open",
        "feed_items",
        ["source_id"],
        postgresql_where=sa.text(NOT_DONE),
        sqlite_where=sa.text(NOT_DONE),
    )


def downgrade() -> None:
    op.drop_index("ix_feed_items_open", table_name="feed_items")
    op.drop_index("ix_feed_items_source_seen", table_name="feed_items")
    op.drop_index("ix_fetch_log_failed", table_name="fetch_log")
    op.drop_index("ix_article_topics_tagged_at", table_name="article_topics")
    op.drop_index("ix_article_relevance_tagged_at", table_name="article_relevance")
    op.drop_index("ix_articles_updated_at", table_name="articles")
    for table in (
        *PERIOD_TABLES,
        "summary_state",
        "summary_topic_totals",
        "summary_topic_pairs",
        "summary_fetch_day",
        "summary_stories",
        "summary_relevant_topics",
        "summary_relevant_articles",
    ):
        op.drop_table(table)
