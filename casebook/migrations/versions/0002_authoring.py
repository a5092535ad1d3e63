"""The authoring issue: review comments, background jobs, video chapters on catalog entries.

Written to also upgrade a database that ``create_all`` made between c290105 and this revision
(development copies): a table or column that is there already is left alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "review_comment" not in tables:
        op.create_table(
            "review_comment",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=20), nullable=False),
            sa.Column("slug", sa.String(length=80), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("author", sa.String(length=100), nullable=False),
            sa.Column("action", sa.String(length=20), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("revision_id", sa.Integer(), nullable=True),
            sa.Column("upto_revision", sa.Integer(), nullable=False),
            sa.Column("addressed_to", sa.String(length=100), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_review_comment_entry", "review_comment", ["kind", "slug", "id"], unique=False)
        op.create_index("ix_review_comment_action", "review_comment", ["action", "id"], unique=False)
    if "job" not in tables:
        op.create_table(
            "job",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=40), nullable=False),
            sa.Column("args", sa.JSON(), nullable=False),
            sa.Column("state", sa.String(length=20), nullable=False),
            sa.Column("queued_kind", sa.String(length=40), nullable=True),
            sa.Column("done", sa.Integer(), nullable=False),
            sa.Column("total", sa.Integer(), nullable=False),
            sa.Column("message", sa.String(length=1000), nullable=False),
            sa.Column("created_by", sa.String(length=100), nullable=False),
            sa.Column("worker", sa.String(length=200), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("started_at", sa.DateTime(), nullable=True),
            sa.Column("finished_at", sa.DateTime(), nullable=True),
            sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("queued_kind"),
        )
        op.create_index("ix_job_kind", "job", ["kind", "id"], unique=False)
        op.create_index("ix_job_state", "job", ["state", "id"], unique=False)
    if "chapters" not in {c["name"] for c in inspector.get_columns("entry")}:
        with op.batch_alter_table("entry") as batch:
            batch.add_column(sa.Column("chapters", sa.JSON(), nullable=False, server_default="[]"))
        with op.batch_alter_table("entry") as batch:  # the models give no default: neither does the table
            batch.alter_column("chapters", server_default=None)
    # the catalog is derived from the files: the next sync reads them all again (chapters included)
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
    op.execute(
        setting.delete().where(setting.c.key.in_(["rules_fingerprint", "projects_known_entries", "catalog_schema"]))
    )
    op.execute(setting.insert().values(key="catalog_schema", value=2))


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
