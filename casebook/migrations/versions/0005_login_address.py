"""Hardening (issue 13): failed logins keep their source address; audit events count repeats.

``login_attempt.address`` holds the client's address of each failed login (the per-address limit);
rows from before it (kept a few minutes at most) get an empty address. ``audit_event.times`` lets
refused logins from one address within a minute be one event counted, not one row each; every
existing event happened once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    attempts = {c["name"] for c in inspector.get_columns("login_attempt")}
    if "address" not in attempts:
        op.add_column("login_attempt", sa.Column("address", sa.String(length=64), nullable=False, server_default=""))
    if "ix_login_attempt_address_at" not in {i["name"] for i in inspector.get_indexes("login_attempt")}:
        op.create_index("ix_login_attempt_address_at", "login_attempt", ["address", "at"])
    if "times" not in {c["name"] for c in inspector.get_columns("audit_event")}:
        op.add_column("audit_event", sa.Column("times", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
