"""Alembic's environment: runs on the connection ``casebook.migrate`` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from casebook.migrate import target_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    render_as_batch=True,  # SQLite alters a table by copying it; batch mode does that
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
