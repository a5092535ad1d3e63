"""Faster spill files for Whoosh's posting pool (whoosh3 is pinned to 3.54.0, so this is safe to rely on).

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

import marshal
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from whoosh import writing

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


def install() -> None:
    """Make Whoosh's segment writers (also in forked worker processes) use the chunked pool."""
    writing.PostingPool = ChunkedPostingPool
