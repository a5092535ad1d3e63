"""Keeping the search index in step with the catalog: one-entry updates and full rebuilds.

Called after the catalog commit (write file → catalog → commit → index), never from session
events. Only published entries, and only their public fields, ever reach the index (the one
row → document mapping is ``catalog.documents``).

Every change of a row leaves a marker in the catalog (``catalog.state.UNINDEXED``) until the index
shows it: ``update`` indexes the waiting keys along with the ones it is given, ``rebuild`` covers them
all, and each then deletes the markers it read — the one commit made here, after the index's own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from .catalog.documents import docs_for, published_count, published_docs
from .catalog.state import clear_unindexed, unindexed
from .content.glossary import Glossary, load_glossary
from .db import DbSession
from .progress import Progress
from .search import AnyIndex

logger = logging.getLogger(__name__)

__all__ = ["follow", "needs_rebuild", "rebuild", "update"]


def _glossary_stamp(glossary: Glossary) -> str:
    return hashlib.sha256("\n".join(glossary.words).encode()).hexdigest()[:16]


def rebuild(session: DbSession, index: AnyIndex, content_dir: Path, progress: Progress | None = None) -> int:
    """Rebuild the whole index from the catalog (searches meanwhile read the old one until it is in)."""
    markers = unindexed(session)  # before the rows are read: each names a change the rebuild will show
    glossary, _ = load_glossary(content_dir)
    total = published_count(session)
    count = index.rebuild(published_docs(session), glossary.words, total=total, progress=progress)
    index.set_glossary_stamp(_glossary_stamp(glossary))
    _indexed(session, markers)
    return count


def needs_rebuild(index: AnyIndex, content_dir: Path) -> bool:
    """No index yet, or the glossary (the segmenter's dictionary) changed since it was built."""
    if not index.usable():
        return True
    glossary, _ = load_glossary(content_dir)
    return index.glossary_stamp() != _glossary_stamp(glossary)


def update(
    session: DbSession,
    index: AnyIndex,
    content_dir: Path,
    keys: Iterable[str],
    wait: float | None = None,
    waiting: int | None = None,
) -> int:
    """Bring the given keys, and those a killed process left waiting, up to date: published rows are
    (re)indexed, anything else removed; return how many keys that was. ``waiting``: take at most
    that many waiting markers (a request keeps its index step short). ``IndexBusy`` when another
    writer holds the index longer than ``wait`` seconds."""
    markers = unindexed(session, waiting)
    keys = set(keys) | set(markers.values())
    if not keys:
        return 0
    glossary, _ = load_glossary(content_dir)
    docs = docs_for(session, keys)
    index.update(docs, remove=keys - {doc.key for doc in docs}, user_words=glossary.words, wait=wait)
    _indexed(session, markers)
    return len(keys)


def _indexed(session: DbSession, markers: dict[str, str]) -> None:
    """The index has committed what the catalog said when ``markers`` were read: forget them.
    If the database refuses now, they stay, and the next index step does those keys again."""
    if not markers:
        return
    try:
        clear_unindexed(session, markers)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logger.warning("could not clear %d search index markers; they are redone next time", len(markers))


def follow(
    session: DbSession,
    index: AnyIndex,
    content_dir: Path,
    keys: Iterable[str],
    progress: Progress | None = None,
) -> int | None:
    """After a committed sync: rebuild when needed (returns the count), else update ``keys``."""
    if needs_rebuild(index, content_dir):
        return rebuild(session, index, content_dir, progress)
    update(session, index, content_dir, keys)
    return None
