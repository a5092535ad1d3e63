"""Mirror ``content/`` into the catalog tables, incrementally.

Unchanged files are skipped by content hash; deleted files are removed; a change to
``topics.yml``, ``places.yml`` or the media folder re-validates everything (entries are
checked against them). Markdown is rendered here, once, so page views never parse it.
Services flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, func, select

from . import content
from .db import Base
from .db import DbSession as Session
from .models import EntryRow, ProblemRow, Setting, SourceFile, TagRow, TopicRow
from .progress import Progress
from .render import excerpt, plain_text, render_markdown

logger = logging.getLogger(__name__)

RULES_KEY = "rules_fingerprint"
GENERATION_KEY = "catalog_generation"
SCHEMA_KEY = "catalog_schema"
SCHEMA_VERSION = 2
"""The layout of the catalog tables. Bump it with any change to them: the next ``casebook sync``
(``serve`` syncs first) drops and recreates those tables and rebuilds them from ``content/``.
1: the first release (no stored version); 2: ``entry.chapters``."""


@dataclass
class SyncReport:
    """What a sync did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: int = 0
    full: bool = False
    changed: set[str] = field(default_factory=set)
    """Keys whose row was added or updated."""
    gone: set[str] = field(default_factory=set)
    """Keys whose row was removed."""

    def summary(self) -> str:
        return (
            f"新增 {self.added}，更新 {self.updated}，删除 {self.removed}，未变 {self.unchanged}，"
            f"无法载入 {self.invalid}；问题 {self.problems} 条"
        )


def _fingerprint(root: Path, rules: content.Rules) -> str:
    digest = hashlib.sha256()
    for name in ("topics.yml", "places.yml"):
        path = root / name
        digest.update(path.read_bytes() if path.is_file() else b"-")
    # Pictures uploaded in the editor (media/uploads/) only ever arrive before the save that uses
    # them, which validates against a fresh listing: they must not force a full re-sync each time.
    digest.update("\n".join(sorted(m for m in rules.media if not m.startswith("uploads/"))).encode())
    return digest.hexdigest()


def _sync_topics(session: Session, rules: content.Rules) -> None:
    existing = {t.slug: t for t in session.scalars(select(TopicRow))}
    for slug in set(existing) - set(rules.topics):
        session.delete(existing.pop(slug))
    for topic in rules.topics.values():
        row = existing.get(topic.slug)
        if row is None:
            row = TopicRow(slug=topic.slug)
            session.add(row)
        row.number, row.title, row.summary = topic.number, topic.title, topic.summary
        row.cover, row.example = topic.cover, topic.example


def entry_row_values(
    entry: content.Entry, rel_path: str, media_url: str = "/media/", body_html: str | None = None
) -> dict[str, object]:
    """Column values for an entry: its metadata plus rendered HTML (``body_html`` if rendered
    already) and an excerpt."""
    if body_html is None:
        body_html = render_markdown(entry.body, media_url)
    return dict(
        kind=entry.kind,
        slug=entry.slug,
        path=rel_path,
        title=entry.title,
        topic=entry.topic,
        date=entry.date,
        year=entry.date.year,
        summary=entry.summary,
        excerpt=excerpt(entry.summary or plain_text(body_html)),
        street=entry.street,
        community=entry.community,
        region=entry.region,
        scope=entry.scope,
        part=content.LOOP_PARTS.index(content.loop_part(entry.kind, entry.scope)),
        people=list(entry.people),
        participants=list(entry.participants),
        video=entry.video,
        chapters=[{"at": c.at, "title": c.title} for c in entry.chapters],
        cover=entry.cover,
        status=entry.status,
        sample=entry.sample,
        body=entry.body,
        body_html=body_html,
    )


def upsert_entry(session: Session, entry: content.Entry, rel_path: str, body_html: str | None = None) -> EntryRow:
    """Insert or update the row of ``entry`` (looked up by kind and slug)."""
    row = session.scalars(
        select(EntryRow).where(EntryRow.kind == entry.kind, EntryRow.slug == entry.slug)
    ).one_or_none()
    if row is None:
        row = EntryRow()
        session.add(row)
    for key, value in entry_row_values(entry, rel_path, body_html=body_html).items():
        setattr(row, key, value)
    row.tag_rows = [TagRow(tag=tag, position=i) for i, tag in enumerate(entry.tags)]
    return row


def _replace_problems(session: Session, rel_path: str, problems: list[content.Problem], root: Path) -> None:
    session.execute(delete(ProblemRow).where(ProblemRow.path == rel_path))
    for problem in problems:
        session.add(ProblemRow(path=_relative(problem.path, root), line=problem.line, message=problem.text))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def catalog_tables() -> list[Table]:
    """The tables ``sync`` derives from ``content/`` (staff, counts and settings tables are not among them)."""
    from .project_rows import IndicatorRow, ProjectRow

    models: tuple[Any, ...] = (TopicRow, EntryRow, TagRow, SourceFile, ProblemRow, ProjectRow, IndicatorRow)
    return [model.__table__ for model in models]


def upgrade_schema(session: Session) -> bool:
    """Recreate the catalog tables when their stored layout is not this code's; True if it did.

    The catalog is derived from the content files, so nothing is migrated: the tables are dropped,
    created anew and filled by the full sync that follows. Staff accounts, revisions, the audit log,
    view counts, search misses and the catalog generation (pages cached by other processes) stay.
    """
    from .project_catalog import KNOWN_KEY

    stored = session.get(Setting, SCHEMA_KEY)
    if stored is not None and stored.value == SCHEMA_VERSION:
        return False
    logger.info(
        "catalog schema %s → %s: rebuilding the catalog tables from the content folder",
        stored.value if stored else 1,
        SCHEMA_VERSION,
    )
    connection = session.connection()
    tables = catalog_tables()
    Base.metadata.drop_all(connection, tables=tables)
    Base.metadata.create_all(connection, tables=tables)
    session.execute(delete(Setting).where(Setting.key.in_((RULES_KEY, KNOWN_KEY))))
    if stored is None:
        session.add(Setting(key=SCHEMA_KEY, value=SCHEMA_VERSION))
    else:
        stored.value = SCHEMA_VERSION
    session.flush()
    return True


BATCH = 50
"""Files applied per transaction by a long sync: SQLite has one writer, and a staff save waiting
behind a sync must get its turn within its busy timeout (10 s), not after the whole sync."""


def sync(session: Session, root: Path, progress: Progress | None = None, *, batch: int | None = None) -> SyncReport:
    """Bring the catalog in line with the files under ``root``; return what changed.

    ``batch``: commit after that many changed files and let other writers in (a sync running beside
    the staff area); the rules' fingerprint is stored last, so a sync cut short is redone in full."""
    report = SyncReport()
    upgrade_schema(session)
    rules, rule_problems = content.load_rules(root)
    fingerprint = _fingerprint(root, rules)
    stored_fp = session.get(Setting, RULES_KEY)
    report.full = stored_fp is None or stored_fp.value != fingerprint
    _sync_topics(session, rules)
    rule_problems += content.load_glossary(root)[1]
    for name in ("topics.yml", "places.yml", "glossary.yml"):
        _replace_problems(session, name, [p for p in rule_problems if p.path.name == name], root)

    files: dict[str, tuple[str, Path]] = {}
    by_key: dict[str, list[str]] = defaultdict(list)
    for kind, path in content.iter_entry_files(root):
        rel = path.relative_to(root).as_posix()
        files[rel] = (kind, path)
        by_key[f"{kind}/{path.stem}"].append(rel)
    stored = {
        p: h for p, h in session.execute(select(SourceFile.path, SourceFile.sha256)) if not p.startswith("projects/")
    }

    removed = set(stored) - set(files)
    touched_keys = {f"{files[r][0]}/{files[r][1].stem}" for r in set(files) - set(stored)}
    for rel in removed:
        parts = rel.split("/")
        kind = next((k for k, d in content.KIND_DIRS.items() if d == parts[0]), "")
        touched_keys.add(f"{kind}/{Path(parts[-1]).stem}")
        session.execute(delete(ProblemRow).where(ProblemRow.path == rel))
        session.execute(delete(SourceFile).where(SourceFile.path == rel))
        row = session.scalars(select(EntryRow).where(EntryRow.path == rel)).one_or_none()
        if row is not None:
            report.gone.add(row.key)
            session.delete(row)
            report.removed += 1

    total = len(files)
    waiting: list[tuple[str, str, Path, str]] = []

    def apply_waiting() -> None:
        # parse and render first (no database), then write the rows: a writer waiting beside a
        # batched sync only waits for the short write phase
        prepared = {
            rel: _prepare(rel, kind, path, rules, by_key[f"{kind}/{path.stem}"]) for rel, kind, path, _ in waiting
        }
        for rel, kind, path, sha in waiting:
            _apply_file(session, root, rules, rel, kind, path, by_key[f"{kind}/{path.stem}"], report, prepared[rel])
            _record_source(session, rel, sha)
        waiting.clear()
        if batch:
            session.commit()
            time.sleep(0.005)  # a writer polling SQLite's lock gets a window

    for done, (rel, (kind, path)) in enumerate(files.items(), start=1):
        if progress is not None and (done % 500 == 0 or done == total):
            progress(done, total)
        try:
            data = path.read_bytes()
        except OSError as exc:
            _replace_problems(session, rel, [content.Problem(path, 1, f"无法读取：{exc.strerror}")], root)
            continue
        sha = hashlib.sha256(data).hexdigest()
        key = f"{kind}/{path.stem}"
        if not report.full and stored.get(rel) == sha and key not in touched_keys:
            report.unchanged += 1
            continue
        waiting.append((rel, kind, path, sha))
        if len(waiting) >= (batch or 200):
            apply_waiting()
    apply_waiting()

    from .project_catalog import sync_projects  # projects link to entries: after them

    sync_projects(session, root, report)
    if stored_fp is None:
        session.add(Setting(key=RULES_KEY, value=fingerprint))
    else:
        stored_fp.value = fingerprint
    if report.full or report.changed or report.gone:
        bump_generation(session)
    session.flush()
    report.problems = session.scalar(select(func.count()).select_from(ProblemRow)) or 0
    return report


def bump_generation(session: Session) -> None:
    """Mark the public pages as changed, for every server process (pages are cached per generation)."""
    row = session.get(Setting, GENERATION_KEY)
    if row is None:
        session.add(Setting(key=GENERATION_KEY, value=1))
    else:
        row.value = int(row.value) + 1


_GENERATION = select(Setting.value).where(Setting.key == GENERATION_KEY)  # built once: every page reads it


def generation(session: Session) -> int:
    """The catalog's current generation (0 before the first sync)."""
    value = session.scalar(_GENERATION)
    return int(value or 0)


def refresh_file(session: Session, root: Path, path: Path) -> SyncReport:
    """Re-read one entry file (after a save) exactly as ``sync`` would, without scanning the rest."""
    report = SyncReport()
    rules, _ = content.load_rules(root)
    rel = path.relative_to(root).as_posix()
    kind = next(k for k, d in content.KIND_DIRS.items() if rel.split("/")[0] == d)
    same_key = [
        p.relative_to(root).as_posix() for k, p in content.iter_entry_files(root) if k == kind and p.stem == path.stem
    ]
    _apply_file(session, root, rules, rel, kind, path, same_key or [rel], report)
    _record_source(session, rel, hashlib.sha256(path.read_bytes()).hexdigest())
    bump_generation(session)
    session.flush()
    return report


def _record_source(session: Session, rel: str, sha: str) -> None:
    """Remember the hash the catalog now reflects for ``rel``, so the next sync can skip it."""
    source = session.get(SourceFile, rel)
    if source is None:
        session.add(SourceFile(path=rel, sha256=sha))
    else:
        source.sha256 = sha


Prepared = tuple[content.Entry | None, list[content.Problem], str | None]
"""A file read ahead of its database writes: entry (None if unusable), problems, body HTML."""


def _prepare(rel: str, kind: str, path: Path, rules: content.Rules, same_key: list[str]) -> Prepared:
    """Parse and render one file; pure (no database)."""
    if same_key[0] != rel:
        return None, [content.Problem(path, 1, f"重复的 slug：{kind}/{path.stem} 已由 {same_key[0]} 使用")], None
    entry, problems = content.parse_file(path, kind, rules)
    return entry, problems, render_markdown(entry.body, "/media/") if entry is not None else None


def _apply_file(
    session: Session,
    root: Path,
    rules: content.Rules,
    rel: str,
    kind: str,
    path: Path,
    same_key: list[str],
    report: SyncReport,
    prepared: Prepared | None = None,
) -> None:
    """Re-read one changed file (or take it as ``prepared``) and update its row and problems."""
    entry, problems, html = prepared or _prepare(rel, kind, path, rules, same_key)
    existing = session.scalars(select(EntryRow).where(EntryRow.path == rel)).one_or_none()
    upsert = None if entry is None else lambda: upsert_entry(session, entry, rel, html).key
    settle_file(session, root, rel, problems, existing, upsert, report)


def settle_file(
    session: Session,
    root: Path,
    rel: str,
    problems: list[content.Problem],
    existing: Any,
    upsert: Callable[[], str] | None,
    report: SyncReport,
) -> None:
    """Record a re-read file: its problems, then its row — ``upsert`` (returning the key) or removal.

    Shared by entries and 民生实事 projects; ``existing`` is the file's current row, if any.
    """
    _replace_problems(session, rel, problems, root)
    if upsert is None:
        report.invalid += 1
        if existing is not None:
            report.gone.add(existing.key)
            session.delete(existing)
            session.flush()
            report.removed += 1
        return
    if existing is None:
        report.added += 1
    else:
        report.updated += 1
    report.changed.add(upsert())
    session.flush()


def preview_row(entry: content.Entry, rel_path: str = "") -> EntryRow:
    """A transient row for ``entry`` (never added to a session): pages render it as they render stored rows."""
    row = EntryRow(**entry_row_values(entry, rel_path))
    row.tag_rows = [TagRow(tag=tag, position=i) for i, tag in enumerate(entry.tags)]
    return row
