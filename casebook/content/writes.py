"""Writing content files so that no reader or crash ever sees half of one, and a failed save leaves none.

``write_atomic``: temporary file in the same folder, fsync, rename. ``replacing``: the same, and the
previous file put back if the database's part of the save then fails — on a full disk too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
