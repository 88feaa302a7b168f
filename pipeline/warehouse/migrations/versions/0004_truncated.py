"""Articles record the caps applied to them; runs record their process and the feeds they skipped.

Articles: how much of the page went to extraction and of the text to tagging.

A page larger than NEWSMON_MAX_EXTRACT_BYTES is extracted from its first bytes only, and a text longer than
NEWSMON_MAX_TAG_CHARS is tagged on its first characters only (the whole text is stored); `truncated` says which cap
applied and where, so that an analyst can tell such an article apart. NULL: nothing was cut.

Runs: `pid` and `host` of the process that opened a run, so that the next run can close a run whose process is gone
as `abandoned`; `feeds_skipped` counts the feeds a run did not fetch (slowed down after failures, or interrupted).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("truncated", sa.String(length=200), nullable=True))
    with op.batch_alter_table("pipeline_runs") as batch:
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("feeds_skipped", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("pipeline_runs") as batch:
        batch.drop_column("feeds_skipped")
        batch.drop_column("host")
        batch.drop_column("pid")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("truncated")
