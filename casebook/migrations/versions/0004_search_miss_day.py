"""Hardening: zero-result searches counted per query and day (``search_miss_day``), kept 180 days.

The old ``search_miss`` kept one row per distinct query for ever, so anonymous queries could grow it
without bound. Its counts move to the day they were last seen, in ``CASEBOOK_TIMEZONE`` (read from
the environment, as the app does; Beijing time by default) like the days counted from now on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    if "search_miss_day" not in tables:
        op.create_table(
            "search_miss_day",
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("query", sa.String(length=200), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("day", "query"),
        )
    if "search_miss" in tables:
        old = sa.table(
            "search_miss",
            sa.column("query", sa.String),
            sa.column("count", sa.Integer),
            sa.column("last_seen", sa.DateTime),
        )
        new = sa.table(
            "search_miss_day", sa.column("day", sa.Date), sa.column("query", sa.String), sa.column("count", sa.Integer)
        )
        rows = [
            {"day": _day(seen), "query": query, "count": count}
            for query, count, seen in bind.execute(sa.select(old.c.query, old.c.count, old.c.last_seen))
        ]
        if rows:
            op.bulk_insert(new, rows)
        op.drop_table("search_miss")


def _day(seen: dt.datetime | str | None) -> dt.date:
    """The local day of a stored naive-UTC time."""
    try:
        zone = ZoneInfo(os.environ.get("CASEBOOK_TIMEZONE") or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    if isinstance(seen, str) and seen:
        seen = dt.datetime.fromisoformat(seen)
    if not isinstance(seen, dt.datetime):
        return dt.datetime.now(zone).date()
    return seen.replace(tzinfo=dt.UTC).astimezone(zone).date()


def downgrade() -> None:
    raise NotImplementedError("casebook migrations go forward only")
