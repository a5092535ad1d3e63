"""Writing a backup zip while the server runs (the format: ``manifest.py``).

The database is copied through SQLite's online backup API into a temporary file, never copied as a
file: a running server keeps its latest commits in the ``-wal`` file, which a file copy misses or
tears. The copy is made while holding the lock every staff save holds from file write to commit
(``content.lock`` in the data folder), and the content files outside ``media/`` are read under the
same lock, so the files and the history in the database agree; pictures (written once, under new
names) are read after the lock is released, so saves wait only for the small part. The search index
is left out: it is derived, and a restore rebuilds it. The zip is written 0600 under a temporary
name in the target's folder and renamed when complete. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import sqlite3
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from .. import migrate
from .manifest import (
    CHUNK,
    CONTENT,
    DATABASE,
    MANIFEST,
    MEDIA,
    SECRET,
    SECRET_FILE,
    ByteProgress,
    FileRecord,
    Manifest,
    casebook_version,
    fsync_dir,
)

logger = logging.getLogger(__name__)

CONTENT_LOCK = "content.lock"
"""The lock file in the data folder that staff saves hold from file write to commit (views/workspace.py)."""
STORED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".mp4", ".zip", ".gz", ".docx", ".pack"})
"""Already compressed: stored as they are instead of deflated again."""


class BackupError(Exception):
    """The backup cannot be made; the message is for people (Chinese)."""


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where, what, how big, how long saves had to wait, and what was left out."""

    path: Path
    manifest: Manifest
    zip_bytes: int
    locked_seconds: float
    skipped: tuple[str, ...]
    """Content paths not backed up (symbolic links, names that are not UTF-8, files that vanished)."""


def sqlite_path(database_url: str) -> Path:
    """The file of an SQLite database URL; ``BackupError`` for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"备份和恢复只支持 SQLite 数据库；这里用的是 {url.get_backend_name()}（CASEBOOK_DATABASE_URL）。"
            "PostgreSQL 请用 pg_dump / pg_restore 备份数据库，内容文件夹另行复制，见 docs/operations.md。"
        )
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"数据库 {database_url} 不是一个文件，无法备份。")
    return Path(url.database).resolve()


@contextmanager
def content_lock(data_dir: Path) -> Iterator[None]:
    """Hold the lock staff saves take (no data folder yet: nobody to wait for)."""
    if not data_dir.is_dir():
        yield
        return
    with open(data_dir / CONTENT_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def snapshot_database(source: Path, dest: Path) -> str | None:
    """Copy a live SQLite database (its WAL included) into ``dest`` in one read transaction, check the
    copy and return its migration revision (None: never stamped)."""
    if not source.is_file():
        raise BackupError(f"找不到数据库 {source}：先运行 casebook sync（或 serve）建好它。")
    reader = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(dest)
        try:
            # one step (pages=-1): one read transaction, so a consistent moment even while others write;
            # committed pages still in the -wal file are read through it, uncommitted ones are not
            reader.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (the server turns WAL back on)
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"数据库副本检查未通过（{check}）：数据库可能已损坏，未写备份。")
            try:
                row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.OperationalError:
                row = None
            return None if row is None else str(row[0])
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"无法读取数据库 {source}：{exc}") from exc
    finally:
        reader.close()


def content_files(root: Path) -> tuple[list[str], list[str]]:
    """``(files, skipped)``: every regular file under ``root`` as a POSIX relative path, sorted; symbolic
    links, special files and names that are not UTF-8 are skipped; temporary files of atomic writes are
    ignored (the finished file is what counts)."""
    files: list[str] = []
    skipped: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            rel = (base / name).relative_to(root).as_posix()
            if not _utf8(rel) or (base / name).is_symlink():
                skipped.append(_shown(rel))
            else:
                kept.append(name)
        dirnames[:] = kept  # os.walk descends only into these
        for name in filenames:
            if name.startswith(".") and name.endswith(".tmp"):
                continue  # content.write_atomic's temporary file
            path = base / name
            rel = path.relative_to(root).as_posix()
            if not _utf8(rel) or path.is_symlink() or not path.is_file():
                skipped.append(_shown(rel))
            else:
                files.append(rel)
    return sorted(files), skipped


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def create_backup(
    target: Path,
    *,
    content_dir: Path,
    data_dir: Path,
    database: Path,
    progress: ByteProgress | None = None,
    now: dt.datetime | None = None,
) -> BackupResult:
    """Write the backup zip to ``target`` (0600, renamed into place when complete)."""
    if not content_dir.is_dir():
        raise BackupError(f"内容文件夹 {content_dir} 不存在。")
    if target.resolve().is_relative_to(content_dir.resolve()):
        raise BackupError(f"备份文件不能放在内容文件夹 {content_dir} 里。")
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    secret = data_dir / SECRET_FILE
    key = [SECRET_FILE] if secret.is_file() and not secret.is_symlink() else []
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")  # 0600
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as handle,
            zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        ):
            writer = _Writer(archive, progress)
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".casebook-backup-") as scratch:
                copy = Path(scratch) / "casebook.sqlite3"
                with content_lock(data_dir):  # saves wait for the snapshot and the text files only
                    started = time.monotonic()
                    revision = snapshot_database(database, copy)
                    files, skipped = content_files(content_dir)
                    media = [rel for rel in files if (CONTENT + rel).startswith(MEDIA)]
                    texts = [rel for rel in files if not (CONTENT + rel).startswith(MEDIA)]
                    writer.expect(copy.stat().st_size + _sizes(content_dir, files) + _sizes(data_dir, key))
                    for rel in texts:
                        writer.add(CONTENT + rel, content_dir / rel, skipped)
                    locked = time.monotonic() - started
                writer.add(DATABASE, copy)
            for rel in media:  # pictures are written once, under new names: read after the lock
                writer.add(CONTENT + rel, content_dir / rel, skipped)
            for name in key:
                writer.add(SECRET, data_dir / name)
            manifest = Manifest(
                casebook_version=casebook_version(),
                migration_head=migrate.head(),
                database_revision=revision,
                created_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                files=tuple(writer.records),
            )
            writer.finish(manifest, moment)
            archive.close()  # the central directory, before the file is synced
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupResult(target, manifest, target.stat().st_size, locked, tuple(skipped))


class _Writer:
    """Streams files into the zip, hashing each as it goes; records what went in."""

    def __init__(self, archive: zipfile.ZipFile, progress: ByteProgress | None) -> None:
        self.zip = archive
        self.records: list[FileRecord] = []
        self.progress = progress
        self.done = 0
        self.total = 0

    def expect(self, total: int) -> None:
        self.total = total

    def add(self, name: str, source: Path, skipped: list[str] | None = None) -> None:
        try:
            src = open(source, "rb")  # noqa: SIM115  (closed below; a file that vanished is skipped)
        except FileNotFoundError:
            if skipped is None:
                raise
            skipped.append(name.removeprefix(CONTENT))
            return
        with src:
            st = os.fstat(src.fileno())
            info = zipfile.ZipInfo(name, date_time=_zip_time(st.st_mtime))
            info.compress_type = (
                zipfile.ZIP_STORED if Path(name).suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            )
            info.external_attr = (stat.S_IFREG | stat.S_IMODE(st.st_mode)) << 16
            digest = hashlib.sha256()
            size = 0
            with self.zip.open(info, "w", force_zip64=st.st_size > 1 << 30) as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    self.done += len(chunk)
                    if self.progress:
                        self.progress(self.done, max(self.total, self.done))
        self.records.append(FileRecord(name, size, digest.hexdigest(), stat.S_IMODE(st.st_mode), st.st_mtime_ns))

    def finish(self, manifest: Manifest, moment: dt.datetime) -> None:
        info = zipfile.ZipInfo(MANIFEST, date_time=moment.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (stat.S_IFREG | 0o600) << 16
        self.zip.writestr(info, manifest.to_json())


def _sizes(root: Path, files: list[str]) -> int:
    total = 0
    for rel in files:
        with suppress(FileNotFoundError):
            total += (root / rel).stat().st_size
    return total


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    """A zip entry's time (local, 1980 at the earliest: the format has no earlier date)."""
    moment = time.localtime(max(mtime, 315532800.0 + 86400))
    return moment[0], moment[1], moment[2], moment[3], moment[4], moment[5]
