"""Counting page views by ``?from=`` source without slowing or breaking a page.

A hit only adds one to an in-process buffer. A background thread writes the buffer to the
database every few seconds, or sooner when it fills, with one short transaction that adds the
counts to the stored ones (so several processes simply add up). If that write fails — the table
is locked, the database is gone — the failure is logged and the counts go back into the buffer
for the next try; the page that caused the hit was served long before.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from .models import ViewCount

logger = logging.getLogger(__name__)

SOURCES: tuple[str, ...] = ("gzh", "group", "qr", "singlemessage", "groupmessage", "timeline")
"""Known ``?from=`` values: ours (公众号, chat groups, QR codes) and the ones WeChat appends itself."""
DIRECT = "direct"
OTHER = "other"
ALL_SOURCES: tuple[str, ...] = (*SOURCES, OTHER, DIRECT)
SOURCE_LABELS = {
    "gzh": "公众号",
    "group": "群聊",
    "qr": "二维码",
    "singlemessage": "微信好友",
    "groupmessage": "微信群",
    "timeline": "朋友圈",
    OTHER: "其他来源",
    DIRECT: "直接访问",
}
CHINA = dt.timezone(dt.timedelta(hours=8))
MAX_KEYS = 50_000
"""Never hold more distinct (day, page, source) keys than this while the database is unwritable."""

Key = tuple[dt.date, str, str, str]


def source_of(value: str | None) -> str:
    """``?from=`` → a known source, ``direct`` when absent, ``other`` for anything else."""
    if not value:
        return DIRECT
    value = value.strip().lower()
    return value if value in SOURCES else OTHER


def today() -> dt.date:
    """Days are counted in China's time zone, where the readers are."""
    return dt.datetime.now(CHINA).date()


class ViewCounter:
    """An in-process buffer of hits, flushed to ``view_count`` by a background thread."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        interval: float = 5.0,
        max_pending: int = 200,
        lock_timeout: float = 2.0,
    ) -> None:
        self._engine = engine
        self.interval, self.max_pending, self.lock_timeout = interval, max_pending, lock_timeout
        self._pending: Counter[Key] = Counter()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.failures = 0

    def hit(self, kind: str, slug: str, source: str, day: dt.date | None = None) -> None:
        """Count one view; never raises, never touches the database."""
        try:
            with self._lock:
                self._pending[(day or today(), kind, slug[:80], source)] += 1
                full = sum(self._pending.values()) >= self.max_pending
                self._idle.clear()
            self._ensure_thread()
            if full:
                self._wake.set()
        except Exception:  # counting must never break a page
            logger.exception("could not count a view")

    def pending(self) -> int:
        with self._lock:
            return sum(self._pending.values())

    def flush(self) -> bool:
        """Write the buffer in one transaction; on failure log, keep the counts, return False."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, Counter()
            if not batch:
                self._idle.set()
                return True
            try:
                with self._engine().begin() as conn:
                    self._write(conn, batch)
            except Exception as exc:
                self.failures += 1
                logger.error("could not write %d view counts (kept for the next try): %s", sum(batch.values()), exc)
                with self._lock:
                    if len(self._pending) + len(batch) <= MAX_KEYS:
                        self._pending.update(batch)
                    else:
                        logger.error("view count buffer full: dropping %d views", sum(batch.values()))
                return False
            finally:
                with self._lock:
                    if not self._pending:
                        self._idle.set()
            return True

    def wait_idle(self, timeout: float) -> bool:
        """Block until a flush emptied the buffer (for tests and shutdown); True if it did."""
        return self._idle.wait(timeout)

    def _write(self, conn: Connection, batch: Mapping[Key, int]) -> None:
        dialect = conn.dialect.name
        if dialect == "sqlite":
            # A short busy timeout: this runs off the request path, but should not hang a worker thread.
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(self.lock_timeout * 1000)}")
        try:
            if dialect in ("sqlite", "postgresql"):
                upsert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(ViewCount)
                stmt = upsert.on_conflict_do_update(
                    index_elements=["day", "kind", "slug", "source"],
                    set_={"count": ViewCount.count + upsert.excluded.count},
                )
                rows = [
                    {"day": day, "kind": kind, "slug": slug, "source": source, "count": count}
                    for (day, kind, slug, source), count in sorted(batch.items())  # one lock order
                ]
                conn.execute(stmt, rows)  # one statement, executed for every row (not compiled per key)
            else:
                self._write_generic(conn, batch.items())
        finally:
            if dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout=10000")

    @staticmethod
    def _write_generic(conn: Connection, items: Iterable[tuple[Key, int]]) -> None:
        for (day, kind, slug, source), count in items:
            where = (
                (ViewCount.day == day)
                & (ViewCount.kind == kind)
                & (ViewCount.slug == slug)
                & (ViewCount.source == source)
            )
            done = conn.execute(update(ViewCount).where(where).values(count=ViewCount.count + count))
            if not done.rowcount:
                conn.execute(insert(ViewCount).values(day=day, kind=kind, slug=slug, source=source, count=count))

    def _ensure_thread(self) -> None:
        """Start the flusher lazily, once per process (server workers fork after the app is built)."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="casebook-view-counter", daemon=True)
            self._thread.start()
            atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("view counter flush crashed")
