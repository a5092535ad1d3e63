"""Versioned migrations of the whole database (Alembic; scripts in ``casebook/migrations``).

``prepare`` runs before the app uses its database (``create_app``, so also ``casebook serve`` and
``casebook sync``):

- an empty database gets every table at once (``create_all``) and is stamped with the newest
  revision — the same schema the migrations build step by step (a test compares them);
- a database with casebook's tables but no version is one made by the release before migrations
  (c290105): it is stamped ``0001`` and upgraded;
- an older revision is upgraded; a revision this code does not know (a newer casebook wrote it)
  is refused with ``DatabaseTooNew``, before anything is touched.

Processes starting together take turns (``turns.turn``: a lock file in the data folder, and an
advisory lock on PostgreSQL); a caller that holds the turn already passes no ``lock_path``. No Flask here.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect

from .turns import turn

logger = logging.getLogger(__name__)

BASELINE = "0001"
"""The schema of the last release without migrations (commit c290105)."""
SCRIPTS = Path(__file__).resolve().parent / "migrations"


class DatabaseTooNew(RuntimeError):
    """The database was upgraded by a newer casebook than this one."""


class DatabaseNotReady(RuntimeError):
    """A reader found a database its writer has not created or brought to this code's revision."""


def target_metadata() -> MetaData:
    """Every table casebook declares (the model modules register themselves on import)."""
    from . import job_models, learning_rows, models, project_rows  # noqa: F401
    from .db import Base
    from .participation import models as participation_models  # noqa: F401
    from .participation import proposal_models  # noqa: F401
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


def prepare(engine: Engine, lock_path: Path | None = None) -> str:
    """Bring the database to this code's revision; what was done: ``current``, ``created`` or
    ``upgraded from X``. ``DatabaseTooNew`` when a newer casebook has been at it. With ``lock_path``
    it takes its turn (``turns.turn``) first; without, the caller holds it (or needs none)."""
    newest = head()
    known = {revision for revision, _ in history()}
    held = turn(lock_path, engine) if lock_path is not None else nullcontext()
    with held, engine.begin() as connection:
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
