"""The search index in PostgreSQL (``CASEBOOK_SEARCH=postgres``): any number of servers, no files.

The same documents, the same matching and the same ranking as the Whoosh index (``index.py``):
``query.search`` answers from either. Only the storage differs:

- ``<name>_doc``: one row per published entry, with the fields ``schema.to_fields`` makes — its
  character unigrams and bigrams (``grams text[]``) and segmenter words (``words text[]``), each
  with a GIN index (both ship with Debian's ``postgresql``: no extension needed), the folded title,
  meta and body that candidates are verified against, and the body as written (snippets).
- ``<name>_state``: the index's schema version, its generation (a number bumped by every commit
  that changes the documents) and the glossary stamp ``indexing`` compares.

A search runs in one ``REPEATABLE READ`` read-only transaction: it reads the generation, and every
query it makes sees that generation. The small per-document values (keys, facets, dates, titles,
metas) are read into a :class:`Snapshot` once per generation per process and shared by its
threads, as the Whoosh backend does; grams, words and bodies are asked of the database. A fresh
process serves its first search at once: there is nothing to build. Writers take turns under a
transaction-scoped advisory lock; ``rebuild`` replaces every row within one transaction, so a
search sees the old index or the new, never half.

No Flask here; the caller passes a database URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..progress import Progress
from ..turns import advisory_number
from .index import IndexBusy, IndexMissing
from .schema import SCHEMA_VERSION, IndexDoc, Prepared, to_fields
from .snapshot import Joined, Snapshot, order_by_date

COLUMNS = (
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
    "body",
    "body_f",
    "grams",
    "words",
)
BATCH = 500


class PgSearchIndex:
    """The index in tables named after ``name`` in the database at ``url``."""

    def __init__(self, url: str, name: str = "search", write_timeout: float = 120.0) -> None:
        if not url.startswith("postgresql"):
            raise ValueError("CASEBOOK_SEARCH=postgres needs a PostgreSQL database (CASEBOOK_DATABASE_URL)")
        self.url, self.name, self.write_timeout = url, name, write_timeout
        self.doc_table, self.state_table = f"{name}_doc", f"{name}_state"
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._lock_number = advisory_number("casebook-search-writer", name)

    # -- the engine ------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = create_engine(self.url, pool_pre_ping=True)
            return self._engine

    def __enter__(self) -> PgSearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Give back the database connections (the end of a process or a test)."""
        with self._engine_lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    # -- state -----------------------------------------------------------------------------
    def _state(self, connection: Connection) -> dict[str, str] | None:
        exists = connection.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": self.state_table})
        if not exists:
            return None
        rows = connection.execute(text(f"SELECT key, value FROM {self.state_table}"))
        return {key: value for key, value in rows}

    def exists(self) -> bool:
        """True when an index of this schema version is in the database."""
        with self.engine.connect() as connection:
            state = self._state(connection)
        return state is not None and state.get("schema") == str(SCHEMA_VERSION)

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

    def _bump(self, connection: Connection) -> None:
        """A new generation: every process's snapshot is read again at its next search."""
        connection.execute(
            text(f"UPDATE {self.state_table} SET value = (value::bigint + 1)::text WHERE key = 'generation'")
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
            if state is None or state.get("schema") != str(SCHEMA_VERSION):  # first build, or a new layout
                connection.execute(text(f"DROP TABLE IF EXISTS {self.doc_table}"))
                connection.execute(text(_DOC_TABLE.format(table=self.doc_table)))
                for statement in _DOC_INDEXES:
                    connection.execute(text(statement.format(table=self.doc_table)))
                connection.execute(
                    text(f"CREATE TABLE IF NOT EXISTS {self.state_table} (key text PRIMARY KEY, value text NOT NULL)")
                )
                self._set(connection, "schema", str(SCHEMA_VERSION))
                connection.execute(
                    text(
                        f"INSERT INTO {self.state_table} (key, value) VALUES ('generation', '0')"
                        " ON CONFLICT (key) DO NOTHING"
                    )
                )
            else:
                connection.execute(text(f"DELETE FROM {self.doc_table}"))
            count = 0
            batch: list[dict[str, Any]] = []
            for doc in docs:
                batch.append(_row(to_fields(doc, words)))
                count += 1
                if len(batch) == BATCH:
                    _insert(connection, self.doc_table, batch)
                    batch = []
                if progress is not None and count % 500 == 0:
                    progress(count, total)
            _insert(connection, self.doc_table, batch)
            if progress is not None:
                progress(count, total)
            self._bump(connection)
        with self.engine.connect() as connection:  # fresh statistics for the planner (outside the transaction)
            connection.execute(text(f"ANALYZE {self.doc_table}"))
            connection.commit()
        return count

    def update(
        self,
        docs: Iterable[IndexDoc],
        remove: Iterable[str] = (),
        user_words: Iterable[str] = (),
        wait: float | None = None,
    ) -> None:
        """Add or replace ``docs`` and delete the ``remove`` keys, in one transaction."""
        docs, remove, words = list(docs), list(remove), tuple(user_words)
        if not docs and not remove:
            return
        rows = [_row(to_fields(doc, words)) for doc in docs]  # the slow part, outside the lock
        with self._writing(wait) as connection:
            state = self._state(connection)
            if state is None or state.get("schema") != str(SCHEMA_VERSION):
                raise IndexMissing("no search index yet")
            gone = [*remove, *(row["key"] for row in rows)]
            connection.execute(text(f"DELETE FROM {self.doc_table} WHERE key = ANY(:keys)"), {"keys": gone})
            _insert(connection, self.doc_table, rows)
            self._bump(connection)

    # -- reading ---------------------------------------------------------------------------
    def view(self) -> PgView:
        """A view of the index as it is now, in its own read-only transaction (``release`` it)."""
        connection = self.engine.connect()
        try:
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            # A common gram is in most rows, and the planner then prefers reading the table, which
            # unpacks every row's gram array (~40 ms per 3,000 rows); the GIN index answers
            # ``@>`` exactly (no recheck), in ~2 ms. So this transaction reads through the indexes.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            try:
                state: dict[str, str] = dict(
                    connection.execute(
                        text(f"SELECT key, value FROM {self.state_table} WHERE key IN ('schema', 'generation')")
                    ).all()
                )
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", "") != "42P01":  # undefined_table: never built
                    raise
                state = {}
            if state.get("schema") != str(SCHEMA_VERSION):
                raise IndexMissing("no search index yet")
            generation = ("pg", int(state["generation"]))
            return PgView(self, connection, self._snapshot_for(connection, generation))
        except BaseException:
            connection.close()
            raise

    def is_current(self, view: Any) -> bool:
        """A view's transaction sees one generation to its end: an error in it is a real error."""
        return True

    def _snapshot_for(self, connection: Connection, generation: tuple[str, int]) -> Snapshot:
        with self._snapshot_lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = _read_snapshot(connection, self.doc_table, generation)
            return self._snapshot


class PgView:
    """One search's reading of one generation: the shared snapshot and the transaction's queries.

    Positions (0…n-1, the snapshot's document numbers) are rows in ``docnum`` order."""

    def __init__(self, index: PgSearchIndex, connection: Connection, snapshot: Snapshot) -> None:
        self.index, self.connection, self.snapshot = index, connection, snapshot
        self._table = index.doc_table
        self._bodies: dict[int, tuple[str, str]] = {}

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()

    def _positions(self, sql: str, params: dict[str, Any]) -> set[int]:
        at = self.snapshot.position
        return {at[docnum] for docnum in self.connection.scalars(text(sql), params) if docnum in at}

    def needle_candidates(self, grams: list[str], exact: bool) -> set[int]:
        """Documents holding all of a needle's grams (exactly its holders when ``exact``)."""
        return self.grams_docs(grams)

    def gram_docs(self, gram: str) -> set[int]:
        return self.grams_docs([gram])

    def grams_docs(self, grams: list[str]) -> set[int]:
        """Documents holding every one of ``grams`` (one GIN look-up for them all)."""
        return self._positions(f"SELECT docnum FROM {self._table} WHERE grams @> :g", {"g": grams})

    def word_docs(self, word: str) -> set[int]:
        return self._positions(f"SELECT docnum FROM {self._table} WHERE words @> :w", {"w": [word]})

    def bodies_containing(self, needle: str, docs: set[int]) -> set[int]:
        """Those of ``docs`` whose folded body contains ``needle``."""
        if not docs:
            return set()
        ids = [self.snapshot.docnum[d] for d in docs]
        return self._positions(
            f"SELECT docnum FROM {self._table} WHERE docnum = ANY(:ids) AND strpos(body_f, :n) > 0",
            {"ids": ids, "n": needle},
        )

    def prefetch_bodies(self, docnums: list[int]) -> None:
        """Read the bodies of a page's hits in one query."""
        wanted = {self.snapshot.docnum[d]: d for d in docnums if d not in self._bodies}
        if not wanted:
            return
        rows = self.connection.execute(
            text(f"SELECT docnum, body, body_f FROM {self._table} WHERE docnum = ANY(:ids)"),
            {"ids": list(wanted)},
        )
        for row in rows:
            self._bodies[wanted[row.docnum]] = (row.body, row.body_f)

    def body(self, docnum: int, folded: bool) -> str:
        found = self._bodies.get(docnum)
        if found is None:
            row = self.connection.execute(
                text(f"SELECT body, body_f FROM {self._table} WHERE docnum = :d"),
                {"d": self.snapshot.docnum[docnum]},
            ).one()
            found = self._bodies[docnum] = (row.body, row.body_f)
        return found[1] if folded else found[0]


def _row(prepared: Prepared) -> dict[str, Any]:
    fields = prepared.fields
    return {
        "key": fields["key"],
        "kind": fields["kind"],
        "topic": fields["topic"],
        "scope": fields["scope"],
        "street": fields["street"],
        "year": fields["year"],
        "date": fields["date"],
        "sample": bool(fields["sample"]),
        "tags": [t for t in fields["tags"].decode().split("\x1f") if t],
        "title": fields["title"].decode(),
        "title_f": fields["title_f"].decode(),
        "meta_f": fields["meta_f"].decode(),
        "body": fields["body"].decode(),
        "body_f": prepared.body_f.decode(),
        "grams": sorted(fields["grams"]),
        "words": sorted(fields["words"]),
    }


def _insert(connection: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = ", ".join(COLUMNS)
    values = ", ".join(f":{c}" for c in COLUMNS)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), rows)


def _read_snapshot(connection: Connection, table: str, generation: tuple[str, int]) -> Snapshot:
    rows = connection.execute(
        text(
            "SELECT docnum, key, kind, topic, scope, street, year, date, sample, tags, title, title_f, meta_f"
            f" FROM {table} ORDER BY docnum"
        )
    ).all()
    keys = tuple(r.key for r in rows)
    dates = tuple(r.date for r in rows)
    newest_first, order = order_by_date(keys, dates)
    live = tuple(range(len(rows)))
    title_f = tuple(r.title_f for r in rows)
    meta_f = tuple(r.meta_f for r in rows)
    docnums = tuple(int(r.docnum) for r in rows)
    return Snapshot(
        generation=generation,
        live=live,
        live_set=frozenset(live),
        key=keys,
        kind=tuple(r.kind for r in rows),
        topic=tuple(r.topic for r in rows),
        scope=tuple(r.scope for r in rows),
        street=tuple(r.street for r in rows),
        year=tuple(r.year for r in rows),
        date=dates,
        sample=tuple(bool(r.sample) for r in rows),
        tags=tuple(tuple(r.tags or ()) for r in rows),
        title=tuple(r.title for r in rows),
        title_f=title_f,
        meta_f=meta_f,
        order=order,
        newest_first=newest_first,
        body_at=(),
        body_end=(),
        bodies=None,
        titles=Joined(title_f),
        metas=Joined(meta_f),
        docnum=docnums,
        position={d: i for i, d in enumerate(docnums)},
    )


_DOC_TABLE = """
CREATE TABLE {table} (
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
    body_f text NOT NULL,
    grams text[] NOT NULL,
    words text[] NOT NULL
)
"""
_DOC_INDEXES = (
    # bodies verified by strpos are stored uncompressed: read, never unpacked (more disk, less CPU)
    "ALTER TABLE {table} ALTER COLUMN body_f SET STORAGE EXTERNAL",
    "CREATE UNIQUE INDEX {table}_key ON {table} (key)",
    "CREATE INDEX {table}_grams ON {table} USING gin (grams)",
    "CREATE INDEX {table}_words ON {table} USING gin (words)",
)
