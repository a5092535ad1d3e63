"""The files of ``content/`` that public pages read, from the folder or from the database.

Pages need a few files besides the catalog rows: pictures and attachments under ``media/``,
``places.yml`` (streets and communities) and ``glossary.yml`` (search synonyms). A writer — the one
server with the content folder — reads them there (``FolderFiles``). With PostgreSQL the writer's
sync and saves also copy them into the ``stored_file`` table (``mirror``), so readers
(``CASEBOOK_INSTANCE=reader``, no content folder) serve the same bytes from it (``DatabaseFiles``).
On SQLite (one machine) nothing is copied: the folder is the only place.

Views ask ``ContentFiles`` for a file by its path under the content folder (``media/a.jpg``); the
caller checks the path's shape (no hidden or empty segments) first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .content.glossary import Glossary, read_glossary
from .content.places import read_places
from .db import DbSession
from .media import ATTACHMENT_TYPES, MEDIA_TYPES
from .models import StoredFile
from .staff.models import utcnow

PLACES = "places.yml"
GLOSSARY = "glossary.yml"
ROOT_FILES = (PLACES, GLOSSARY)
"""Files at the top of the content folder that pages read (``topics.yml`` is in the catalog)."""
MEDIA = "media"
Places = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Found:
    """One file: on disk (``path``) or its bytes from the database (``data``)."""

    rel: str
    """The file's own path under the content folder (a symbolic link resolved)."""
    size: int
    path: Path | None = None
    data: bytes | None = None
    etag: str | None = None
    modified: dt.datetime | None = None
    """UTC, naive (database copies)."""

    def read(self) -> bytes:
        """The file's bytes (read from disk now, or as the database gave them)."""
        return self.path.read_bytes() if self.path is not None else self.data or b""


class ContentFiles(Protocol):
    """Where a server reads the content files its pages need."""

    def find(self, rel: str) -> Found | None:
        """The file at ``rel`` (posix, under the content folder) with its bytes or path; None if absent."""

    def size(self, rel: str) -> int | None:
        """The size in bytes, without reading the file; None if absent."""

    def text(self, rel: str) -> tuple[str, str] | None:
        """A small text file as (stamp, text): the stamp changes whenever the text may have; None if absent."""


class FolderFiles:
    """The content folder itself (the writer; every server on one machine)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._texts: dict[str, tuple[str, str]] = {}
        """rel → (stamp, text) last read: a search reads the glossary's stamp, not the file, each time."""

    def _target(self, rel: str) -> tuple[str, Path] | None:
        """The file ``rel`` names and its own path, if it stays inside its top folder (``media/``)."""
        top = rel.split("/", 1)[0] if "/" in rel else ""
        base = (self.root / top).resolve()
        try:
            target = (self.root / rel).resolve()
        except (OSError, ValueError):
            return None
        if not target.is_relative_to(base) or not target.is_file():
            return None
        return "/".join(filter(None, (top, target.relative_to(base).as_posix()))), target

    def find(self, rel: str) -> Found | None:
        found = self._target(rel)
        if found is None:
            return None
        try:
            return Found(rel=found[0], size=found[1].stat().st_size, path=found[1])
        except OSError:
            return None

    def size(self, rel: str) -> int | None:
        found = self.find(rel)
        return None if found is None else found.size

    def text(self, rel: str) -> tuple[str, str] | None:
        found = self._target(rel)
        if found is None:
            return None
        target = found[1]
        try:
            stat = target.stat()
            stamp = f"{stat.st_mtime_ns}:{stat.st_size}"
            known = self._texts.get(rel)
            if known is None or known[0] != stamp:
                known = self._texts[rel] = (stamp, target.read_text(encoding="utf-8"))
            return known
        except (OSError, UnicodeDecodeError):
            return None


class DatabaseFiles:
    """The writer's copies in ``stored_file`` (readers: no content folder)."""

    def __init__(self, session: Callable[[], DbSession]) -> None:
        self.session = session

    def find(self, rel: str) -> Found | None:
        row = (
            self.session()
            .execute(
                select(StoredFile.size, StoredFile.sha256, StoredFile.modified, StoredFile.data).where(
                    StoredFile.path == rel
                )
            )
            .first()
        )
        if row is None:
            return None
        return Found(rel=rel, size=row.size, data=row.data, etag=row.sha256, modified=row.modified)

    def size(self, rel: str) -> int | None:
        size: int | None = self.session().scalar(select(StoredFile.size).where(StoredFile.path == rel))
        return size

    def text(self, rel: str) -> tuple[str, str] | None:
        session = self.session()
        sha = session.scalar(select(StoredFile.sha256).where(StoredFile.path == rel))
        if sha is None:
            return None
        return sha, _stored_text(self, rel, sha)


@lru_cache(maxsize=8)
def _stored_text(files: DatabaseFiles, rel: str, sha: str) -> str:
    """The text of a stored file, read once per content (``sha``)."""
    data = files.session().scalar(select(StoredFile.data).where(StoredFile.path == rel)) or b""
    return data.decode("utf-8", "replace")


def places(files: ContentFiles) -> Places:
    """The street → communities map of ``places.yml`` (empty when there is none), parsed once per version."""
    found = files.text(PLACES)
    return {} if found is None else _places(*found)


@lru_cache(maxsize=8)
def _places(stamp: str, text: str) -> Places:
    return read_places(text, Path(PLACES))[0]


def glossary(files: ContentFiles) -> Glossary:
    """The search glossary of ``glossary.yml`` (empty when there is none), parsed once per version."""
    found = files.text(GLOSSARY)
    return Glossary() if found is None else _glossary(*found)


@lru_cache(maxsize=8)
def _glossary(stamp: str, text: str) -> Glossary:
    return read_glossary(text, Path(GLOSSARY))[0]


def in_database(session: DbSession) -> bool:
    """Whether this database keeps copies of the content files: PostgreSQL, which several servers share."""
    return session.get_bind().dialect.name == "postgresql"


def _servable_name(name: str) -> bool:
    """Whether pages may read a file of this name under ``media/``: a picture or an attachment by its
    extension, as ``/media/`` and ``/downloads/`` serve them (editor sidecars and stray files are not)."""
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower()
    return bool(dot and stem) and (f".{ext}" in MEDIA_TYPES or ext in ATTACHMENT_TYPES)


def _listing(root: Path) -> Iterator[tuple[str, str, str]]:
    """(rel, path, stamp) of every servable file under ``root``; symbolic links are not followed."""
    for name in ROOT_FILES:
        path = root / name
        try:
            stat = path.lstat()
        except OSError:
            continue
        if S_ISREG(stat.st_mode):
            yield name, str(path), f"{stat.st_mtime_ns}:{stat.st_size}"
    folders = [(str(root / MEDIA), MEDIA)]
    while folders:  # scandir: one lstat per file
        folder, prefix = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, f"{prefix}/{entry.name}"))
                elif _servable_name(entry.name) and entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    yield f"{prefix}/{entry.name}", entry.path, f"{stat.st_mtime_ns}:{stat.st_size}"
            except OSError:
                continue


def mirror(session: DbSession, root: Path) -> int:
    """Bring ``stored_file`` in line with the servable files under ``root``; the number of rows
    added, changed or removed. Nothing on SQLite. A file is read only when its time or size
    changed; identical bytes keep their row (and its ``modified``). Flushes only: the caller commits,
    with the catalog rows that name these files."""
    if not in_database(session):
        return 0
    stored = {
        path: (stamp, sha)
        for path, stamp, sha in session.execute(select(StoredFile.path, StoredFile.stamp, StoredFile.sha256))
    }
    seen: set[str] = set()
    changed = 0
    for rel, path, stamp in _listing(root):
        seen.add(rel)
        before = stored.get(rel)
        if before is not None and before[0] == stamp:
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:  # removed (or unreadable) since the listing: the next mirror sees which
            continue
        sha = hashlib.sha256(data).hexdigest()
        if before is not None and before[1] == sha:  # touched, not changed
            session.execute(update(StoredFile).where(StoredFile.path == rel).values(stamp=stamp))
            continue
        row = {"path": rel, "size": len(data), "sha256": sha, "stamp": stamp, "modified": utcnow(), "data": data}
        statement = pg_insert(StoredFile).values(**row)
        session.execute(
            statement.on_conflict_do_update(index_elements=["path"], set_={k: v for k, v in row.items() if k != "path"})
        )
        changed += 1
    gone = sorted(set(stored) - seen)
    for start in range(0, len(gone), 500):
        session.execute(delete(StoredFile).where(StoredFile.path.in_(gone[start : start + 500])))
    session.flush()
    return changed + len(gone)
