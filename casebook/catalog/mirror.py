"""Mirror ``content/`` into the catalog tables: every kind through the one loop in ``sync.py``.

A change to ``topics.yml``, ``places.yml`` or the media folder re-validates everything (every kind
is checked against them); a kind's own stamps (projects: the set of entry keys) do the same for
that kind. Stamps are stored last, so a sync cut short is redone in full. Services flush; the
caller commits.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select

from .. import content, stored_files
from ..content.schema import ENTRY_FIELDS, LEARNING_FIELDS, PROJECT_FIELDS
from ..db import DbSession as Session
from ..models import ProblemRow, Setting, TopicRow
from ..progress import Progress
from .entries import EntriesAdapter
from .learning import LearningAdapter
from .projects import ProjectsAdapter
from .proposal_years import sync_proposal_files
from .report import SyncReport
from .state import RULES_KEY, bump_generation, swap_setting, upgrade_schema
from .sync import refresh_one, replace_problems, sync_kind

KINDS: tuple[type[EntriesAdapter] | type[ProjectsAdapter] | type[LearningAdapter], ...] = (
    EntriesAdapter,
    ProjectsAdapter,
    LearningAdapter,
)
"""Every kind of content file, in sync order (projects and learning records link to entries: after them)."""
RULE_FILES = ("topics.yml", "places.yml", "glossary.yml")


def sync(session: Session, root: Path, progress: Progress | None = None, *, batch: int | None = None) -> SyncReport:
    """Bring the catalog in line with the files under ``root``; return what changed.

    ``batch``: commit after that many changed files and let other writers in (see ``sync.BATCH``)."""
    report = SyncReport()
    upgrade_schema(session)
    rules, rule_problems = content.load_rules(root)
    fingerprint = _fingerprint(root, rules)
    stored = session.get(Setting, RULES_KEY)
    report.full = stored is None or stored.value != fingerprint
    _sync_topics(session, rules)
    files_changed = stored_files.mirror(session, root)  # PostgreSQL: pictures, places, glossary for readers
    rule_problems += content.load_glossary(root)[1]
    for name in RULE_FILES:
        replace_problems(session, root, name, [p for p in rule_problems if p.path.name == name])

    stamps = {RULES_KEY: fingerprint}
    for kind in KINDS:
        adapter, own = kind.open(session, rules)
        force = report.full or any(_stored(session, key) != value for key, value in own.items())
        # only the first kind reports progress lines: the others are a handful of files
        sync_kind(session, root, adapter, report, force=force, progress=progress, batch=batch)
        progress = None
        stamps |= own
    sync_proposal_files(session, root, rules, force=report.full)  # 征集: year.yml, proposals.yml
    for key, value in stamps.items():
        swap_setting(session, key, value)
    if report.full or report.changed or report.gone or files_changed:
        bump_generation(session)
    session.flush()
    report.problems = session.scalar(select(func.count()).select_from(ProblemRow)) or 0
    return report


def refresh(session: Session, root: Path, path: Path) -> SyncReport:
    """Re-read one content file of any kind (after a save) exactly as ``sync`` would."""
    rel = path.relative_to(root).as_posix()
    kind = next((k for k in KINDS if k.owns(rel)), None)
    if kind is None:
        raise ValueError(f"{rel} is not a content file of any kind")
    report = SyncReport()
    rules, _ = content.load_rules(root)
    adapter, _ = kind.open(session, rules)
    refresh_one(session, root, adapter, path, report)
    stored_files.mirror(session, root)  # the pictures and attachments it may name, for readers
    bump_generation(session)
    session.flush()
    return report


def _stored(session: Session, key: str) -> object:
    row = session.get(Setting, key)
    return None if row is None else row.value


def _fingerprint(root: Path, rules: content.Rules) -> str:
    digest = hashlib.sha256()
    for name in ("topics.yml", "places.yml"):
        path = root / name
        digest.update(path.read_bytes() if path.is_file() else b"-")
    # Pictures uploaded in the editor (media/uploads/) only ever arrive before the save that uses
    # them, which validates against a fresh listing: they must not force a full re-sync each time.
    digest.update("\n".join(sorted(m for m in rules.media if not m.startswith("uploads/"))).encode())
    # a field declared, removed or stored elsewhere changes how every file reads: read them all again
    digest.update(repr([(f.key, f.type, f.kinds, f.catalog, f.index) for f in ENTRY_FIELDS]).encode())
    digest.update(repr([(f.key, f.type) for f in PROJECT_FIELDS]).encode())
    digest.update(repr([(f.key, f.type, f.catalog) for f in LEARNING_FIELDS]).encode())
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
