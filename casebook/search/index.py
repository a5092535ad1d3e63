"""The on-disk index: one live directory behind a symlink, writers serialized by a file lock.

``rebuild`` builds into a fresh sibling directory and swaps the ``current`` symlink atomically,
so searchers keep reading the old directory until they next refresh. ``update`` changes the live
index in place. Both take an exclusive ``flock``, so two writers (threads or processes) wait for
each other instead of failing; readers never lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.searching import Searcher

from .. import private
from ..progress import Progress
from . import runs
from .bodies import FILE_NAME as BODIES_FILE
from .bodies import BodyAppender
from .postings import term_docs
from .schema import SCHEMA_VERSION, IndexDoc, Prepared, make_schema, to_fields
from .snapshot import Snapshot, read_snapshot

logger = logging.getLogger(__name__)


PARALLEL_FROM = 1000
OPEN_ATTEMPTS = 3
FEW = 2000
"""Up to this many candidates, verifying each is cheaper than reading another gram's postings."""
VERIFY_GRAMS = 2
"""A verified needle's candidates: documents holding its rarest grams."""


class IndexMissing(RuntimeError):
    """There is no usable index yet (run ``casebook sync`` or ``casebook reindex``)."""


class IndexBusy(TimeoutError):
    """Another writer held the index longer than the caller would wait; the message is Chinese."""


class SearchIndex:
    """The index under ``root`` (``DATA_DIR/search``)."""

    _with_views: ClassVar[set[SearchIndex]] = set()
    """Indexes of this process that have open views (for ``close_all``; an app has one)."""

    @classmethod
    def close_all(cls) -> None:
        """Close the open views of every index in this process (at its end, or a test's)."""
        while cls._with_views:
            cls._with_views.pop().close()

    def __init__(self, root: Path, write_timeout: float = 120.0, parallel_from: int = PARALLEL_FROM) -> None:
        self.root = root
        self.write_timeout = write_timeout
        self.parallel_from = parallel_from
        self._local = threading.local()
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        # Every thread's open view by thread id: a thread that ends (a development server starts
        # one per request) leaves its view behind, and its files are closed when the next view opens.
        self._views: dict[int, View] = {}
        self._views_lock = threading.Lock()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's view (their files); the next search opens a fresh one. For the end
        of a process or a test: a thread searching at that moment loses its open view."""
        with self._views_lock:
            views, self._views = list(self._views.values()), {}
            self._local = threading.local()
            SearchIndex._with_views.discard(self)
        for view in views:
            view.searcher.close()

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
            _open_searcher(live).close()
        except Exception:  # any failure to open means: rebuild it
            logger.warning("search index at %s does not open; it will be rebuilt", live, exc_info=True)
            return False
        return True

    def glossary_stamp(self) -> str | None:
        """The glossary the live index was built with (``indexing.needs_rebuild``), from its file."""
        try:
            return (self.root / "glossary.stamp").read_text(encoding="ascii")
        except OSError:
            return None

    def set_glossary_stamp(self, stamp: str) -> None:
        path = self.root / "glossary.stamp"
        path.write_text(stamp, encoding="ascii")
        private.restrict(path)

    @contextlib.contextmanager
    def _write_lock(self, wait: float | None = None) -> Iterator[None]:
        private.folder(self.root)
        wait = self.write_timeout if wait is None else wait
        with private.lock_file(self.root / "write.lock") as handle:
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
            private.folder(fresh)
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
            private.restrict(fresh, self.root)  # Whoosh creates its files with the umask's mode
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
            writer = _writer(whoosh_index.open_dir(str(live)))
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
            private.restrict(live)

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
                searcher = _open_searcher(live)
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
            self._keep(fresh)  # only now: a failed reopen keeps the old, open view
            return fresh
        raise AssertionError("unreachable")

    def _keep(self, view: View) -> None:
        """Register this thread's new view; close the one it replaces and those of ended threads."""
        me = threading.get_ident()
        with self._views_lock:
            alive = {thread.ident for thread in threading.enumerate()}
            done = [self._views.pop(ident) for ident in list(self._views) if ident not in alive or ident == me]
            self._views[me] = view
            SearchIndex._with_views.add(self)
        for old in done:
            old.searcher.close()

    def is_current(self, view: Any) -> bool:
        """True when ``view`` still reads the live index as it is now (no commit or swap since)."""
        try:
            return self._live_dir() == view.dir and bool(view.searcher.up_to_date())
        except Exception:  # its files are gone: certainly not current
            return False

    def _snapshot_for(self, searcher: Searcher, live: Path) -> Snapshot:
        generation = (live.name, int(searcher.reader().generation() or 0))
        with self._snapshot_lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = read_snapshot(searcher, generation, live)
            return self._snapshot


class View:
    """One thread's searcher over one index generation, with that generation's snapshot."""

    def __init__(self, live: Path, searcher: Searcher, snapshot: Snapshot) -> None:
        self.dir = live
        self.searcher = searcher
        self.snapshot = snapshot
        self._body_column: Any = None

    def release(self) -> None:
        """Nothing to give back: the thread keeps its view until the index changes."""

    def prefetch_bodies(self, docnums: list[int]) -> None:
        """Nothing to do: the bodies are in a mapped file and a column."""

    def needle_candidates(self, needle: str, grams: list[str], exact: bool) -> set[int]:
        """Documents that may hold a needle with these ``grams``: all of them when ``exact`` (one
        run of 1–2 characters: the one gram proves it), else holders of its rarest grams (every gram
        read costs its postings; reading the rest rarely removes enough to pay for itself)."""
        if exact:
            return self.gram_docs(grams[0])
        frequency = self.searcher.doc_frequency
        ranked = sorted(grams, key=lambda g: frequency("grams", g))
        found = self.gram_docs(ranked[0])
        for gram in ranked[1:VERIFY_GRAMS]:
            if len(found) <= FEW:
                break
            found &= self.gram_docs(gram)
        return found

    def gram_docs(self, gram: str) -> set[int]:
        return term_docs(self.searcher, "grams", gram)

    def word_docs(self, word: str) -> set[int]:
        return term_docs(self.searcher, "words", word)

    def bodies_containing(self, needle: str, docs: set[int]) -> set[int]:
        """Those of ``docs`` whose folded body (in the mapped bodies file) contains ``needle``."""
        snap = self.snapshot
        find = snap.bodies.finder() if snap.bodies is not None else None
        if find is None or not docs:
            return set()
        raw, at, end, search_body = needle.encode(), snap.body_at, snap.body_end, find.find
        return {d for d in docs if search_body(raw, at[d], end[d]) != -1}

    def body(self, docnum: int, folded: bool) -> str:
        """A document's body text: folded for matching, or as written for snippets."""
        snap = self.snapshot
        assert snap.bodies is not None
        if folded:
            return snap.bodies.text(snap.body_at[docnum], snap.body_end[docnum])
        if self._body_column is None:
            self._body_column = self.searcher.reader().column_reader("body")
        return bytes(self._body_column[docnum]).decode()


class _OpeningStorage(FileStorage):  # type: ignore[misc]
    """A file storage that remembers the files it opens until the index has opened.

    Whoosh leaves a file open when reading it fails (a damaged table of contents, a segment a
    writer just removed); those are closed here instead of waiting for the garbage collector.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path, readonly=True)
        self.opening: list[Any] | None = []

    def open_file(self, name: str, **kwargs: Any) -> Any:
        handle = super().open_file(name, **kwargs)
        if self.opening is not None:
            self.opening.append(handle)
        return handle


def _open_searcher(live: Path) -> Searcher:
    """A searcher on the index in ``live``; nothing left open when that fails."""
    storage = _OpeningStorage(str(live))
    try:
        searcher = storage.open_index().searcher()
    except BaseException:
        for handle in storage.opening or ():
            with contextlib.suppress(Exception):
                handle.close()
        raise
    storage.opening = None  # the searcher owns its files now
    return searcher


def _commits(directory: Path) -> frozenset[str]:
    """The index's tables of contents in ``directory`` (each commit writes a new one): whether a
    writer changed anything, from a directory listing rather than opening the index."""
    return frozenset(p.name for p in directory.glob("_MAIN_*.toc"))


def _placed(prepared: Prepared, bodies: BodyAppender) -> dict[str, Any]:
    """The entry's fields, its folded body appended to the bodies file and its offset recorded."""
    fields = prepared.fields
    fields["body_at"] = bodies.add(prepared.body_f)
    return fields


def _writer(ix: Any) -> Any:
    """``ix.writer()``, whose lock is given back when the writer cannot be set up.

    Whoosh's ``SegmentWriter`` takes the index's ``WRITELOCK``, then makes its temporary folder and
    segment files; when that fails (a full ext4 or xfs disk refuses a new folder) the lock stays
    with the half-made writer until the garbage collector frees it, and meanwhile every other
    process's update fails with ``LockError``. So the lock is taken here, as Whoosh would take it,
    and released on such a failure; a writer that was made releases it on commit or cancel as its
    own. Relies on ``SegmentWriter``'s ``_lk`` argument and ``writelock`` attribute (whoosh3 is
    pinned; ``tests/test_reliability.py`` fails if either changes)."""
    lock = ix.lock("WRITELOCK")
    if not lock.acquire():
        raise LockError
    try:
        writer = ix.writer(_lk=False)
    except BaseException:
        lock.release()
        raise
    writer.writelock = lock
    return writer
