"""Drone coverage as a fact kept by the summary refresh, not a text search at query time.

`summary_drone_articles` lists the relevant defence articles (current taxonomy version) whose title, text or
defence evidence names a drone (sql/summaries/drone_articles.sql holds the words). The refresh rewrites the rows of
the articles that changed, so `drone_coverage_weekly` counts rows instead of searching every defence article's
text (11.6 s at 1,000,000 articles).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_drone_articles",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("taxonomy_version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "taxonomy_version"),
    )
    # the next refresh fills it: a new summary table means a full rebuild (see summaries.refresh_summaries)
    op.execute("DELETE FROM summary_state")


def downgrade() -> None:
    op.drop_table("summary_drone_articles")
