"""The SQLAlchemy extension and declarative base; SQLite gets WAL and a busy timeout."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, TypeAlias

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session


class Base(DeclarativeBase):
    """Declarative base for every table."""


db = SQLAlchemy(model_class=Base)

DbSession: TypeAlias = Session | scoped_session[Any]
"""A plain session (tests, scripts) or Flask-SQLAlchemy's scoped ``db.session``."""


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Several server processes share one SQLite file: WAL lets readers run beside a writer."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL (None: another database, or SQLite in memory)."""
    parsed = make_url(url)
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)
