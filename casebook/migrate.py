"""Versioned migrations of the whole database (Alembic; scripts in ``casebook/migrations``).

``prepare`` runs before the app uses its database (``create_app``, so also ``casebook serve`` and
``casebook sync``):

- an empty database gets every table at once (``create_all``) and is stamped with the newest
  revision — the same schema the migrations build step by step (a test compares them);
- a database with casebook's tables but no version is one made by the release before migrations
  (c290105): it is stamped ``0001`` and upgraded;
- an older revision is upgraded; a revision this code does not know (a newer casebook wrote it)
  is refused with ``DatabaseTooNew``, before anything is touched.

Processes starting together take turns through a lock file in the data folder. No Flask here.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect

logger = logging.getLogger(__name__)

BASELINE = "0001"
"""The schema of the last release without migrations (commit c290105)."""
SCRIPTS = Path(__file__).resolve().parent / "migrations"


class DatabaseTooNew(RuntimeError):
    """The database was upgraded by a newer casebook than this one."""


def target_metadata() -> MetaData:
    """Every table casebook declares (the model modules register themselves on import)."""
    from . import job_models, models, project_rows  # noqa: F401
    from .db import Base
    from .share import models as share_models  # noqa: F401
    from .staff import models as staff_models  # noqa: F401

    return Base.metadata


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    heads = ScriptDirectory.from_config(_config()).get_heads()
    assert len(heads) == 1, f"migrations have {len(heads)} heads: merge them"
    return heads[0]


def current(engine: Engine) -> str | None:
    """The database's revision (None: never stamped)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def history() -> list[tuple[str, str]]:
    """``(revision, first line of its description)``, oldest first."""
    scripts = ScriptDirectory.from_config(_config())
    found = [(s.revision, (s.doc or "").strip().splitlines()[0]) for s in scripts.walk_revisions()]
    return list(reversed(found))


def upgrade(connection: Connection) -> None:
    """Run every migration not yet applied on ``connection`` (from an empty database: all of them)."""
    command.upgrade(_config(connection), "head")


@contextmanager
def _turn(lock_path: Path | None) -> Iterator[None]:
    if lock_path is None:
        yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare(engine: Engine, lock_path: Path | None = None) -> str:
    """Bring the database to this code's revision; what was done: ``current``, ``created`` or
    ``upgraded from X``. ``DatabaseTooNew`` when a newer casebook has been at it."""
    newest = head()
    known = {revision for revision, _ in history()}
    with _turn(lock_path), engine.begin() as connection:
        found = MigrationContext.configure(connection).get_current_revision()
        if found == newest:
            return "current"
        if found is not None and found not in known:
            raise DatabaseTooNew(
                f"数据库的版本（{found}）比这个 casebook 新（它只认得到 {newest}）：请升级 casebook，"
                "或换用与它匹配的数据库备份。"
            )
        config = _config(connection)
        if found is None:
            tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
            if not tables:
                target_metadata().create_all(connection)
                command.stamp(config, newest)
                return "created"
            command.stamp(config, BASELINE)
            found = BASELINE
        logger.warning("upgrading the database from %s to %s", found, newest)
        upgrade(connection)
        return f"upgraded from {found}"
