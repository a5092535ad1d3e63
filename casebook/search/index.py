"""The on-disk index: one live directory behind a symlink, writers serialized by a file lock.

``rebuild`` builds into a fresh sibling directory and swaps the ``current`` symlink atomically,
so searchers keep reading the old directory until they next refresh. ``update`` changes the live
index in place. Both take an exclusive ``flock``, so two writers (threads or processes) wait for
each other instead of failing; readers never lock.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from ..progress import Progress
from . import runs
from .bodies import FILE_NAME as BODIES_FILE
from .bodies import Bodies, BodyAppender
from .schema import SCHEMA_VERSION, SEP, IndexDoc, Prepared, make_schema, to_fields

logger = logging.getLogger(__name__)


PARALLEL_FROM = 1000
OPEN_ATTEMPTS = 3


class IndexMissing(RuntimeError):
    """There is no usable index yet (run ``casebook sync`` or ``casebook reindex``)."""


class IndexBusy(TimeoutError):
    """Another writer held the index longer than the caller would wait; the message is Chinese."""


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
    order: tuple[int, ...]
    """Each document's rank by date, newest first (then key): the tie-breaker of every ranking."""
    newest_first: tuple[int, ...]
    """Every docnum (live or not) by ``order``."""
    body_at: tuple[int, ...]
    body_end: tuple[int, ...]
    bodies: Bodies = field(compare=False)
    """The folded bodies, mapped: ``bodies.text(body_at[d], body_end[d])``."""
    titles: Joined = field(compare=False)
    metas: Joined = field(compare=False)
    live_set: frozenset[int] = field(default=frozenset(), compare=False)
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


class SearchIndex:
    """The index under ``root`` (``DATA_DIR/search``)."""

    def __init__(self, root: Path, write_timeout: float = 120.0, parallel_from: int = PARALLEL_FROM) -> None:
        self.root = root
        self.write_timeout = write_timeout
        self.parallel_from = parallel_from
        self._local = threading.local()
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()

    # -- locations -------------------------------------------------------------------------
    @property
    def _link(self) -> Path:
        return self.root / "current"

    def _live_dir(self) -> Path | None:
        try:
            target = os.readlink(self._link)
        except OSError:
            return None
        path = self.root / target
        return path if (path / f"v{SCHEMA_VERSION}").exists() else None

    def exists(self) -> bool:
        """True when a live index of the current schema version is in place."""
        return self._live_dir() is not None

    def usable(self) -> bool:
        """True when the live index exists and opens (its pickled schema matches this code)."""
        live = self._live_dir()
        if live is None:
            return False
        if not (live / BODIES_FILE).exists():
            logger.warning("search index at %s has no bodies file; it will be rebuilt", live)
            return False
        try:
            whoosh_index.open_dir(str(live)).searcher().close()
        except Exception:  # any failure to open means: rebuild it
            logger.warning("search index at %s does not open; it will be rebuilt", live, exc_info=True)
            return False
        return True

    @contextlib.contextmanager
    def _write_lock(self, wait: float | None = None) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        wait = self.write_timeout if wait is None else wait
        with open(self.root / "write.lock", "a+b") as handle:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexBusy(f"搜索索引正忙（另一项写入已超过 {wait:.0f} 秒）") from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # -- writing ---------------------------------------------------------------------------
    def rebuild(
        self, docs: Iterable[IndexDoc], user_words: Iterable[str] = (), total: int = 0, progress: Progress | None = None
    ) -> int:
        """Build a complete index in a fresh directory, then swap it in; return the document count."""
        words = tuple(user_words)
        with self._write_lock(), runs.chunked_pool():  # casebook's own build: its faster spill runs
            fresh = self.root / f"gen-{time.time_ns()}"
            fresh.mkdir(parents=True)
            ix = whoosh_index.create_in(str(fresh), make_schema())
            count = 0
            # Large builds index in two worker processes (this one prepares the documents).
            parallel = {"procs": 2, "multisegment": True} if total >= self.parallel_from else {}
            writer = ix.writer(limitmb=128, compound=False, **parallel)
            try:
                with BodyAppender(fresh) as bodies:
                    for doc in docs:
                        writer.add_document(**_placed(to_fields(doc, words), bodies))
                        count += 1
                        if progress is not None and count % 500 == 0:
                            progress(count, total)
                if progress is not None:
                    progress(count, total)
                # Not optimize=True: merging the two workers' segments into one costs a third of
                # the build (bench/search.py) and searching two segments is as fast.
                writer.commit(optimize=not parallel)
            except BaseException:
                writer.cancel()
                shutil.rmtree(fresh, ignore_errors=True)
                raise
            (fresh / f"v{SCHEMA_VERSION}").touch()
            old = self._live_dir()
            temp_link = self.root / f".current-{os.getpid()}"
            temp_link.unlink(missing_ok=True)
            temp_link.symlink_to(fresh.name)
            os.replace(temp_link, self._link)
            # The generation just replaced stays until the next rebuild: searches that began on
            # it finish there (Whoosh opens some of its files lazily). Older ones go.
            for stale in self.root.glob("gen-*"):
                if stale not in (fresh, old):
                    shutil.rmtree(stale, ignore_errors=True)
        return count

    def update(
        self,
        docs: Iterable[IndexDoc],
        remove: Iterable[str] = (),
        user_words: Iterable[str] = (),
        wait: float | None = None,
    ) -> None:
        """Add or replace ``docs`` and delete the ``remove`` keys in the live index; ``IndexBusy``
        when another writer (a rebuild) holds the index longer than ``wait`` seconds."""
        docs, remove, words = list(docs), list(remove), tuple(user_words)
        if not docs and not remove:
            return
        prepared = [to_fields(doc, words) for doc in docs]  # the slow part, outside the lock
        with self._write_lock(wait), runs.chunked_pool():
            live = self._live_dir()
            if live is None:
                raise IndexMissing("no search index yet")
            writer = whoosh_index.open_dir(str(live)).writer()
            try:
                for key in remove:
                    writer.delete_by_term("key", key)
                with BodyAppender(live) as bodies:  # synced before the commit that refers to it
                    placed = [_placed(p, bodies) for p in prepared]
                for fields in placed:
                    writer.update_document(**fields)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise

    # -- reading ---------------------------------------------------------------------------
    def view(self) -> View:
        """This thread's view of the live index, refreshed when the index has changed."""
        local = self._local
        for attempt in range(OPEN_ATTEMPTS):
            live = self._live_dir()
            if live is None:
                raise IndexMissing("no search index yet")
            current: View | None = getattr(local, "view", None)
            if current is not None and current.dir == live and current.searcher.up_to_date():
                return current
            commits = _commits(live)
            try:
                # A fresh searcher, never Searcher.refresh(): in every current Whoosh fork
                # refresh() keeps the old segments too and returns replaced or merged documents twice.
                searcher = whoosh_index.open_dir(str(live)).searcher()
                try:
                    fresh = View(live, searcher, self._snapshot_for(searcher, live))
                except BaseException:
                    searcher.close()
                    raise
            except Exception:
                # A writer replaced this generation's files while they were being opened (a
                # commit's new table of contents, merged segments, a rebuild's swap): look again.
                # A failure on an index that did not change is a real error.
                changed = self._live_dir() != live or _commits(live) != commits
                if attempt == OPEN_ATTEMPTS - 1 or not changed:
                    raise
                time.sleep(0.01 * (attempt + 1))
                continue
            local.view = fresh
            if current is not None:
                current.searcher.close()  # only now: a failed reopen keeps the old, open view
            return fresh
        raise AssertionError("unreachable")

    def is_current(self, view: View) -> bool:
        """True when ``view`` still reads the live index as it is now (no commit or swap since)."""
        try:
            return self._live_dir() == view.dir and bool(view.searcher.up_to_date())
        except Exception:  # its files are gone: certainly not current
            return False

    def _snapshot_for(self, searcher: Searcher, live: Path) -> Snapshot:
        generation = (live.name, int(searcher.reader().generation() or 0))
        with self._snapshot_lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = _read_snapshot(searcher, generation, live)
            return self._snapshot


class View:
    """One thread's searcher over one index generation, with that generation's snapshot."""

    def __init__(self, live: Path, searcher: Searcher, snapshot: Snapshot) -> None:
        self.dir = live
        self.searcher = searcher
        self.snapshot = snapshot
        self._body_column: Any = None

    def body(self, docnum: int, folded: bool) -> str:
        """A document's body text: folded for matching, or as written for snippets."""
        snap = self.snapshot
        if folded:
            return snap.bodies.text(snap.body_at[docnum], snap.body_end[docnum])
        if self._body_column is None:
            self._body_column = self.searcher.reader().column_reader("body")
        return bytes(self._body_column[docnum]).decode()


def _commits(directory: Path) -> frozenset[str]:
    """The index's tables of contents in ``directory`` (each commit writes a new one): whether a
    writer changed anything, from a directory listing rather than opening the index."""
    return frozenset(p.name for p in directory.glob("_MAIN_*.toc"))


def _placed(prepared: Prepared, bodies: BodyAppender) -> dict[str, Any]:
    """The entry's fields, its folded body appended to the bodies file and its offset recorded."""
    fields = prepared.fields
    fields["body_at"] = bodies.add(prepared.body_f)
    return fields


def _read_snapshot(searcher: Searcher, generation: tuple[str, int], live: Path) -> Snapshot:
    reader = searcher.reader()

    def column(name: str) -> list[Any]:
        if reader.doc_count_all() == 0:
            return []  # an index without segments has no column readers at all
        return list(reader.column_reader(name))

    def text(name: str) -> tuple[str, ...]:
        return tuple(bytes(v).decode() for v in column(name))

    keys, dates = column("key"), column("date")
    newest_first = sorted(range(len(keys)), key=lambda d: (_negated(dates[d]), keys[d]))
    order = [0] * len(keys)
    for rank, docnum in enumerate(newest_first):
        order[docnum] = rank
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
        order=tuple(order),
        newest_first=tuple(newest_first),
        body_at=tuple(body_at),
        body_end=tuple(map(int.__add__, body_at, column("body_len"))),
        bodies=Bodies(live),  # mapped after the searcher opened: it covers every offset it knows
        titles=Joined(title_f),
        metas=Joined(meta_f),
    )


def _negated(iso_date: str) -> tuple[int, ...]:
    """Sort key that puts newer dates first."""
    return tuple(-int(part) for part in iso_date.split("-"))
