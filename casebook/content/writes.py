"""Writing content files so that no reader or crash ever sees half of one, and a failed save leaves none.

``write_atomic``: temporary file in the same folder, fsync, rename. ``replacing``: the same, and the
previous file put back if the database's part of the save then fails — on a full disk too.
``sweep_leftovers``: what a killed writer left (its temporary file or kept copy) removed by the next sync.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8) or bytes so readers see the old file or the new one, never half of either.

    The file keeps the mode of the one it replaces; a new file gets its folder's read/write bits
    (0644 in a 0755 folder), not the temporary file's 0600 — a backup or git run by another user
    must read what the editor wrote as it reads the rest of ``content/``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = path.parent.stat().st_mode & 0o666
    # the writer's process id in the name: a file left by a killed writer is told from one being written
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode() if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def replacing(path: Path, text: str | bytes) -> Iterator[None]:
    """Write ``path`` atomically, then run the block (the database's part of a save); if the block
    fails, put the previous file back — or remove the new one — before the error goes on.

    Putting back needs no free space, so it works on the full disk that made the block fail: the
    previous file is kept as a hard link (``.<name>.<pid>.keep``) until the block has succeeded.
    Where links are not supported its bytes are kept in memory and written back instead.
    """
    for stale in path.parent.glob(f".{path.name}.*.keep"):  # left by a process killed mid-save
        stale.unlink(missing_ok=True)
    keep: Path | None = None
    before: bytes | None = None
    if path.exists():
        keep = path.with_name(f".{path.name}.{os.getpid()}.keep")
        try:
            os.link(path, keep)
        except OSError:
            keep, before = None, path.read_bytes()
    try:
        write_atomic(path, text)
    except BaseException:
        if keep is not None:
            keep.unlink(missing_ok=True)
        raise
    try:
        yield
    except BaseException:
        if keep is not None:
            os.replace(keep, path)
            _sync_folder(path.parent)
        elif before is not None:
            write_atomic(path, before)
        else:
            path.unlink(missing_ok=True)
            _sync_folder(path.parent)
        raise
    if keep is not None:
        keep.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make a rename or removal in ``folder`` durable (best effort: the rename itself has happened)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


LEFTOVER_RE = re.compile(r"\.(?P<name>.+?)\.(?:(?P<pid>\d+)\.(?:[a-z0-9_]+\.tmp|keep)|[a-z0-9_]{8}\.tmp)")
"""``.<name>.<pid>.<random>.tmp`` (``write_atomic``), ``.<name>.<pid>.keep`` (``replacing``), and
``.<name>.<random>.tmp`` as releases before the process id wrote it."""
UNNAMED_AGE = 3600.0
"""Seconds after which a temporary file without a process id is surely its killed writer's."""


def sweep_leftovers(root: Path) -> list[Path]:
    """Remove the temporary files and kept copies that writers killed mid-write left under ``root``
    (a server killed during a save, a power cut): those whose process no longer runs, and old ones
    without a process id. Each is only a copy — the file it was for is whole, old or new. Returns
    what was removed."""
    removed = []
    for path in _hidden_files(root):
        match = LEFTOVER_RE.fullmatch(path.name)
        if match is None:
            continue
        pid = match.group("pid")
        try:
            stale = not _running(int(pid)) if pid else time.time() - path.stat().st_mtime > UNNAMED_AGE
            if stale:
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone meanwhile, or not ours to remove: left alone
    if removed:
        logger.info("removed %d file(s) left by interrupted writes: %s", len(removed), ", ".join(map(str, removed)))
    return removed


def _hidden_files(root: Path) -> Iterator[Path]:
    """Regular files whose name starts with a dot, outside hidden folders (``.git`` is not walked)."""
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            path = Path(folder, name)
            if name.startswith(".") and path.is_file() and not path.is_symlink():
                yield path


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie, killed and not yet reaped, does not)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:
        fields = Path(f"/proc/{pid}/stat").read_text("ascii", "replace").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return fields[0] not in ("Z", "X")
