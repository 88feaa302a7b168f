"""Story lookup through the warehouse: the LSH band keys of recent articles' MinHashes, indexed.

Each article loaded in the story window (30 days, by the later of its day and its fetch day) has one row per LSH band
of its MinHash (pipeline.stories.minhash.band_keys). A new article's candidate near-duplicates are the articles that
share a band key with it, found by index in the load's own transaction — so every worker, process or machine sees
every copy committed before it, and no run loads the window's MinHashes into memory first.

Existing articles of the window get their rows here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WINDOW_DAYS = 30  # pipeline.warehouse.story_index.STORY_WINDOW_DAYS when this was written


def upgrade() -> None:
    op.create_table(
        "story_bands",
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recent_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("band_key", "article_id"),
    )
    op.create_index("ix_story_bands_article", "story_bands", ["article_id"])
    op.create_index("ix_story_bands_recent_day", "story_bands", ["recent_day"])
    _fill_window()


def _fill_window() -> None:
    from pipeline.stories.minhash import band_keys, minhash_from_bytes

    conn = op.get_bind()
    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer),
        sa.column("day", sa.Date),
        sa.column("fetched_at", sa.DateTime(timezone=True)),
        sa.column("minhash", sa.LargeBinary),
    )
    bands = sa.table(
        "story_bands",
        sa.column("band_key", sa.BigInteger),
        sa.column("article_id", sa.Integer),
        sa.column("recent_day", sa.Date),
    )
    since = (datetime.now(UTC) - timedelta(days=WINDOW_DAYS)).date()
    since_at = datetime(since.year, since.month, since.day, tzinfo=UTC)
    recent = sa.or_(articles.c.day >= since, articles.c.fetched_at >= since_at)
    after = 0
    while True:  # in id order, a few thousand at a time: memory stays flat at millions of articles
        batch = conn.execute(
            sa.select(articles.c.id, articles.c.day, articles.c.fetched_at, articles.c.minhash)
            .where(articles.c.minhash.is_not(None), recent, articles.c.id > after)
            .order_by(articles.c.id)
            .limit(2000)
        ).all()
        if not batch:
            return
        rows = [
            {
                "band_key": key,
                "article_id": article_id,
                "recent_day": max(day, fetched_at.date()) if day else fetched_at.date(),
            }
            for article_id, day, fetched_at, minhash in batch
            for key in set(band_keys(minhash_from_bytes(minhash)))
        ]
        conn.execute(bands.insert(), rows)
        after = batch[-1][0]


def downgrade() -> None:
    op.drop_index("ix_story_bands_recent_day", table_name="story_bands")
    op.drop_index("ix_story_bands_article", table_name="story_bands")
    op.drop_table("story_bands")
