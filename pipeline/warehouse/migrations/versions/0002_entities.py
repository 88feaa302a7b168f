"""Named entities per article: the gazetteer's systems, projects, agreements, people and organisations.

`entities` holds the gazetteer (id, kind, label, country) as of the taxonomy version that last loaded it;
`article_entities` holds every mention with its text, field and character offsets, per taxonomy version, so a
trend query can count "Su-35 mentions per month" and an analyst can open the sentence behind each count.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=10), nullable=True),
        sa.Column("taxonomy_version", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity_id"),
    )
    op.create_table(
        "article_entities",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("taxonomy_version", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mention", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=8), nullable=False),
        sa.Column("mention_start", sa.Integer(), nullable=False),
        sa.Column("mention_end", sa.Integer(), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
        ),
        sa.PrimaryKeyConstraint("article_id", "taxonomy_version", "entity_id", "field", "mention_start"),
    )
    op.create_index("ix_article_entities_entity", "article_entities", ["taxonomy_version", "entity_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_article_entities_entity", table_name="article_entities")
    op.drop_table("article_entities")
    op.drop_table("entities")
