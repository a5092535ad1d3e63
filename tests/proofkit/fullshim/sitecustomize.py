"""A stand-in for a full disk, for the full-disk proof where no small filesystem can be mounted.

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``; the proof puts this folder there
for the ``casebook`` processes it starts, with two variables: ``CASEBOOK_PROOF_DISK_UNDER`` (a folder)
and ``CASEBOOK_PROOF_DISK_FULL`` (a switch file). While the switch file exists, the disk under that
folder is full, as a filled filesystem behaves:

- data written through a Python file object (``open``, ``os.fdopen``) raises ``OSError(ENOSPC)``;
  opening or creating a file still works (a full filesystem still has inodes);
- ``os.fsync`` and ``os.write`` of a regular file there raise ``OSError(ENOSPC)``, and so does
  ``os.mkdir`` there (as on ext4 or xfs, where a new folder needs a block; tmpfs would make it);
- an SQLite commit that has something to write (``in_transaction``) of a database there is rolled
  back and raises ``sqlite3.OperationalError("database or disk is full")`` with SQLite's code 13.

Reads are untouched. What it cannot reach (writes made in C outside ``sqlite3``) a real full disk
would refuse too; the proof prefers a real ``tmpfs`` whenever it may mount one. Test-only: nothing
in the casebook package knows of it.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import sqlite3
import stat
from typing import Any

_UNDER = os.environ.get("CASEBOOK_PROOF_DISK_UNDER", "")
_SWITCH = os.environ.get("CASEBOOK_PROOF_DISK_FULL", "")


def _full() -> bool:
    return bool(_SWITCH) and os.path.exists(_SWITCH)


def _under(path: Any) -> bool:
    if not _UNDER or not isinstance(path, (str, bytes, os.PathLike)):
        return False
    real = os.path.realpath(os.fsdecode(path))
    return real == _UNDER or real.startswith(_UNDER.rstrip(os.sep) + os.sep)


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def _no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FullFile:
    """A writable file under the folder: every write fails while the disk is full."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, data: Any) -> int:
        if _full() and len(data):
            raise _no_space()
        return int(self._inner.write(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _FullFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()

    def __iter__(self) -> Any:
        return iter(self._inner)


def _writable(mode: str) -> bool:
    return any(flag in mode for flag in "wax+")


_open = io.open
_fdopen = os.fdopen
_fsync = os.fsync
_write = os.write


def _open_shim(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    handle = _open(file, mode, *args, **kwargs)
    path = _fd_path(file) if isinstance(file, int) else file
    return _FullFile(handle) if _writable(mode) and _under(path) else handle


def _fdopen_shim(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    handle = _fdopen(fd, mode, *args, **kwargs)
    return _FullFile(handle) if _writable(mode) and _under(_fd_path(fd)) else handle


def _regular_under(fd: int) -> bool:
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and _under(_fd_path(fd))
    except OSError:
        return False


def _fsync_shim(fd: Any) -> None:
    number = fd if isinstance(fd, int) else fd.fileno()
    if _full() and _regular_under(number):
        raise _no_space()
    _fsync(fd)


def _write_shim(fd: int, data: Any) -> int:
    if _full() and len(data) and _regular_under(fd):
        raise _no_space()
    return _write(fd, data)


class _Connection(sqlite3.Connection):
    """An SQLite connection whose commits with something to write fail while the disk is full."""

    def commit(self) -> None:
        if self.in_transaction and _full() and getattr(self, "_proof_under", False):
            self.rollback()
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = 13  # SQLITE_FULL
            error.sqlite_errorname = "SQLITE_FULL"
            raise error
        super().commit()


_connect = sqlite3.connect


def _connect_shim(database: Any, *args: Any, **kwargs: Any) -> Any:
    if "factory" not in kwargs and not (len(args) >= 4):
        kwargs["factory"] = _Connection
    connection = _connect(database, *args, **kwargs)
    name = os.fsdecode(database) if isinstance(database, (str, bytes, os.PathLike)) else ""
    if name.startswith("file:"):
        name = name[5:].split("?")[0]
    if isinstance(connection, _Connection):
        connection._proof_under = _under(name)  # type: ignore[attr-defined]
    return connection


_mkdir = os.mkdir


def _mkdir_shim(path: Any, *args: Any, **kwargs: Any) -> None:
    if _full() and _under(os.path.dirname(os.path.abspath(os.fsdecode(path)))):
        raise _no_space()  # as ext4 or xfs: a new folder needs a block (tmpfs would still make it)
    _mkdir(path, *args, **kwargs)


if _UNDER and _SWITCH:
    builtins.open = io.open = _open_shim  # type: ignore[assignment]
    os.fdopen = _fdopen_shim
    os.fsync = _fsync_shim
    os.write = _write_shim
    os.mkdir = _mkdir_shim
    sqlite3.connect = sqlite3.dbapi2.connect = _connect_shim  # type: ignore[assignment]
