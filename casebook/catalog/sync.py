"""The one incremental sync loop, over kind adapters: hash compare → upsert/delete rows → problems.

Unchanged files are skipped by content hash; deleted files lose their rows; a file whose key
another file took first is reported, and both are re-read whenever one of them appears or goes.
Services flush; the caller commits (or, with ``batch``, this commits between batches).
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import delete, select

from ..content import Problem
from ..db import DbSession as Session
from ..models import ProblemRow, SourceFile
from ..progress import Progress
from .adapter import KindAdapter, Prepared
from .report import SyncReport
from .state import mark_unindexed

BATCH = 50
"""Files applied per transaction by a long sync: SQLite has one writer, and a staff save waiting
behind a sync must get its turn within its busy timeout (10 s), not after the whole sync."""


def sync_kind(
    session: Session,
    root: Path,
    adapter: KindAdapter,
    report: SyncReport,
    *,
    force: bool = False,
    progress: Progress | None = None,
    batch: int | None = None,
) -> None:
    """Bring the rows of one kind in line with its files; ``force`` re-reads unchanged files too.

    ``batch``: commit after that many changed files and let other writers in (a sync running beside
    the staff area)."""
    files = adapter.files(root)
    by_key: dict[str, list[str]] = defaultdict(list)
    for rel in files:
        by_key[adapter.key_of(rel)].append(rel)
    stored = {p: h for p, h in session.execute(select(SourceFile.path, SourceFile.sha256)) if adapter.owns(p)}
    touched = {adapter.key_of(rel) for rel in set(files) - set(stored)}
    for rel in sorted(set(stored) - set(files)):
        touched.add(adapter.key_of(rel))
        _forget(session, adapter, rel, report)
    session.flush()

    waiting: list[tuple[str, Path, str]] = []

    def apply_waiting() -> None:
        # parse and render first (no database), then write the rows: a writer waiting beside a
        # batched sync only waits for the short write phase
        prepared = {rel: _prepare(root, adapter, rel, path, by_key) for rel, path, _ in waiting}
        for rel, _, sha in waiting:
            settle(session, root, adapter, rel, prepared[rel], report)
            record_source(session, rel, sha)
        waiting.clear()
        if batch:
            session.commit()
            time.sleep(0.005)  # a writer polling SQLite's lock gets a window

    total = len(files)
    for done, (rel, path) in enumerate(files.items(), start=1):
        if progress is not None and (done % 500 == 0 or done == total):
            progress(done, total)
        try:
            data = path.read_bytes()
        except OSError as exc:
            replace_problems(session, root, rel, [Problem(path, 1, f"无法读取：{exc.strerror}")])
            continue
        sha = hashlib.sha256(data).hexdigest()
        if not force and stored.get(rel) == sha and adapter.key_of(rel) not in touched:
            report.unchanged += 1
            continue
        waiting.append((rel, path, sha))
        if len(waiting) >= (batch or 200):
            apply_waiting()
    apply_waiting()


def refresh_one(session: Session, root: Path, adapter: KindAdapter, path: Path, report: SyncReport) -> None:
    """Re-read one file (after a save) exactly as ``sync_kind`` would, without scanning the rest."""
    rel = path.relative_to(root).as_posix()
    key = adapter.key_of(rel)
    same_key = [other for other in adapter.files(root) if adapter.key_of(other) == key] or [rel]
    settle(session, root, adapter, rel, _prepare(root, adapter, rel, path, {key: same_key}), report)
    record_source(session, rel, hashlib.sha256(path.read_bytes()).hexdigest())


def _prepare(root: Path, adapter: KindAdapter, rel: str, path: Path, by_key: dict[str, list[str]]) -> Prepared:
    first = by_key[adapter.key_of(rel)][0]
    if first != rel:
        return Prepared(None, [adapter.duplicate(path, adapter.key_of(rel), first)])
    return adapter.prepare(root, rel, path)


def settle(
    session: Session, root: Path, adapter: KindAdapter, rel: str, prepared: Prepared, report: SyncReport
) -> None:
    """Record a re-read file: its problems, then its row — upserted, or removed when unusable."""
    replace_problems(session, root, rel, prepared.problems)
    existing = adapter.row_at(session, rel)
    if prepared.item is None:
        report.invalid += 1
        if existing is not None:
            report.gone.add(existing.key)
            mark_unindexed(session, [existing.key])
            session.delete(existing)
            session.flush()
            report.removed += 1
        return
    if existing is None:
        report.added += 1
    else:
        report.updated += 1
    key = adapter.upsert(session, prepared, rel)
    report.changed.add(key)
    mark_unindexed(session, [key])  # in the row's own transaction: see ``state.UNINDEXED``
    session.flush()


def _forget(session: Session, adapter: KindAdapter, rel: str, report: SyncReport) -> None:
    """A file that is gone: its problems, its stored hash and its row."""
    session.execute(delete(ProblemRow).where(ProblemRow.path == rel))
    session.execute(delete(SourceFile).where(SourceFile.path == rel))
    row = adapter.row_at(session, rel)
    if row is not None:
        report.gone.add(row.key)
        mark_unindexed(session, [row.key])
        session.delete(row)
        report.removed += 1


def record_source(session: Session, rel: str, sha: str) -> None:
    """Remember the hash the catalog now reflects for ``rel``, so the next sync can skip it."""
    source = session.get(SourceFile, rel)
    if source is None:
        session.add(SourceFile(path=rel, sha256=sha))
    else:
        source.sha256 = sha


def replace_problems(session: Session, root: Path, rel: str, problems: list[Problem]) -> None:
    """The problems recorded for the file ``rel`` become ``problems``."""
    session.execute(delete(ProblemRow).where(ProblemRow.path == rel))
    for problem in problems:
        session.add(ProblemRow(path=_relative(problem.path, root), line=problem.line, message=problem.text))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
