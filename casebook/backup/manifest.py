"""The backup format: what a backup zip holds, under which names, and its manifest.

A zip made by ``casebook backup`` holds ``content/…`` (the content folder, uploaded pictures under
``content/media/`` included), ``database/casebook.sqlite3`` (a consistent copy of the SQLite
database), ``data/secret_key`` when the session key lives in the data folder, and ``manifest.json``:
the casebook version and migration head that wrote it, the database's own revision, the time (UTC),
file counts and, per file, its size, SHA-256, permission bits and modification time. Pure: no Flask,
no database.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

FORMAT = "casebook-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CONTENT = "content/"
MEDIA = "content/media/"
DATABASE = "database/casebook.sqlite3"
SECRET = "data/secret_key"
SECRET_FILE = "secret_key"
"""The generated session key in the data folder (config.py): a secret, hence the zip's mode 0600."""
CHUNK = 1 << 20
_DRIVE_RE = re.compile(r"[A-Za-z]:")

ByteProgress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all)."""


@dataclass(frozen=True)
class FileRecord:
    """One file in the zip: its name there, size, SHA-256, permission bits and modification time."""

    path: str
    size: int
    sha256: str
    mode: int
    mtime_ns: int


@dataclass(frozen=True)
class Manifest:
    """What a backup holds (``manifest.json``): enough for ``restore`` to check every byte."""

    casebook_version: str
    migration_head: str
    """The newest migration of the casebook that wrote the backup."""
    database_revision: str | None
    """The database's own revision (None: from before migrations); restore upgrades an older one."""
    created_at: str
    """UTC, ISO 8601 with a ``Z``."""
    files: tuple[FileRecord, ...]

    def counts(self) -> dict[str, int]:
        """How many files of each part: content (outside media/), media, database, secret_key."""
        paths = [record.path for record in self.files]
        media = sum(1 for path in paths if path.startswith(MEDIA))
        return {
            "content": sum(1 for path in paths if path.startswith(CONTENT)) - media,
            "media": media,
            "database": paths.count(DATABASE),
            "secret_key": paths.count(SECRET),
        }

    @property
    def total_bytes(self) -> int:
        return sum(record.size for record in self.files)

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "casebook_version": self.casebook_version,
            "migration_head": self.migration_head,
            "database_revision": self.database_revision,
            "created_at": self.created_at,
            "counts": self.counts(),
            "bytes": self.total_bytes,
            "files": [asdict(record) for record in self.files],
        }
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Read a manifest; ``ValueError`` (in Chinese) when it is not one this casebook can read."""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"清单（{MANIFEST}）无法读取：{exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"清单（{MANIFEST}）不是 casebook 备份的清单")
        if data.get("format_version") != FORMAT_VERSION:
            found = data.get("format_version")
            raise ValueError(f"备份格式版本 {found!r} 不是本程序认得的 {FORMAT_VERSION}：请用写它的 casebook 恢复")
        try:
            files = tuple(
                FileRecord(str(f["path"]), int(f["size"]), str(f["sha256"]), int(f["mode"]), int(f["mtime_ns"]))
                for f in data["files"]
            )
            revision = data["database_revision"]
            return cls(
                casebook_version=str(data["casebook_version"]),
                migration_head=str(data["migration_head"]),
                database_revision=None if revision is None else str(revision),
                created_at=str(data["created_at"]),
                files=files,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"清单（{MANIFEST}）缺少或写错了字段：{exc}") from None


def unsafe_name(name: str) -> str | None:
    """Why a zip member name cannot be restored (None: it is a plain path a backup writes)."""
    if not name or "\x00" in name:
        return "空名字或含 NUL"
    if name.startswith("/") or "\\" in name or _DRIVE_RE.match(name):
        return "绝对路径或反斜杠"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "含有 ..、. 或空的路径段"
    if name not in (MANIFEST, DATABASE, SECRET) and not (name.startswith(CONTENT) and len(parts) > 1):
        return "不属于备份的任何部分"
    return None


def casebook_version() -> str:
    try:
        return metadata.version("casebook")
    except metadata.PackageNotFoundError:
        return "unknown"


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in the folder ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
