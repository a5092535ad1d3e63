"""The search index in PostgreSQL (``CASEBOOK_SEARCH=postgres``): any number of servers, no files.

The same documents, the same matching and the same ranking as the Whoosh index (``index.py``):
``query.search`` answers from either. Only the storage differs:

- ``<name>_doc``: one row per published entry, with the fields ``schema.to_fields`` makes — its
  character unigrams and bigrams plus its ``spaced_grams`` (``grams text[]``) and segmenter words
  (``words text[]``), each with a GIN index (both ship with Debian's ``postgresql``: no extension
  needed), the folded title and meta, the body as written (snippets), and the generation of the
  write that inserted the row.
- ``<name>_body``: each row's folded body, which candidates are verified against (``split_part``),
  uncompressed and kept in the row up to a page.
- ``<name>_gone``: the row ids (``docnum``) each generation deleted, for a while (``KEEP``).
- ``<name>_state``: the index's layout version, its generation (a number bumped by every commit
  that changes the documents), the generation of its last rebuild and the glossary stamp
  ``indexing`` compares.

A search runs in one ``REPEATABLE READ`` read-only transaction: it reads the generation, and every
query it makes sees that generation. Each look-up is one statement whose row ids come back as one
array. The small per-document values (keys, facets, dates, titles, metas) are held in a
:class:`Snapshot` per generation per process and shared by its threads, as the Whoosh backend
does; grams, words and bodies are asked of the database. A snapshot is brought forward from the
one the process holds by the rows written and deleted since (read in the search's own
transaction, so it is exactly the generation that transaction sees); it is read whole only at a
process's first search, after a rebuild, or when it is more than ``KEEP`` generations behind. A
fresh process serves its first search at once: there is nothing to build. Writers take turns under
a transaction-scoped advisory lock; ``rebuild`` replaces every row within one transaction, so a
search sees the old index or the new, never half.

No Flask here; the caller passes a database URL.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError

from ..progress import Progress
from ..turns import advisory_number
from .index import IndexBusy, IndexMissing
from .schema import SCHEMA_VERSION, IndexDoc, Prepared, to_fields
from .snapshot import Joined, Snapshot, negated_date, order_by_date
from .text import spaced_grams

LAYOUT = f"{SCHEMA_VERSION}.pg4"
"""What the state's ``schema`` row holds: the documents' schema version and this module's table
layout (``pg4``: rows carry their generation, deletions are logged, folded bodies in a table of
their own, grams include ``spaced_grams``). An index of any other value is
rebuilt, never read."""
KEEP = 1000
"""Generations the deletion log keeps: a snapshot further behind is read whole."""
COMPACT = 0.25
"""A snapshot brought forward keeps deleted rows' positions (dead, out of ``live``) until they are
this share of all its positions; then it is rebuilt from itself without them."""
SNAPSHOTS = 2
"""Snapshots a process keeps (the newest generations): a search in an older transaction than
another thread's still finds its own."""
PER_DOCUMENT = (
    "key",
    "kind",
    "topic",
    "scope",
    "street",
    "year",
    "date",
    "sample",
    "tags",
    "title",
    "title_f",
    "meta_f",
)
"""The snapshot's per-position tuples that come from a row's columns (besides ``docnum``)."""
COLUMNS = (*PER_DOCUMENT, "body", "grams", "words", "generation")
"""The documents table's columns a write fills (``body_f`` goes to the bodies table)."""
ARRAYS = ("tags", "grams", "words")
"""The columns of type ``text[]`` (written as array literals)."""
SNAPSHOT_COLUMNS = ", ".join(("docnum", *PER_DOCUMENT))
BATCH = 500


class PgSearchIndex:
    """The index in tables named after ``name`` in the database at ``url``."""

    def __init__(self, url: str, name: str = "search", write_timeout: float = 120.0) -> None:
        if not url.startswith("postgresql"):
            raise ValueError("CASEBOOK_SEARCH=postgres needs a PostgreSQL database (CASEBOOK_DATABASE_URL)")
        self.url, self.name, self.write_timeout = url, name, write_timeout
        self.doc_table, self.state_table, self.gone_table = f"{name}_doc", f"{name}_state", f"{name}_gone"
        self.body_table = f"{name}_body"
        self._engine: Engine | None = None
        self._reader: Engine | None = None
        self._engine_lock = threading.Lock()
        self._snapshots: dict[int, Snapshot] = {}
        self._snapshot_lock = threading.Lock()
        self._lock_number = advisory_number("casebook-search-writer", name)
        self.snapshot_reads = {"whole": 0, "forward": 0, "compacted": 0}
        """How this process's snapshots were made (tests and the benchmark look)."""

    # -- the engine ------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """Writers' and housekeeping connections."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = create_engine(self.url, pool_pre_ping=True)
            return self._engine

    @property
    def reader(self) -> Engine:
        """Searches' connections: each transaction ``REPEATABLE READ`` and read-only from its
        ``BEGIN``, through the indexes (see ``view``), with no statement spent on saying so."""
        with self._engine_lock:
            if self._reader is None:
                self._reader = create_engine(
                    self.url,
                    pool_pre_ping=True,
                    isolation_level="REPEATABLE READ",
                    connect_args={"options": "-c default_transaction_read_only=on -c enable_seqscan=off"},
                )
            return self._reader

    def __enter__(self) -> PgSearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Give back the database connections (the end of a process or a test)."""
        with self._engine_lock:
            for engine in (self._engine, self._reader):
                if engine is not None:
                    engine.dispose()
            self._engine = self._reader = None

    # -- state -----------------------------------------------------------------------------
    def _state(self, connection: Connection) -> dict[str, str] | None:
        exists = connection.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": self.state_table})
        if not exists:
            return None
        rows = connection.execute(text(f"SELECT key, value FROM {self.state_table}"))
        return {key: value for key, value in rows}

    def exists(self) -> bool:
        """True when an index of this layout version is in the database."""
        with self.engine.connect() as connection:
            state = self._state(connection)
        return state is not None and state.get("schema") == LAYOUT

    def usable(self) -> bool:
        return self.exists()

    def glossary_stamp(self) -> str | None:
        """The glossary the index was built with (``indexing.needs_rebuild``)."""
        with self.engine.connect() as connection:
            state = self._state(connection)
        return None if state is None else state.get("glossary")

    def set_glossary_stamp(self, stamp: str) -> None:
        with self.engine.begin() as connection:
            self._set(connection, "glossary", stamp)

    def _set(self, connection: Connection, key: str, value: str) -> None:
        connection.execute(
            text(
                f"INSERT INTO {self.state_table} (key, value) VALUES (:k, :v)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            {"k": key, "v": value},
        )

    def _bump(self, connection: Connection) -> int:
        """A new generation (the number): every process brings its snapshot forward at its next search."""
        return int(
            connection.scalar(
                text(
                    f"UPDATE {self.state_table} SET value = (value::bigint + 1)::text"
                    " WHERE key = 'generation' RETURNING value"
                )
            )
        )

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def _writing(self, wait: float | None = None) -> Iterator[Connection]:
        """A transaction holding the writers' advisory lock; ``IndexBusy`` after ``wait`` seconds."""
        wait = self.write_timeout if wait is None else wait
        with self.engine.begin() as connection:
            connection.execute(text(f"SET LOCAL lock_timeout = '{max(1, int(wait * 1000))}ms'"))
            try:
                connection.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": self._lock_number})
            except DBAPIError as exc:
                if "lock timeout" not in str(exc.orig) and getattr(exc.orig, "sqlstate", "") != "55P03":
                    raise
                raise IndexBusy(f"搜索索引正忙（另一项写入已超过 {wait:.0f} 秒）") from None
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            yield connection

    def rebuild(
        self, docs: Iterable[IndexDoc], user_words: Iterable[str] = (), total: int = 0, progress: Progress | None = None
    ) -> int:
        """Replace every document in one transaction; the count. Searches meanwhile read the
        documents as they were (rows, not tables, are replaced: a table swap is not MVCC-safe, a
        search that began before it would find the new table empty)."""
        words = tuple(user_words)
        with self._writing() as connection:
            state = self._state(connection)
            if state is None or state.get("schema") != LAYOUT:  # first build, or a new layout
                for table in (self.doc_table, self.body_table, self.gone_table):
                    connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
                for statement in _TABLES:
                    connection.execute(
                        text(statement.format(doc=self.doc_table, body=self.body_table, gone=self.gone_table))
                    )
                connection.execute(
                    text(f"CREATE TABLE IF NOT EXISTS {self.state_table} (key text PRIMARY KEY, value text NOT NULL)")
                )
                self._set(connection, "schema", LAYOUT)
                connection.execute(
                    text(
                        f"INSERT INTO {self.state_table} (key, value) VALUES ('generation', '0')"
                        " ON CONFLICT (key) DO NOTHING"
                    )
                )
            else:
                for table in (self.doc_table, self.body_table, self.gone_table):
                    connection.execute(text(f"DELETE FROM {table}"))
            generation = self._bump(connection)
            self._set(connection, "rebuilt", str(generation))  # older snapshots are read whole again
            count = 0
            batch: list[dict[str, Any]] = []
            for doc in docs:
                batch.append(_row(to_fields(doc, words), generation))
                count += 1
                if len(batch) == BATCH:
                    self._insert(connection, batch)
                    batch = []
                if progress is not None and count % 500 == 0:
                    progress(count, total)
            self._insert(connection, batch)
            if progress is not None:
                progress(count, total)
        with self.engine.connect() as connection:  # fresh statistics for the planner (outside the transaction)
            for table in (self.doc_table, self.body_table):
                connection.execute(text(f"ANALYZE {table}"))
            connection.commit()
        return count

    def update(
        self,
        docs: Iterable[IndexDoc],
        remove: Iterable[str] = (),
        user_words: Iterable[str] = (),
        wait: float | None = None,
    ) -> None:
        """Add or replace ``docs`` and delete the ``remove`` keys, in one transaction (which also
        logs the deleted rows' ids, for the snapshots of every process)."""
        docs, remove, words = list(docs), list(remove), tuple(user_words)
        if not docs and not remove:
            return
        prepared = [to_fields(doc, words) for doc in docs]  # the slow part, outside the lock
        with self._writing(wait) as connection:
            state = self._state(connection)
            if state is None or state.get("schema") != LAYOUT:
                raise IndexMissing("no search index yet")
            generation = self._bump(connection)
            rows = [_row(p, generation) for p in prepared]
            gone = [*remove, *(row["key"] for row in rows)]
            connection.execute(
                text(
                    f"WITH d AS (DELETE FROM {self.doc_table} WHERE key = ANY(:keys) RETURNING docnum),"
                    f" b AS (DELETE FROM {self.body_table} WHERE docnum IN (SELECT docnum FROM d))"
                    f" INSERT INTO {self.gone_table} (generation, docnum) SELECT :g, docnum FROM d"
                ),
                {"keys": gone, "g": generation},
            )
            if generation > KEEP:  # the log's oldest entries: no snapshot is brought forward from there
                connection.execute(
                    text(f"DELETE FROM {self.gone_table} WHERE generation <= :g"), {"g": generation - KEEP}
                )
            self._insert(connection, rows)

    def _insert(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        """Each row into the documents table, and its folded body into the bodies table."""
        if not rows:
            return
        names = ", ".join(COLUMNS)
        values = ", ".join(f"CAST(:{c} AS text[])" if c in ARRAYS else f":{c}" for c in COLUMNS)
        connection.execute(
            text(
                f"WITH d AS (INSERT INTO {self.doc_table} ({names}) VALUES ({values}) RETURNING docnum)"
                f" INSERT INTO {self.body_table} (docnum, body_f) SELECT docnum, :body_f FROM d"
            ),
            rows,
        )

    def cache_sizes(self) -> tuple[int, int]:
        """``(bytes, buffers)``: what searches read (the grams and words indexes, the documents'
        rows and the folded bodies) and PostgreSQL's ``shared_buffers``, both in bytes."""
        with self.engine.connect() as connection:
            read, buffers = connection.execute(
                text(
                    "SELECT coalesce(pg_relation_size(to_regclass(:grams)), 0)"
                    " + coalesce(pg_relation_size(to_regclass(:words)), 0)"
                    " + coalesce(pg_relation_size(to_regclass(:doc)), 0)"
                    " + coalesce(pg_total_relation_size(to_regclass(:body)), 0),"
                    " pg_size_bytes(current_setting('shared_buffers'))"
                ),
                {
                    "grams": f"{self.doc_table}_grams",
                    "words": f"{self.doc_table}_words",
                    "doc": self.doc_table,
                    "body": self.body_table,
                },
            ).one()
        return int(read), int(buffers)

    # -- reading ---------------------------------------------------------------------------
    def view(self) -> PgView:
        """A view of the index as it is now, in its own read-only transaction (``release`` it)."""
        # ``reader``'s transactions are REPEATABLE READ READ ONLY. They read with enable_seqscan =
        # off: a common gram is in most rows, and the planner then prefers reading the table, which
        # unpacks every row's gram array (~40 ms per 3,000 rows); the GIN index answers ``@>``
        # exactly (no recheck), in ~2 ms.
        connection = self.reader.connect()
        try:
            try:
                state: dict[str, str] = dict(
                    connection.execute(
                        text(
                            f"SELECT key, value FROM {self.state_table}"
                            " WHERE key IN ('schema', 'generation', 'rebuilt')"
                        )
                    ).all()
                )
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", "") != "42P01":  # undefined_table: never built
                    raise
                state = {}
            if state.get("schema") != LAYOUT:
                raise IndexMissing("no search index yet")
            snapshot = self._snapshot_for(connection, int(state["generation"]), int(state.get("rebuilt", "0")))
            return PgView(self, connection, snapshot)
        except BaseException:
            connection.close()
            raise

    def is_current(self, view: Any) -> bool:
        """A view's transaction sees one generation to its end: an error in it is a real error."""
        return True

    def _snapshot_for(self, connection: Connection, generation: int, rebuilt: int) -> Snapshot:
        """The snapshot of ``generation``, the one ``connection``'s transaction sees: held, brought
        forward from an older one held (by the rows changed since, read in that transaction), or
        read whole."""
        with self._snapshot_lock:
            held = self._snapshots.get(generation)
            if held is not None:
                return held
            bases = [g for g in self._snapshots if rebuilt <= g < generation and generation - g <= KEEP]
            if bases:
                snapshot = self._forward(connection, self._snapshots[max(bases)], generation)
            else:
                snapshot = _read_snapshot(connection, self.doc_table, ("pg", generation))
                self.snapshot_reads["whole"] += 1
            self._snapshots[generation] = snapshot
            for old in sorted(self._snapshots)[:-SNAPSHOTS]:
                del self._snapshots[old]
            return snapshot

    def _forward(self, connection: Connection, base: Snapshot, generation: int) -> Snapshot:
        since = base.generation[1]
        gone = connection.scalars(
            text(f"SELECT docnum FROM {self.gone_table} WHERE generation > :g"), {"g": since}
        ).all()
        rows = connection.execute(
            text(f"SELECT {SNAPSHOT_COLUMNS} FROM {self.doc_table} WHERE generation > :g ORDER BY docnum"),
            {"g": since},
        ).all()
        snapshot = _brought_forward(base, gone, rows, ("pg", generation))
        self.snapshot_reads["forward"] += 1
        dead = len(snapshot.key) - len(snapshot.live)
        if dead and dead > COMPACT * len(snapshot.key):
            snapshot = _compacted(snapshot)
            self.snapshot_reads["compacted"] += 1
        return snapshot


class PgView:
    """One search's reading of one generation: the shared snapshot and the transaction's queries.

    Positions (the snapshot's document numbers) are rows in ``docnum`` order; a snapshot brought
    forward keeps the positions of rows deleted since its last whole reading (out of ``live``:
    the database never returns them)."""

    def __init__(self, index: PgSearchIndex, connection: Connection, snapshot: Snapshot) -> None:
        self.index, self.connection, self.snapshot = index, connection, snapshot
        self._table = index.doc_table
        self._bodies: dict[int, tuple[str, str]] = {}

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()

    def _positions(self, sql: str, params: dict[str, Any]) -> set[int]:
        """The positions of the row ids ``sql`` aggregates into one array (one value to fetch
        instead of a row per document)."""
        docnums = self.connection.execute(text(sql), params).scalar()
        if not docnums:
            return set()
        found = set(map(self.snapshot.position.get, docnums))
        found.discard(None)  # none: the snapshot is this transaction's generation
        return found  # type: ignore[return-value]

    def needle_candidates(self, needle: str, grams: list[str], exact: bool) -> set[int]:
        """Documents holding all of a needle's grams (exactly its holders when ``exact``), and
        its ``x y`` grams when it has a space (the rows hold theirs: ``spaced_grams``)."""
        return self.grams_docs([*grams, *sorted(spaced_grams(needle))])

    def gram_docs(self, gram: str) -> set[int]:
        return self.grams_docs([gram])

    def grams_docs(self, grams: list[str]) -> set[int]:
        """Documents holding every one of ``grams`` (one GIN look-up for them all)."""
        return self._positions(f"SELECT array_agg(docnum) FROM {self._table} WHERE grams @> :g", {"g": grams})

    def word_docs(self, word: str) -> set[int]:
        return self._positions(f"SELECT array_agg(docnum) FROM {self._table} WHERE words @> :w", {"w": [word]})

    def bodies_containing(self, needle: str, docs: set[int]) -> set[int]:
        """Those of ``docs`` whose folded body contains ``needle``.

        ``split_part`` stops at the first occurrence as ``strpos`` does, but does not count the
        characters before it (``strpos`` returns a character position: a second walk over the
        multibyte text, a third of the time of a common needle's check)."""
        if not docs:
            return set()
        docnum = self.snapshot.docnum
        ids = "{" + ",".join([str(docnum[d]) for d in docs]) + "}"  # a literal: psycopg dumps lists item by item
        return self._positions(
            f"SELECT array_agg(docnum) FROM {self.index.body_table} WHERE docnum = ANY(CAST(:ids AS bigint[]))"
            " AND octet_length(split_part(body_f, :n, 1)) < octet_length(body_f)",
            {"ids": ids, "n": needle},
        )

    def prefetch_bodies(self, docnums: list[int]) -> None:
        """Read the bodies of a page's hits in one query."""
        wanted = {self.snapshot.docnum[d]: d for d in docnums if d not in self._bodies}
        if not wanted:
            return
        rows = self.connection.execute(
            text(
                f"SELECT d.docnum, d.body, b.body_f FROM {self._table} d JOIN {self.index.body_table} b"
                " USING (docnum) WHERE d.docnum = ANY(:ids)"
            ),
            {"ids": list(wanted)},
        )
        for row in rows:
            self._bodies[wanted[row.docnum]] = (row.body, row.body_f)

    def body(self, docnum: int, folded: bool) -> str:
        found = self._bodies.get(docnum)
        if found is None:
            row = self.connection.execute(
                text(
                    f"SELECT d.body, b.body_f FROM {self._table} d JOIN {self.index.body_table} b"
                    " USING (docnum) WHERE d.docnum = :d"
                ),
                {"d": self.snapshot.docnum[docnum]},
            ).one()
            found = self._bodies[docnum] = (row.body, row.body_f)
        return found[1] if folded else found[0]


def _row(prepared: Prepared, generation: int) -> dict[str, Any]:
    fields = prepared.fields
    title_f, meta_f, body_f = fields["title_f"].decode(), fields["meta_f"].decode(), prepared.body_f.decode()
    return {
        "key": fields["key"],
        "kind": fields["kind"],
        "topic": fields["topic"],
        "scope": fields["scope"],
        "street": fields["street"],
        "year": fields["year"],
        "date": fields["date"],
        "sample": bool(fields["sample"]),
        "tags": _text_array(t for t in fields["tags"].decode().split("\x1f") if t),
        "title": fields["title"].decode(),
        "title_f": title_f,
        "meta_f": meta_f,
        "body": fields["body"].decode(),
        "body_f": body_f,
        "grams": _text_array(sorted(fields["grams"] | spaced_grams(f"{title_f}\n{meta_f}\n{body_f}"))),
        "words": _text_array(sorted(fields["words"])),
        "generation": generation,
    }


def _text_array(items: Iterable[str]) -> str:
    """``items`` as a PostgreSQL array literal, every element quoted: a row's ~2,000 grams go as one
    string (psycopg dumps a list element by element, ~2 ms per row)."""
    return "{" + ",".join('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items) + "}"


def _columns(rows: Sequence[Row[Any]]) -> dict[str, tuple[Any, ...]]:
    """Rows of ``SNAPSHOT_COLUMNS`` as the snapshot's per-position tuples."""
    return {
        "docnum": tuple(int(r.docnum) for r in rows),
        "key": tuple(r.key for r in rows),
        "kind": tuple(r.kind for r in rows),
        "topic": tuple(r.topic for r in rows),
        "scope": tuple(r.scope for r in rows),
        "street": tuple(r.street for r in rows),
        "year": tuple(r.year for r in rows),
        "date": tuple(r.date for r in rows),
        "sample": tuple(bool(r.sample) for r in rows),
        "tags": tuple(tuple(r.tags or ()) for r in rows),
        "title": tuple(r.title for r in rows),
        "title_f": tuple(r.title_f for r in rows),
        "meta_f": tuple(r.meta_f for r in rows),
    }


def _snapshot(
    generation: tuple[str, int],
    columns: dict[str, tuple[Any, ...]],
    live: tuple[int, ...],
    newest_first: tuple[int, ...],
    order: tuple[float, ...],
    titles: Joined,
    metas: Joined,
    position: dict[int, int],
    live_set: frozenset[int] | None = None,
) -> Snapshot:
    return Snapshot(
        generation=generation,
        live=live,
        live_set=frozenset(live) if live_set is None else live_set,
        key=columns["key"],
        kind=columns["kind"],
        topic=columns["topic"],
        scope=columns["scope"],
        street=columns["street"],
        year=columns["year"],
        date=columns["date"],
        sample=columns["sample"],
        tags=columns["tags"],
        title=columns["title"],
        title_f=columns["title_f"],
        meta_f=columns["meta_f"],
        order=order,
        newest_first=newest_first,
        body_at=(),
        body_end=(),
        bodies=None,
        titles=titles,
        metas=metas,
        docnum=columns["docnum"],
        position=position,
    )


def _read_snapshot(connection: Connection, table: str, generation: tuple[str, int]) -> Snapshot:
    rows = connection.execute(text(f"SELECT {SNAPSHOT_COLUMNS} FROM {table} ORDER BY docnum")).all()
    columns = _columns(rows)
    newest_first, order = order_by_date(columns["key"], columns["date"])
    docnums = columns["docnum"]
    return _snapshot(
        generation,
        columns,
        tuple(range(len(rows))),
        newest_first,
        order,
        Joined(columns["title_f"]),
        Joined(columns["meta_f"]),
        {d: i for i, d in enumerate(docnums)},
    )


def _brought_forward(
    base: Snapshot, gone: Sequence[int], rows: Sequence[Row[Any]], generation: tuple[str, int]
) -> Snapshot:
    """``base`` after the deletion of the rows ``gone`` and the insertion of ``rows`` (in
    ``docnum`` order): new rows get new positions at the end, deleted ones leave ``live`` but keep
    their positions, so every per-position tuple is ``base``'s with the new rows appended."""
    start = len(base.key)
    dead = {base.position[d] for d in gone if d in base.position}
    added = tuple(range(start, start + len(rows)))
    fresh = _columns(rows)
    columns = {name: getattr(base, name) + fresh[name] for name in PER_DOCUMENT}
    columns["docnum"] = base.docnum + fresh["docnum"]
    kept = _without(base.live, dead)
    position = dict(base.position)
    for d in gone:
        position.pop(d, None)
    position.update(zip(fresh["docnum"], added, strict=True))
    newest_first, order = _ordered(base, columns, added)
    snapshot = _snapshot(
        generation,
        columns,
        kept + added,
        newest_first,
        order,
        _joined(base.titles, columns["title_f"], fresh["title_f"]),
        _joined(base.metas, columns["meta_f"], fresh["meta_f"]),
        position,
        (base.live_set - dead) | frozenset(added) if dead else base.live_set | frozenset(added),
    )
    _carry_facets(base, snapshot, dead, added)
    return snapshot


def _without(live: tuple[int, ...], dead: set[int]) -> tuple[int, ...]:
    """``live`` (ascending: kept positions, then the added ones) without ``dead``, cut by bisection
    instead of testing each of its positions."""
    out, at = [], 0
    for position in sorted(dead):
        found = bisect.bisect_left(live, position, at)
        if found < len(live) and live[found] == position:
            out.append(live[at:found])
            at = found + 1
    return live if not out else tuple(chain.from_iterable((*out, live[at:])))


def _ordered(
    base: Snapshot, columns: dict[str, tuple[Any, ...]], added: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """``newest_first`` and ``order`` with the ``added`` positions put in, each after the documents
    of its date and key (``order_by_date`` is a stable sort). ``order`` is only compared, so the
    added documents get ranks between their neighbours' and every other rank stays as it is (no
    walk over all documents); when a float between two neighbours is left no more, all are
    numbered again."""
    keys, dates = columns["key"], columns["date"]

    def sort_key(position: int) -> tuple[tuple[int, ...], str]:
        return negated_date(dates[position]), keys[position]

    newest_first = list(base.newest_first)
    for at in added:
        bisect.insort_right(newest_first, at, key=sort_key)
    places = []
    for at in added:
        place = bisect.bisect_left(newest_first, sort_key(at), key=sort_key)
        while newest_first[place] != at:  # after a deleted position of the same key and date
            place += 1
        places.append(place)
    places.sort()
    ranks: dict[int, float] = {}
    first = 0
    while first < len(places):  # each run of added positions next to each other
        last = first
        while last + 1 < len(places) and places[last + 1] == places[last] + 1:
            last += 1
        begin, end, count = places[first], places[last], last - first + 1
        low = base.order[newest_first[begin - 1]] if begin > 0 else None
        high = base.order[newest_first[end + 1]] if end + 1 < len(newest_first) else None
        if low is not None and high is not None:
            values = [low + (high - low) * (n + 1) / (count + 1) for n in range(count)]
        elif low is not None:
            values = [low + n + 1 for n in range(count)]
        else:
            values = [(high if high is not None else count) - count + n for n in range(count)]
        bounds = [low if low is not None else -math.inf, *values, high if high is not None else math.inf]
        if any(a >= b for a, b in itertools.pairwise(bounds)):
            whole = [0] * len(newest_first)
            for rank, position in enumerate(newest_first):
                whole[position] = rank
            return tuple(newest_first), tuple(whole)
        ranks.update(zip(newest_first[begin : end + 1], values, strict=True))
        first = last + 1
    return tuple(newest_first), base.order + tuple(ranks[at] for at in added)


def _compacted(snapshot: Snapshot) -> Snapshot:
    """The same documents without dead positions (``live`` renumbered 0…n-1 in the same order)."""
    keep = snapshot.live
    renumbered = {old: new for new, old in enumerate(keep)}
    columns = {name: tuple(map(getattr(snapshot, name).__getitem__, keep)) for name in (*PER_DOCUMENT, "docnum")}
    newest_first = tuple(renumbered[d] for d in snapshot.newest_first if d in renumbered)
    order = [0] * len(keep)
    for rank, at in enumerate(newest_first):
        order[at] = rank
    return _snapshot(
        snapshot.generation,
        columns,
        tuple(range(len(keep))),
        newest_first,
        tuple(order),
        Joined(columns["title_f"]),
        Joined(columns["meta_f"]),
        {d: i for i, d in enumerate(columns["docnum"])},
    )


def _joined(base: Joined, texts: tuple[str, ...], new: tuple[str, ...]) -> Joined:
    """``base`` with ``new`` texts appended (``texts``: all of them), without walking the old ones."""
    if not new:
        return base
    joined = Joined(new)
    if not base.texts:
        return joined
    offset = len(base.joined) + 1
    joined.texts = texts
    joined.starts = [*base.starts, *(at + offset for at in joined.starts)]
    joined.joined = f"{base.joined}\n{joined.joined}"
    return joined


def _carry_facets(base: Snapshot, snapshot: Snapshot, dead: set[int], added: tuple[int, ...]) -> None:
    """The facet groups and totals ``base`` computed, corrected for the documents gone and added
    (instead of counting every document again at the next search)."""
    for name, totals in list(base._totals.items()):
        snapshot._totals[name] = (totals + snapshot.tally(name, added)) - snapshot.tally(name, dead)
    for name, groups in list(base._facets.items()):
        column: tuple[Any, ...] = snapshot.tags if name == "tag" else getattr(snapshot, name)
        out: dict[str, tuple[set[int], set[int]]] = {}
        for docs, side in ((dead, 0), (added, 1)):
            for docnum in docs:
                value: str
                for value in column[docnum] if name == "tag" else (column[docnum],):
                    if value:
                        out.setdefault(value, (set(), set()))[side].add(docnum)
        carried = dict(groups)
        for value, (lost, won) in out.items():
            now = (carried.get(value, frozenset()) - lost) | won
            if now:
                carried[value] = frozenset(now)
            else:
                carried.pop(value, None)
        snapshot._facets[name] = carried


_TABLES = (
    """
CREATE TABLE {doc} (
    docnum bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text NOT NULL,
    kind text NOT NULL,
    topic text NOT NULL,
    scope text NOT NULL,
    street text NOT NULL,
    year text NOT NULL,
    date text NOT NULL,
    sample boolean NOT NULL,
    tags text[] NOT NULL,
    title text NOT NULL,
    title_f text NOT NULL,
    meta_f text NOT NULL,
    body text NOT NULL,
    grams text[] NOT NULL,
    words text[] NOT NULL,
    generation bigint NOT NULL
)
""",
    # The folded bodies that candidates are verified against (split_part) have a table of their own,
    # stored uncompressed (read, never unpacked: more disk, less CPU) and in the row itself up to
    # a page (toast_tuple_target): one page read per body of up to ~2,700 Chinese characters, where
    # a body in the documents table is moved out of line and read in ~3 pieces through an index.
    "CREATE TABLE {body} (docnum bigint PRIMARY KEY, body_f text NOT NULL) WITH (toast_tuple_target = 8160)",
    "ALTER TABLE {body} ALTER COLUMN body_f SET STORAGE EXTERNAL",
    "CREATE UNIQUE INDEX {doc}_key ON {doc} (key)",
    "CREATE INDEX {doc}_grams ON {doc} USING gin (grams)",
    "CREATE INDEX {doc}_words ON {doc} USING gin (words)",
    "CREATE INDEX {doc}_generation ON {doc} (generation)",
    "CREATE TABLE {gone} (generation bigint NOT NULL, docnum bigint NOT NULL)",
    "CREATE INDEX {gone}_generation ON {gone} (generation)",
)


def cache_advice(searched: int, buffers: int) -> str | None:
    """A hint when what searches read (bytes) does not fit in ``shared_buffers`` (bytes): each
    search then copies pages from the operating system's cache, and common terms get slow (at
    100,000 entries, searches of 3 or more characters took 1.3 times as long with Debian's default
    128 MB as with 4 GB: docs/benchmarks.md)."""
    if searched <= buffers:
        return None
    want = 1 << max(27, math.ceil(math.log2(searched * 1.25)))  # a power of two with a quarter to spare
    return (
        f"提示：搜索读取的表和索引共 {_size(searched)}，大于 PostgreSQL 的 shared_buffers（{_size(buffers)}），"
        f"常用词的搜索会慢一些。建议在 postgresql.conf 中设 shared_buffers = {_size(want).replace(' ', '')}"
        "（不超过内存的四分之一）并重启 PostgreSQL（见 docs/deploy.md 的 shared_buffers 一节）。"
    )


def _size(count: int) -> str:
    """Bytes as PostgreSQL writes sizes: ``128 MB``, ``1.5 GB``."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f} {unit}".replace(".0 ", " ")
    return f"{max(1, count >> 10)} kB"
