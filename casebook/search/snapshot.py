"""Per-generation arrays of small per-document values, read once from the index's columns.

A :class:`Snapshot` is shared by every thread of a process until the index's generation changes;
filters, facet counts, ranking ties and title/meta finds work on it without touching Whoosh.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from whoosh.searching import Searcher

from .bodies import Bodies
from .schema import SEP


@dataclass
class Snapshot:
    """Per-generation arrays of small per-document values, shared by all threads of a process."""

    generation: tuple[str, int]
    live: tuple[int, ...]
    key: tuple[str, ...]
    kind: tuple[str, ...]
    topic: tuple[str, ...]
    scope: tuple[str, ...]
    street: tuple[str, ...]
    year: tuple[str, ...]
    date: tuple[str, ...]
    sample: tuple[bool, ...]
    tags: tuple[tuple[str, ...], ...]
    title: tuple[str, ...]
    title_f: tuple[str, ...]
    meta_f: tuple[str, ...]
    order: tuple[float, ...]
    """Each document's rank by date, newest first (then key): the tie-breaker of every ranking
    (only compared: the PostgreSQL backend puts a new document's rank between its neighbours')."""
    newest_first: tuple[int, ...]
    """Every docnum (live or not) by ``order``."""
    body_at: tuple[int, ...]
    body_end: tuple[int, ...]
    bodies: Bodies | None = field(compare=False)
    """The folded bodies, mapped: ``bodies.text(body_at[d], body_end[d])`` (Whoosh; None: in the database)."""
    titles: Joined = field(compare=False)
    metas: Joined = field(compare=False)
    live_set: frozenset[int] = field(default=frozenset(), compare=False)
    docnum: tuple[int, ...] = field(default=(), compare=False)
    """PostgreSQL backend: each position's row id (``docnum``) in the documents table."""
    position: dict[int, int] = field(default_factory=dict, compare=False)
    """PostgreSQL backend: each row id's position."""
    _facets: dict[str, dict[str, frozenset[int]]] = field(default_factory=dict, compare=False)
    _totals: dict[str, Counter[str]] = field(default_factory=dict, compare=False)

    def facet_docs(self, name: str) -> dict[str, frozenset[int]]:
        """``{value: live docnums}`` of one facet (``tag`` included), computed once per snapshot."""
        found = self._facets.get(name)
        if found is None:  # a benign race: two threads may compute the same thing
            groups: dict[str, set[int]] = {}
            for docnum in self.live:
                values = self.tags[docnum] if name == "tag" else (getattr(self, name)[docnum],)
                for value in values:
                    if value:
                        groups.setdefault(value, set()).add(docnum)
            found = self._facets[name] = {value: frozenset(docs) for value, docs in groups.items()}
        return found

    def facet_totals(self, name: str) -> Counter[str]:
        """``{value: live documents}`` of one facet, computed once per snapshot."""
        found = self._totals.get(name)
        if found is None:
            found = self._totals[name] = self.tally(name, self.live)
        return found

    def tally(self, name: str, docs: Iterable[int]) -> Counter[str]:
        """``{value: documents}`` of one facet among ``docs`` (no empty values)."""
        if name == "tag":
            return Counter(chain.from_iterable(map(self.tags.__getitem__, docs)))
        counts = Counter(map(getattr(self, name).__getitem__, docs))
        counts.pop("", None)
        return counts


class Joined:
    """Short folded texts (titles or metas) of every document in one string, for one-pass finds.

    Documents are joined by newlines, which no query term contains, so a match never spans two.
    """

    def __init__(self, texts: tuple[str, ...]) -> None:
        self.texts = texts
        self.joined = "\n".join(texts)
        starts, at = [], 0
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        self.starts = starts

    def containing(self, needle: str) -> set[int]:
        """Docnums whose text contains ``needle`` (a needle with a newline: checked one by one)."""
        if not needle:
            return set(range(len(self.texts)))
        if "\n" in needle:
            return {d for d, text in enumerate(self.texts) if needle in text}
        found: set[int] = set()
        starts, find = self.starts, self.joined.find
        at = find(needle)
        while at != -1:
            docnum = bisect.bisect_right(starts, at) - 1
            found.add(docnum)
            following = docnum + 1
            at = find(needle, starts[following]) if following < len(starts) else -1
        return found


def read_snapshot(searcher: Searcher, generation: tuple[str, int], live: Path) -> Snapshot:
    """Read one index generation's per-document columns into a :class:`Snapshot`."""
    reader = searcher.reader()

    def column(name: str) -> list[Any]:
        if reader.doc_count_all() == 0:
            return []  # an index without segments has no column readers at all
        return list(reader.column_reader(name))

    def text(name: str) -> tuple[str, ...]:
        return tuple(bytes(v).decode() for v in column(name))

    keys, dates = column("key"), column("date")
    newest_first, order = order_by_date(keys, dates)
    body_at = column("body_at")
    title_f, meta_f = text("title_f"), text("meta_f")
    live_docs = tuple(reader.all_doc_ids())
    return Snapshot(
        generation=generation,
        live=live_docs,
        live_set=frozenset(live_docs),
        key=tuple(keys),
        kind=tuple(column("kind")),
        topic=tuple(column("topic")),
        scope=tuple(column("scope")),
        street=tuple(column("street")),
        year=tuple(column("year")),
        date=tuple(dates),
        sample=tuple(v == "1" for v in column("sample")),
        tags=tuple(tuple(t for t in bytes(v).decode().split(SEP) if t) for v in column("tags")),
        title=text("title"),
        title_f=title_f,
        meta_f=meta_f,
        order=order,
        newest_first=newest_first,
        body_at=tuple(body_at),
        body_end=tuple(map(int.__add__, body_at, column("body_len"))),
        bodies=Bodies(live),  # mapped after the searcher opened: it covers every offset it knows
        titles=Joined(title_f),
        metas=Joined(meta_f),
    )


def order_by_date(keys: Sequence[str], dates: Sequence[str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Document numbers newest first (then by key), and each document's rank in that order."""
    newest_first = sorted(range(len(keys)), key=lambda d: (negated_date(dates[d]), keys[d]))
    order = [0] * len(keys)
    for rank, docnum in enumerate(newest_first):
        order[docnum] = rank
    return tuple(newest_first), tuple(order)


def negated_date(iso_date: str) -> tuple[int, ...]:
    """Sort key that puts newer dates first."""
    return tuple(-int(part) for part in iso_date.split("-"))
