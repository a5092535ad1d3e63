"""Issue 15 (participation, 征集): the ``proposal`` table of residents' and offline proposals.

One row per proposal: year and number (its reference 2027-0042), the text, street and community,
theme, optional name and phone (blanked after the retention period, ``purged_at``), channel, the
staff's triage (status, answer, merged_into, project_slug, published) and, for offline proposals
mirrored from ``projects/<year>/proposals.yml``, their ``source_ref``. Nothing existing changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "proposal" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("street", sa.String(length=100), nullable=False),
        sa.Column("community", sa.String(length=100), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("project_slug", sa.String(length=100), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("purged_at", sa.DateTime(), nullable=True),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("year", "number", name="uq_proposal_year_number"),
        sa.UniqueConstraint("source_ref", name="uq_proposal_source_ref"),
    )
    op.create_index("ix_proposal_year_street", "proposal", ["year", "street"])


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
