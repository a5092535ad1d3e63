"""Restoring a backup zip (``write.py``; format: ``manifest.py``) into an empty or missing content
folder and data folder.

Nothing is written until three checks pass: the targets hold no library (no file in the content
folder, no row in the database beyond what a casebook started on empty folders writes by itself), every name in
the zip is a plain relative path inside the parts a backup has (no ``..``, absolute or drive names,
backslashes, symbolic links; nothing the manifest does not list), and every file's size and SHA-256
match the manifest. The content is then unpacked into a hidden folder beside the target and renamed
into place, the secret key and the database written under temporary names and renamed. Migrations
and the search index (left out of backups) are the caller's next steps. No Flask here.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import migrate
from .manifest import (
    CHUNK,
    CONTENT,
    DATABASE,
    MANIFEST,
    SECRET,
    SECRET_FILE,
    ByteProgress,
    FileRecord,
    Manifest,
    fsync_dir,
    unsafe_name,
)

MANIFEST_LIMIT = 64 << 20
"""A manifest is ~200 bytes a file: 64 MB is over 300,000 files, and far below what could exhaust memory."""
EMPTY_SITE_TABLES = frozenset(
    {
        "alembic_version",
        "setting",
        "problem",
        "job",
        "view_count",
        "search_miss",  # before migration 0004
        "search_miss_day",
        "login_attempt",
        "login_lock",
    }
)
VISITOR_AUDIT = ("login-failed", "login-throttled")
"""Audit events a visitor of an empty site leaves (a bot trying ``/login``): not a library either."""
"""Tables a casebook started on empty folders fills by itself: its bookkeeping, the problems of an
empty content folder, queued jobs, and what visitors of the empty site leave (counts, searches,
failed logins). A row in any other table — an account, a revision, a comment, an audit event, an
entry, topic or project — means a library is there (a table added later counts too)."""


class RestoreRefused(Exception):
    """The restore is refused before anything was written; the message is for people (Chinese)."""


@dataclass(frozen=True)
class RestoreResult:
    """What was put where."""

    content_files: int
    media_files: int
    database: Path
    secret_key: Path | None


def check_target(content_dir: Path, data_dir: Path, database: Path) -> None:
    """``RestoreRefused`` unless the content folder is missing or empty and the database holds no data."""
    for folder, what in ((content_dir, "内容文件夹"), (data_dir, "数据文件夹")):
        if folder.exists() and not folder.is_dir():
            raise RestoreRefused(f"{what} {folder} 不是文件夹。")
    if content_dir.is_dir() and any(content_dir.iterdir()):
        raise RestoreRefused(
            f"内容文件夹 {content_dir} 里已有文件：restore 只恢复到空的或不存在的文件夹，不覆盖现有的案例库。"
            "请设 CASEBOOK_CONTENT_DIR 为新的文件夹，或先把这个文件夹移走。"
        )
    if has_data(database):
        raise RestoreRefused(
            f"数据库 {database} 里已有数据（账号、历史或目录）：restore 不覆盖它。"
            "请设 CASEBOOK_DATA_DIR 为新的文件夹，或先把这个数据库移走。"
        )


def has_data(database: Path) -> bool:
    """Whether an SQLite file has a row outside ``EMPTY_SITE_TABLES`` (a file SQLite cannot read counts)."""
    if not database.exists():
        return False
    if database.stat().st_size == 0 and not Path(f"{database}-wal").exists():
        return False
    try:
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for name in names:
                if name in EMPTY_SITE_TABLES or name.startswith("sqlite_"):
                    continue
                quoted = name.replace('"', '""')
                query = f'SELECT 1 FROM "{quoted}"'
                if name == "audit_event":
                    query += " WHERE action NOT IN ({})".format(", ".join("?" * len(VISITOR_AUDIT)))
                    if connection.execute(query + " LIMIT 1", VISITOR_AUDIT).fetchone():
                        return True
                elif connection.execute(query + " LIMIT 1").fetchone():
                    return True
        finally:
            connection.close()
    except sqlite3.Error:
        return True
    return False


def verify(archive: Path, progress: ByteProgress | None = None) -> Manifest:
    """Check the whole zip against its manifest; ``RestoreRefused`` on the first problem."""
    try:
        with zipfile.ZipFile(archive) as zf:
            manifest = _check_names(zf)
            meter = _Meter(manifest, progress)
            for record in manifest.files:
                _read_member(zf, record, None, meter)
    except RestoreRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        # truncated or damaged (no central directory, bad CRC, broken deflate stream), encrypted, unknown method
        raise RestoreRefused(f"备份文件 {archive} 已损坏或不完整（{exc}）：未写入任何东西。") from None
    return manifest


def _check_names(zf: zipfile.ZipFile) -> Manifest:
    infos = zf.infolist()
    seen: set[str] = set()
    for info in infos:
        reason = unsafe_name(info.filename)
        if reason is None and stat.S_ISLNK(info.external_attr >> 16):
            reason = "符号链接"
        if reason is None and info.filename in seen:
            reason = "重复的名字"
        if reason:
            raise RestoreRefused(f"备份里有不能恢复的文件名 {info.filename!r}（{reason}）：已拒绝，未写入任何东西。")
        seen.add(info.filename)
    if MANIFEST not in seen:
        raise RestoreRefused(f"备份里没有清单 {MANIFEST}：这不是 casebook backup 写的备份。")
    if zf.getinfo(MANIFEST).file_size > MANIFEST_LIMIT:
        raise RestoreRefused(f"清单 {MANIFEST} 大得不合理：这不是 casebook backup 写的备份。")
    try:
        manifest = Manifest.from_json(zf.read(MANIFEST))
    except ValueError as exc:
        raise RestoreRefused(str(exc)) from None
    listed = [record.path for record in manifest.files]
    for path in listed:
        if unsafe_name(path) or path == MANIFEST:
            raise RestoreRefused(f"清单里有不能恢复的文件名 {path!r}：已拒绝，未写入任何东西。")
    if len(set(listed)) != len(listed) or set(listed) != seen - {MANIFEST}:
        extra = sorted((seen - {MANIFEST}) ^ set(listed))[:3]
        example = ", ".join(extra) or "重复的名字"
        raise RestoreRefused(f"备份里的文件与清单不一致（如 {example}）：备份不完整或被改动过。")
    if DATABASE not in listed:
        raise RestoreRefused("备份里没有数据库。")
    known = {revision for revision, _ in migrate.history()}
    if manifest.database_revision is not None and manifest.database_revision not in known:
        raise RestoreRefused(
            f"备份的数据库版本（{manifest.database_revision}）比这个 casebook 新（它只认得到 {migrate.head()}）："
            f"请用 casebook {manifest.casebook_version} 或更新的版本恢复。"
        )
    return manifest


class _Meter:
    """Counts the bytes read for a progress callback."""

    def __init__(self, manifest: Manifest, progress: ByteProgress | None) -> None:
        self.total = manifest.total_bytes
        self.done = 0
        self.progress = progress

    def add(self, size: int) -> None:
        self.done += size
        if self.progress:
            self.progress(self.done, max(self.total, self.done))


def _read_member(zf: zipfile.ZipFile, record: FileRecord, out: int | None, meter: _Meter) -> None:
    """Read one member (into the open file ``out``, if given), checking its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with zf.open(record.path) as member:
        while chunk := member.read(CHUNK):
            size += len(chunk)
            if size > record.size:
                break
            digest.update(chunk)
            meter.add(len(chunk))
            if out is not None:
                _write_all(out, chunk)
    if size != record.size or digest.hexdigest() != record.sha256:
        raise RestoreRefused(f"{record.path} 的大小或校验和与清单不符：备份已损坏或被改动过，未恢复。")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def check_space(manifest: Manifest, content_dir: Path, database: Path) -> None:
    """``RestoreRefused`` when a target's file system has less room than the backup needs (plus 10%)."""
    needs: dict[int, tuple[Path, int]] = {}
    db_bytes = sum(r.size for r in manifest.files if r.path == DATABASE)
    for target, size in ((content_dir, manifest.total_bytes - db_bytes), (database.parent, db_bytes)):
        existing = _existing(target)
        device = existing.stat().st_dev
        before = needs.get(device, (existing, 0))[1]
        needs[device] = (existing, before + size)
    for existing, size in needs.values():
        free = shutil.disk_usage(existing).free
        if free < size * 1.1:
            raise RestoreRefused(
                f"磁盘空间不足：恢复需要约 {size / 1e6:.1f} MB，{existing} 所在的磁盘只剩 {free / 1e6:.1f} MB。"
            )


def _existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def restore(
    archive: Path,
    manifest: Manifest,
    *,
    content_dir: Path,
    data_dir: Path,
    database: Path,
    progress: ByteProgress | None = None,
) -> RestoreResult:
    """Unpack a verified backup: every file is written under a temporary name first (checked again
    against the manifest), then the content folder, the secret key and the database are renamed into place."""
    content_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = content_dir.parent / f".{content_dir.name}.restoring-{secrets.token_hex(4)}"
    staging.mkdir()
    unpacked: dict[str, tuple[Path, Path]] = {}  # member → (temporary file, final place)
    meter = _Meter(manifest, progress)
    try:
        with zipfile.ZipFile(archive) as zf:
            for record in manifest.files:
                if record.path.startswith(CONTENT):
                    _extract(zf, record, staging / PurePosixPath(record.path).relative_to(CONTENT), meter)
                elif record.path in (SECRET, DATABASE):
                    final = database if record.path == DATABASE else data_dir / SECRET_FILE
                    unpacked[record.path] = (_extract_beside(zf, record, final, meter), final)
        _place_folder(staging, content_dir)
        for suffix in ("-wal", "-shm", "-journal"):  # an empty database's leftovers must never meet the new file
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        for member in (SECRET, DATABASE):
            if member in unpacked:
                os.replace(*unpacked[member])
        for folder in {content_dir.parent, data_dir, database.parent}:
            fsync_dir(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for tmp, _ in unpacked.values():
            tmp.unlink(missing_ok=True)
    counts = manifest.counts()
    secret = unpacked[SECRET][1] if SECRET in unpacked else None
    return RestoreResult(counts["content"], counts["media"], database, secret)


def _extract(zf: zipfile.ZipFile, record: FileRecord, dest: Path, meter: _Meter) -> None:
    """Write one content file (never through an existing name or link), with its mode and time."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    mode = (record.mode & 0o777) | 0o600
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        _read_member(zf, record, fd, meter)
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.utime(dest, ns=(record.mtime_ns, record.mtime_ns))


def _extract_beside(zf: zipfile.ZipFile, record: FileRecord, final: Path, meter: _Meter) -> Path:
    """Write one file 0600 beside ``final`` under a temporary name; return that name."""
    tmp = final.parent / f".{final.name}.restoring-{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        _read_member(zf, record, fd, meter)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return tmp


def _place_folder(staging: Path, target: Path) -> None:
    """Rename the unpacked folder onto the missing or empty target; move its contents in where that fails."""
    try:
        os.replace(staging, target)  # replaces an empty directory on POSIX
        return
    except OSError:
        if not target.is_dir() or any(target.iterdir()):
            raise
    for child in sorted(staging.iterdir()):  # e.g. the target is a mount point
        shutil.move(child, target / child.name)
