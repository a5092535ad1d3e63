"""Keeping the search index in step with the catalog: one-entry updates and full rebuilds.

Called after the catalog commit (write file → catalog → commit → index), never from session
events. Only published entries, and only their public fields, ever reach the index.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import func, select, tuple_

from .content.glossary import Glossary, load_glossary
from .content.project_model import PROJECT_KIND
from .db import DbSession
from .models import EntryRow
from .progress import Progress
from .project_rows import ProjectRow
from .render import plain_text
from .search import IndexDoc, SearchIndex

logger = logging.getLogger(__name__)


def index_doc(row: EntryRow) -> IndexDoc:
    """The public, searchable fields of a catalog row."""
    return IndexDoc(
        key=row.key,
        kind=row.kind,
        slug=row.slug,
        title=row.title,
        topic=row.topic,
        date=row.date.isoformat(),
        body=plain_text(row.body_html),
        summary=row.summary,
        chapters=tuple(c.title for c in row.chapter_list),
        scope=row.scope or "",
        street=row.street or "",
        community=row.community or "",
        region=row.region or "",
        tags=tuple(row.tags),
        people=tuple(row.people or row.participants or ()),
        sample=row.sample,
    )


def project_doc(row: ProjectRow) -> IndexDoc:
    """The public, searchable fields of a project: lead department and indicator names count as metadata."""
    return IndexDoc(
        key=row.key,
        kind=row.kind,
        slug=row.slug,
        title=row.title,
        topic="",
        date=row.date.isoformat(),
        body=plain_text(row.body_html),
        summary=row.lead,
        people=tuple(i.name for i in row.indicators),
        sample=row.sample,
        year=str(row.year),
    )


def _glossary_stamp(glossary: Glossary) -> str:
    return hashlib.sha256("\n".join(glossary.words).encode()).hexdigest()[:16]


def _published(session: DbSession) -> Iterator[IndexDoc]:
    stmt = select(EntryRow).where(EntryRow.status == "published").order_by(EntryRow.id)
    yield from map(index_doc, session.scalars(stmt.execution_options(yield_per=500)))
    projects = select(ProjectRow).where(ProjectRow.status == "published").order_by(ProjectRow.id)
    yield from map(project_doc, session.scalars(projects))


def rebuild(session: DbSession, index: SearchIndex, content_dir: Path, progress: Progress | None = None) -> int:
    """Rebuild the whole index from the catalog into a fresh directory and swap it in."""
    glossary, _ = load_glossary(content_dir)
    total = session.scalar(select(func.count()).where(EntryRow.status == "published")) or 0
    total += session.scalar(select(func.count()).where(ProjectRow.status == "published")) or 0
    count = index.rebuild(_published(session), glossary.words, total=total, progress=progress)
    (index.root / "glossary.stamp").write_text(_glossary_stamp(glossary), encoding="ascii")
    return count


def needs_rebuild(index: SearchIndex, content_dir: Path) -> bool:
    """No index yet, or the glossary (the segmenter's dictionary) changed since it was built."""
    if not index.usable():
        return True
    glossary, _ = load_glossary(content_dir)
    stamp = index.root / "glossary.stamp"
    return not stamp.is_file() or stamp.read_text(encoding="ascii") != _glossary_stamp(glossary)


def update(
    session: DbSession, index: SearchIndex, content_dir: Path, keys: Iterable[str], wait: float | None = None
) -> None:
    """Bring the given keys up to date: published rows are (re)indexed, anything else removed
    (``IndexBusy`` when another writer holds the index longer than ``wait`` seconds)."""
    keys = set(keys)
    if not keys:
        return
    glossary, _ = load_glossary(content_dir)
    pairs = [tuple(key.split("/", 1)) for key in keys]
    stmt = select(EntryRow).where(EntryRow.status == "published", tuple_(EntryRow.kind, EntryRow.slug).in_(pairs))
    docs = [index_doc(row) for row in session.scalars(stmt)]
    slugs = [slug for kind, slug in pairs if kind == PROJECT_KIND]
    if slugs:
        projects = select(ProjectRow).where(ProjectRow.status == "published", ProjectRow.slug.in_(slugs))
        docs += [project_doc(row) for row in session.scalars(projects)]
    index.update(docs, remove=keys - {doc.key for doc in docs}, user_words=glossary.words, wait=wait)


def follow(
    session: DbSession,
    index: SearchIndex,
    content_dir: Path,
    keys: Iterable[str],
    progress: Progress | None = None,
) -> int | None:
    """After a committed sync: rebuild when needed (returns the count), else update ``keys``."""
    if needs_rebuild(index, content_dir):
        return rebuild(session, index, content_dir, progress)
    update(session, index, content_dir, keys)
    return None
