"""One process at a time migrates the database and syncs the catalog, under a lock that dies with it.

Two servers started together on a fresh data folder used to create the same tables and insert the
same topics at once (``UNIQUE constraint failed``, ``table … already exists``). ``turn`` serializes
that work: an exclusive ``flock`` on ``DATA_DIR/migrate.lock`` for the processes of this machine,
and, where the database is PostgreSQL, a session-level ``pg_advisory_lock`` for servers on other
machines sharing it. The operating system drops a ``flock`` when its holder dies, and PostgreSQL
drops an advisory lock with its connection, so a killed process never leaves a lock behind (no
lock row, no PID file). The others wait, then find the work done: the schema current, the files
unchanged. Held by ``build_app`` around migrations and the catalog's layout check, and by every
sync (``casebook sync``, ``serve``'s start-up sync, the ``sync`` background job).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from . import private

logger = logging.getLogger(__name__)

LOCK_NAME = "migrate.lock"
"""The lock file in the data folder (the name migrations used before syncs took turns too)."""
ADVISORY_KEY = 0x63617365626F6F6B  # "casebook": one key for migrations and syncs of this database


def advisory_number(*parts: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock number named by ``parts`` (the same in
    every process and on every machine): SHA-256 of the parts joined by newlines, first 8 bytes."""
    digest = hashlib.sha256("\n".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_path(data_dir: Path) -> Path:
    """Where the data folder's lock file is."""
    return data_dir / LOCK_NAME


@contextmanager
def turn(path: Path | None, engine: Engine | None = None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock file ``path`` (None: none) and, on PostgreSQL, the database's advisory lock.

    ``on_wait`` is called once when another process holds the lock and this one has to wait."""
    with _file_lock(path, on_wait), _advisory_lock(engine):
        yield


@contextmanager
def _file_lock(path: Path | None, on_wait: Callable[[], None] | None) -> Iterator[None]:
    if path is None:
        yield
        return
    with private.lock_file(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another casebook process to finish migrating or syncing (%s)", path)
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(engine: Engine | None) -> Iterator[None]:
    """PostgreSQL only (exercised by CI's PostgreSQL pass: every app built there migrates under it)."""
    if engine is None or engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            connection.commit()
