"""Folded entry bodies in one append-only file beside the Whoosh index, read through ``mmap``.

Verifying a common term means looking into tens of thousands of bodies per query. Read from a
Whoosh column each body is a seek, a read and a decode; here it is ``mmap.find`` over the body's
bytes, with the operating system's page cache as the only cache (shared by every worker process,
nothing held in Python). Bodies are UTF-8: a UTF-8 needle occurs in UTF-8 text exactly where the
string occurs in the string, so byte search is exact.

The file only grows: ``update`` appends a changed body and the index document records its offset,
so a reader that mapped the file earlier still sees everything its index generation refers to. A
rebuild writes a fresh file in its fresh directory, which drops the superseded bodies.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from types import TracebackType

FILE_NAME = "bodies"


class BodyAppender:
    """Appends bodies to ``dir/bodies``; use as a context manager (flushes and syncs on exit)."""

    def __init__(self, directory: Path) -> None:
        self._handle = open(directory / FILE_NAME, "ab")  # noqa: SIM115 - closed in __exit__
        self._at = self._handle.seek(0, os.SEEK_END)

    def add(self, data: bytes) -> int:
        """Append ``data``; return its offset."""
        at = self._at
        self._handle.write(data)
        self._at += len(data)
        return at

    def __enter__(self) -> BodyAppender:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        # Written and synced before the index commit that refers to it.
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
        finally:
            self._handle.close()


class Bodies:
    """A read-only map of ``dir/bodies`` as it is now (later appends need a new ``Bodies``).

    A missing file raises ``FileNotFoundError``: searching without the bodies would silently
    miss every match that is only in a body.
    """

    def __init__(self, directory: Path) -> None:
        self._map: mmap.mmap | None = None
        with open(directory / FILE_NAME, "rb") as handle:
            if os.fstat(handle.fileno()).st_size:  # an index whose bodies are all empty has none
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)

    def text(self, start: int, end: int) -> str:
        """The body stored at ``start:end``."""
        return self._map[start:end].decode() if self._map is not None and end > start else ""

    def finder(self) -> mmap.mmap | None:
        """The map itself, for tight loops: ``.find(needle_utf8, start, end) != -1`` is a match."""
        return self._map
