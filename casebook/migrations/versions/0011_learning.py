"""Issue 15 (participation), point 5: the ``learning`` table mirrors ``content/learning/`` (借鉴 records).

The catalog is derived from the files: the next sync fills the table (the rules fingerprint covers
the declared learning fields, so it reads every file again).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "learning" not in sa.inspect(op.get_bind()).get_table_names():
        op.create_table(
            "learning",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("slug", sa.String(length=80), nullable=False),
            sa.Column("path", sa.String(length=500), nullable=False),
            sa.Column("title", sa.String(length=500), nullable=False),
            sa.Column("date", sa.Date(), nullable=False),
            sa.Column("community", sa.String(length=100), nullable=False),
            sa.Column("street", sa.String(length=100), nullable=True),
            sa.Column("type", sa.String(length=20), nullable=False),
            sa.Column("topic", sa.String(length=80), nullable=True),
            sa.Column("sources", sa.JSON(), nullable=False),
            sa.Column("topics", sa.JSON(), nullable=False),
            sa.Column("status", sa.String(length=20), nullable=False),
            sa.Column("sample", sa.Boolean(), nullable=False),
            sa.Column("excerpt", sa.Text(), nullable=False),
            sa.Column("body", sa.Text(), nullable=True),
            sa.Column("body_html", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("path"),
            sa.UniqueConstraint("slug"),
        )
        op.create_index("ix_learning_latest", "learning", ["status", "date", "id"])
        op.create_index(op.f("ix_learning_community"), "learning", ["community"])
        op.create_index(op.f("ix_learning_street"), "learning", ["street"])
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
    op.execute(setting.delete().where(setting.c.key == "rules_fingerprint"))


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
