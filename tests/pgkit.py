"""PostgreSQL for the suite: a fresh database per test when ``CASEBOOK_TEST_DATABASE=postgres``.

``CASEBOOK_TEST_POSTGRES_URL`` names a role that may create databases on a running server (``.ci/run``
starts Debian's PostgreSQL on 127.0.0.1 and sets it; default
``postgresql+psycopg://casebook:casebook@127.0.0.1:5432/postgres``). Each test then gets its own
empty database, named ``casebook_t_<random>``, through ``CASEBOOK_DATABASE_URL`` (so every app, CLI
run and server process the test starts uses it) and a fixed ``CASEBOOK_SECRET_KEY``; the database
is dropped when the test ends. Without the setting nothing changes: SQLite in each test's data folder.
"""

from __future__ import annotations

import os
import secrets
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

DEFAULT_ADMIN_URL = "postgresql+psycopg://casebook:casebook@127.0.0.1:5432/postgres"
PREFIX = "casebook_t_"


def wanted() -> bool:
    """True when this run's tests are to use PostgreSQL."""
    return os.environ.get("CASEBOOK_TEST_DATABASE", "").strip().lower() in ("postgres", "postgresql")


def search_wanted() -> bool:
    """True when this run's search index is PostgreSQL's too (``CASEBOOK_SEARCH=postgres``)."""
    return wanted() and os.environ.get("CASEBOOK_SEARCH", "").strip().lower() == "postgres"


def admin_url() -> URL:
    return make_url(os.environ.get("CASEBOOK_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL)


def _admin_execute(statement: str) -> None:
    engine = create_engine(admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def create_database() -> str:
    """A new empty database on the test server; its URL (with the password) as a string."""
    name = PREFIX + secrets.token_hex(6)
    _admin_execute(f'CREATE DATABASE "{name}"')
    return admin_url().set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a test database, ending any connection a test left to it."""
    name = make_url(url).database
    assert name and name.startswith(PREFIX), name
    for attempt in range(20):
        try:
            _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError:
            # a connection still starting up (not yet known as ours) cannot be ended: wait for it
            if attempt == 19:
                raise
            time.sleep(0.1)


@contextmanager
def database() -> Iterator[str]:
    """A fresh database for the duration of the block; after it, every engine that connected to it
    in this process gives back its pooled connections (apps a test built keep theirs otherwise,
    and psycopg warns when they are collected) and the database is dropped."""
    url = create_database()
    engines: weakref.WeakSet[Engine] = weakref.WeakSet()
    name = make_url(url).database

    def seen(connection: Connection) -> None:
        if connection.engine.url.database == name:
            engines.add(connection.engine)

    event.listen(Engine, "engine_connect", seen)
    try:
        yield url
    finally:
        event.remove(Engine, "engine_connect", seen)
        for engine in list(engines):
            engine.dispose()
        drop_database(url)


def database_url(data_dir: Path) -> str:
    """The database a test's own app in ``data_dir`` uses: the test's PostgreSQL database when the
    run is on PostgreSQL (one per test), else the SQLite file casebook makes in the data folder."""
    if wanted():
        return os.environ["CASEBOOK_DATABASE_URL"]
    return f"sqlite:///{data_dir / 'casebook.sqlite3'}"


needs_postgres = pytest.mark.skipif(
    not wanted(), reason="needs the run's PostgreSQL server (CASEBOOK_TEST_DATABASE=postgres)"
)
"""For tests of what only PostgreSQL has (skipped on the SQLite run; CI's PostgreSQL pass runs them)."""
