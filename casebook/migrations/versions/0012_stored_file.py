"""Issue 16 (scale-out), point 3: ``stored_file`` keeps the content files pages read in the database.

Readers (``CASEBOOK_INSTANCE=reader``) have no content folder: pictures, attachments, ``places.yml``
and ``glossary.yml`` come from this table, which the writer's next sync fills (on PostgreSQL only;
SQLite serves the folder and leaves it empty).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "stored_file" not in sa.inspect(op.get_bind()).get_table_names():
        op.create_table(
            "stored_file",
            sa.Column("path", sa.String(length=500), nullable=False),
            sa.Column("size", sa.BigInteger(), nullable=False),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("stamp", sa.String(length=80), nullable=False),
            sa.Column("modified", sa.DateTime(), nullable=False),
            sa.Column("data", sa.LargeBinary(), nullable=False),
            sa.PrimaryKeyConstraint("path"),
        )


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
