"""Keeping the search index in step with the catalog: one-entry updates and full rebuilds.

Called after the catalog commit (write file → catalog → commit → index), never from session
events. Only published entries, and only their public fields, ever reach the index (the one
row → document mapping is ``catalog.documents``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from .catalog.documents import docs_for, published_count, published_docs
from .content.glossary import Glossary, load_glossary
from .db import DbSession
from .progress import Progress
from .search import SearchIndex

logger = logging.getLogger(__name__)

__all__ = ["follow", "needs_rebuild", "rebuild", "update"]


def _glossary_stamp(glossary: Glossary) -> str:
    return hashlib.sha256("\n".join(glossary.words).encode()).hexdigest()[:16]


def rebuild(session: DbSession, index: SearchIndex, content_dir: Path, progress: Progress | None = None) -> int:
    """Rebuild the whole index from the catalog into a fresh directory and swap it in."""
    glossary, _ = load_glossary(content_dir)
    total = published_count(session)
    count = index.rebuild(published_docs(session), glossary.words, total=total, progress=progress)
    (index.root / "glossary.stamp").write_text(_glossary_stamp(glossary), encoding="ascii")
    return count


def needs_rebuild(index: SearchIndex, content_dir: Path) -> bool:
    """No index yet, or the glossary (the segmenter's dictionary) changed since it was built."""
    if not index.usable():
        return True
    glossary, _ = load_glossary(content_dir)
    stamp = index.root / "glossary.stamp"
    return not stamp.is_file() or stamp.read_text(encoding="ascii") != _glossary_stamp(glossary)


def update(
    session: DbSession, index: SearchIndex, content_dir: Path, keys: Iterable[str], wait: float | None = None
) -> None:
    """Bring the given keys up to date: published rows are (re)indexed, anything else removed
    (``IndexBusy`` when another writer holds the index longer than ``wait`` seconds)."""
    keys = set(keys)
    if not keys:
        return
    glossary, _ = load_glossary(content_dir)
    docs = docs_for(session, keys)
    index.update(docs, remove=keys - {doc.key for doc in docs}, user_words=glossary.words, wait=wait)


def follow(
    session: DbSession,
    index: SearchIndex,
    content_dir: Path,
    keys: Iterable[str],
    progress: Progress | None = None,
) -> int | None:
    """After a committed sync: rebuild when needed (returns the count), else update ``keys``."""
    if needs_rebuild(index, content_dir):
        return rebuild(session, index, content_dir, progress)
    update(session, index, content_dir, keys)
    return None
