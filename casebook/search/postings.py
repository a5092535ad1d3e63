"""A term's documents as a Python set, read a posting block at a time.

``Searcher.docs_for_query`` walks Whoosh's matcher tree one posting at a time (several Python calls
per document); for a common gram at 100k entries that is most of a query. Here each on-disk block's
ids go into the set in one C-level step. Whoosh's own matcher is used for anything that is not a
plain on-disk posting list, and deleted documents are removed as Whoosh would.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import accumulate, chain
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

from . import runs


def term_docs(searcher: Searcher, field: str, text: str) -> set[int]:
    """The live documents (top-level docnums) whose ``field`` holds the term ``text``."""
    parts: list[Iterable[int]] = []
    deleted: list[int] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if (field, text) not in reader:
            continue
        matcher = reader.postings(field, text)
        if isinstance(matcher, FilterMatcher):  # the segment has deletions
            deleted.extend(d + offset for d in reader.deleted_docs_set)
            matcher = matcher.child
        ids = _ids(matcher)
        parts.append(map(offset.__add__, ids) if offset else ids)
    found = set(chain.from_iterable(parts))  # one C-level pass over every block of every segment
    found.difference_update(deleted)
    return found


def _ids(matcher: Any) -> Iterable[int]:
    # the block reading below uses W3LeafMatcher's private state: only on the Whoosh it was written for
    if not runs.supported() or not isinstance(matcher, W3LeafMatcher) or not hasattr(matcher, "_data"):
        return matcher.all_ids()  # type: ignore[no-any-return]
    blocks: list[Iterable[int]] = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        raw = matcher._data[0]
        blocks.append(raw if matcher._byteids else accumulate(raw))  # docnums are delta-coded
        matcher._next_block()
    return chain.from_iterable(blocks)
