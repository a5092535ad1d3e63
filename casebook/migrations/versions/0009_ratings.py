"""Issue 15 (participation, 评议): residents' ratings of projects, and a project's offline survey.

``rating`` holds one row per browser and project: the choice (满意 / 基本满意 / 不满意), an optional
comment with its moderation state, and a hash of the browser's random token (never the token, never
an address). ``project.survey_json`` mirrors a project file's ``survey:`` (a paper questionnaire's
counts); the catalog is derived from the files, so the next sync reads every project file again
(the declared project fields changed, so the rules fingerprint does), filling the new column.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "rating" not in inspector.get_table_names():
        op.create_table(
            "rating",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("project", sa.String(length=90), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("slug", sa.String(length=80), nullable=False),
            sa.Column("choice", sa.String(length=8), nullable=False),
            sa.Column("comment", sa.Text(), nullable=False),
            sa.Column("comment_state", sa.String(length=10), nullable=False),
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.Column("moderated_by", sa.String(length=100), nullable=False),
            sa.Column("moderated_at", sa.DateTime(), nullable=True),
            sa.UniqueConstraint("project", "token_hash", name="uq_rating_project_token"),
        )
        op.create_index("ix_rating_year", "rating", ["year"])
        op.create_index("ix_rating_comment_state", "rating", ["comment_state"])
    if "survey_json" not in {c["name"] for c in inspector.get_columns("project")}:
        with op.batch_alter_table("project") as batch:
            batch.add_column(sa.Column("survey_json", sa.JSON(), nullable=True))
    # read every project file again at the next sync (as 0006 did for topics)
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
    op.execute(setting.delete().where(setting.c.key.in_(["rules_fingerprint", "projects_known_entries"])))


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
