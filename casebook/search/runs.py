"""Faster spill files for Whoosh's posting pool, used only while casebook itself writes an index, and
only on the Whoosh it was written for (whoosh3 3.54.0, pinned); on any other version casebook uses
stock Whoosh and logs one warning.

While a segment is built, Whoosh collects postings in a pool; past ``limitmb`` it sorts them and
spills a *run* to a temporary file, then merges all runs at commit. Whoosh writes every posting
with its own ``pickle.dump`` call and reads it back with its own ``pickle.load``: for casebook's
~2,500 character-gram postings per entry that was a third of a 10,000-entry build (profiled in
bench/search.py). Here a run is written as chunks of postings with ``marshal`` (postings are tuples
of str, bytes, int, float and bytes/None, all marshal types), read back chunk by chunk, so memory
stays bounded by one chunk per run. The sorted order, and so the index, is byte-for-byte the same
(tested in tests/test_search_runs.py).
"""

from __future__ import annotations

import logging
import marshal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import whoosh
from whoosh import writing

logger = logging.getLogger(__name__)

WRITTEN_FOR = "3.54.0"
"""The Whoosh version whose private pool and matcher internals this module and ``postings`` use."""

CHUNK = 10_000
WhooshPostingPool = writing.PostingPool
"""Whoosh's own pool, kept for comparison (tests) whatever ``install`` has done since."""


class ChunkedPostingPool(WhooshPostingPool):  # type: ignore[misc,valid-type]
    """``PostingPool`` whose runs are marshal-ed chunks instead of one pickle per posting."""

    def _write_run(self, f: BinaryIO, items: Iterable[Any]) -> None:
        chunk: list[Any] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                marshal.dump(chunk, f)
                chunk = []
        if chunk:
            marshal.dump(chunk, f)
        f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


_lock = threading.Lock()
_depth = 0
_warned = False


def supported() -> bool:
    """Whether this Whoosh is the one casebook's overrides were written for (else: stock Whoosh)."""
    global _warned
    if whoosh.versionstring() == WRITTEN_FOR:
        return True
    if not _warned:
        _warned = True
        logger.warning(
            "Whoosh %s is not %s: casebook uses stock Whoosh (slower index builds and term lookups)",
            whoosh.versionstring(),
            WRITTEN_FOR,
        )
    return False


@contextmanager
def chunked_pool() -> Iterator[bool]:
    """While casebook writes an index: its segment writers (also those forked for ``procs=2``) use
    the chunked pool. Outside, and on another Whoosh version, Whoosh's own pool stays in place, so
    any other Whoosh use in the process is untouched. Yields whether the chunked pool is in use."""
    global _depth
    if not supported():
        yield False
        return
    with _lock:
        if _depth == 0:
            writing.PostingPool = ChunkedPostingPool
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                writing.PostingPool = WhooshPostingPool
