"""The catalog's own bookkeeping in the ``setting`` table: layout version, generation, fingerprints,
and the rows the search index does not reflect yet.

Services flush; the caller commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Table, delete, select

from ..db import Base
from ..db import DbSession as Session
from ..learning_rows import LearningRow
from ..models import EntryRow, ProblemRow, Setting, SourceFile, TagRow, TopicRow
from ..project_rows import IndicatorRow, ProjectRow

logger = logging.getLogger(__name__)

RULES_KEY = "rules_fingerprint"
"""Hash of topics.yml, places.yml and the media listing: entries are checked against them."""
KNOWN_KEY = "projects_known_entries"
"""Hash of the entry keys: projects' ``related`` links are checked against them."""
GENERATION_KEY = "catalog_generation"
SCHEMA_KEY = "catalog_schema"
SCHEMA_VERSION = 3
"""The layout of the catalog tables. Bump it with any change to them (or to what they store, such
as the rendered body HTML): the next ``casebook sync`` (``serve`` syncs first) drops and recreates
those tables and rebuilds them from ``content/``.
1: the first release (no stored version); 2: ``entry.chapters``; 3: heading anchors in ``body_html``."""


def catalog_tables() -> list[Table]:
    """The tables ``sync`` derives from ``content/`` (staff, counts and settings tables are not among them)."""
    models: tuple[Any, ...] = (
        TopicRow,
        EntryRow,
        TagRow,
        SourceFile,
        ProblemRow,
        ProjectRow,
        IndicatorRow,
        LearningRow,
    )
    return [model.__table__ for model in models]


def schema_is_current(session: Session) -> bool:
    """Whether the catalog tables have this code's layout (``upgrade_schema`` would do nothing)."""
    stored = session.get(Setting, SCHEMA_KEY)
    return stored is not None and stored.value == SCHEMA_VERSION


def upgrade_schema(session: Session) -> bool:
    """Recreate the catalog tables when their stored layout is not this code's; True if it did.

    The catalog is derived from the content files, so nothing is migrated: the tables are dropped,
    created anew and filled by the full sync that follows. Staff accounts, revisions, the audit log,
    view counts, search misses and the catalog generation (pages cached by other processes) stay.
    """
    if schema_is_current(session):
        return False
    stored = session.get(Setting, SCHEMA_KEY)
    logger.info(
        "catalog schema %s → %s: rebuilding the catalog tables from the content folder",
        stored.value if stored else 1,
        SCHEMA_VERSION,
    )
    connection = session.connection()
    tables = catalog_tables()
    Base.metadata.drop_all(connection, tables=tables)
    Base.metadata.create_all(connection, tables=tables)
    session.execute(delete(Setting).where(Setting.key.in_((RULES_KEY, KNOWN_KEY))))
    if stored is None:
        session.add(Setting(key=SCHEMA_KEY, value=SCHEMA_VERSION))
    else:
        stored.value = SCHEMA_VERSION
    session.flush()
    return True


def swap_setting(session: Session, key: str, value: str) -> bool:
    """Store ``value`` under ``key``; True when it differs from what was stored (or nothing was)."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
        return True
    changed = row.value != value
    row.value = value
    return bool(changed)


def bump_generation(session: Session) -> None:
    """Mark the public pages as changed, for every server process (pages are cached per generation)."""
    row = session.get(Setting, GENERATION_KEY)
    if row is None:
        session.add(Setting(key=GENERATION_KEY, value=1))
    else:
        row.value = int(row.value) + 1


UNINDEXED = "unindexed:"
"""Prefix of the settings that say "this key's row changed and the search index may not show it yet".

The search index follows the catalog after its commit, so a process killed between the two (a
``sync`` or a staff save) would leave search stale with nothing left to redo it: the next sync
finds every file unchanged. So each change of a row writes one marker, ``unindexed:<random>`` →
the key, in the same transaction as the row; the index step reads the markers before it reads the
rows, and deletes exactly the markers it read once the index has committed. A marker written
meanwhile (a save beside a sync) stays for the next index step. Any later sync, staff save or
start-up (``serve`` syncs first) finishes what a killed process left."""


def mark_unindexed(session: Session, keys: Iterable[str]) -> None:
    """Record that the index does not show these keys' rows as they now are (one marker each)."""
    session.add_all(Setting(key=f"{UNINDEXED}{uuid.uuid4().hex}", value=key) for key in keys)


def unindexed(session: Session, limit: int | None = None) -> dict[str, str]:
    """The waiting markers (at most ``limit``): marker → key."""
    query = select(Setting.key, Setting.value).where(Setting.key.startswith(UNINDEXED, autoescape=True))
    return {marker: str(key) for marker, key in session.execute(query.limit(limit))}


def clear_unindexed(session: Session, markers: Collection[str]) -> None:
    """Forget markers the index now reflects (those read before it read the rows); flushes only."""
    if markers:
        session.execute(delete(Setting).where(Setting.key.in_(list(markers))))


_GENERATION = select(Setting.value).where(Setting.key == GENERATION_KEY)  # built once: every page reads it


def generation(session: Session) -> int:
    """The catalog's current generation (0 before the first sync)."""
    value = session.scalar(_GENERATION)
    return int(value or 0)
