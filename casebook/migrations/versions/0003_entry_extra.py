"""The schema issue: ``entry.extra`` keeps declared fields that have no column of their own.

A field declared in ``content/schema.py`` with ``catalog="json"`` (the default for new fields) is
stored there, so adding a field to entries needs no migration; promoting it to a column (to
filter or sort by it) does.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "extra" not in {c["name"] for c in inspector.get_columns("entry")}:
        with op.batch_alter_table("entry") as batch:
            batch.add_column(sa.Column("extra", sa.JSON(), nullable=False, server_default="{}"))
        with op.batch_alter_table("entry") as batch:  # the models give no default: neither does the table
            batch.alter_column("extra", server_default=None)


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
