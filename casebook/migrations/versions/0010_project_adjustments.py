"""Issue 15 (调整可动议): ``project.adjustments_json`` keeps a project's adjustment motions.

The catalog is derived from the files: the next sync reads every project file again (the declared
project fields changed, so the rules fingerprint does), filling the new column.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "adjustments_json" not in {c["name"] for c in inspector.get_columns("project")}:
        with op.batch_alter_table("project") as batch:
            batch.add_column(sa.Column("adjustments_json", sa.JSON(), nullable=False, server_default="[]"))
        with op.batch_alter_table("project") as batch:  # the models give no default: neither does the table
            batch.alter_column("adjustments_json", server_default=None)
    # read every project file again at the next sync (as 0006 did)
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
    op.execute(setting.delete().where(setting.c.key.in_(["rules_fingerprint", "projects_known_entries"])))


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
