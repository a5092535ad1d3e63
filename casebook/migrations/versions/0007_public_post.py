"""Issue 15 (participation): ``public_post`` counts the public forms' posts per client source.

Each row is one accepted post of a public form (a proposal, a rating): the form's name, a keyed hash
of the client's address (never the address) and the time; rows older than a day are deleted as new
ones arrive. Nothing existing changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "public_post" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "public_post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
    )
    op.create_index("ix_public_post_form_source_at", "public_post", ["form", "source", "at"])


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
