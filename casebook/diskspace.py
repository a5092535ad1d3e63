"""Telling a full disk from other failures, wherever it surfaces: a file write, SQLite, PostgreSQL.

A full disk is not a bug to log with a traceback: people are told so in one Chinese sentence and
nothing is left half-written (a staff save puts its file back, a sync keeps what it committed).
Pure: no Flask, no database imports.
"""

from __future__ import annotations

import errno

DISK_FULL = "磁盘空间不足"
SQLITE_FULL = 13
"""SQLite's result code for "database or disk is full" (``sqlite3.Error.sqlite_errorcode``)."""
POSTGRES_DISK_FULL = "53100"


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc``, or an error it wraps (``.orig``, its cause or context), says the disk is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(current, "sqlite_errorcode", None) == SQLITE_FULL or "database or disk is full" in str(current):
            return True
        if getattr(current, "pgcode", None) == POSTGRES_DISK_FULL:
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return False
