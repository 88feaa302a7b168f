"""Articles record the caps applied to them: how much of the page went to extraction and of the text to tagging.

A page larger than NEWSMON_MAX_EXTRACT_BYTES is extracted from its first bytes only, and a text longer than
NEWSMON_MAX_TAG_CHARS is tagged on its first characters only (the whole text is stored); `truncated` says which cap
applied and where, so that an analyst can tell such an article apart. NULL: nothing was cut.

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


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("truncated")
