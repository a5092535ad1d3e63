"""Which uploaded pictures the public may see: those a published entry, project, 借鉴 record or topic uses.

A picture uploaded in the editor (``media/uploads/<year>/<16 hex>…``) belongs to whatever text
mentions it; until one of those texts is published, ``/media/`` serves it to staff only. The
published texts are in the catalog, so the set of public uploads is read from there — once per
process and catalog generation (every publish, unpublish or sync bumps it), the way the entry map
is — and a picture request is a set lookup, never a file scan.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from sqlalchemy import String, cast, or_, select

from ..db import DbSession as Session
from ..learning_rows import LearningRow
from ..media import mentioned_uploads
from ..models import EntryRow, TopicRow
from ..project_rows import ProjectRow

_MARK = "uploads/"


def _published_texts(session: Session) -> Iterator[str]:
    """Every published text that may mention an upload (rows without ``uploads/`` are not read)."""
    entries = select(EntryRow.body, EntryRow.cover, EntryRow.extra).where(
        EntryRow.status == "published",
        or_(
            EntryRow.body.contains(_MARK),
            EntryRow.cover.contains(_MARK),
            cast(EntryRow.extra, String).contains(_MARK),
        ),
    )
    for body, cover, extra in session.execute(entries):
        yield body or ""
        yield cover or ""
        yield json.dumps(extra or {}, ensure_ascii=False)
    projects = select(ProjectRow.body, ProjectRow.milestones_json, ProjectRow.evaluation_json).where(
        ProjectRow.status == "published"
    )
    for body, milestones, evaluation in session.execute(projects):
        yield body or ""
        yield json.dumps([milestones, evaluation], ensure_ascii=False)
    records = select(LearningRow.body).where(LearningRow.status == "published", LearningRow.body.contains(_MARK))
    yield from (body or "" for body in session.scalars(records))
    for cover, summary in session.execute(select(TopicRow.cover, TopicRow.summary)):  # topics are always public
        yield f"{cover or ''} {summary or ''}"


def published_uploads(session: Session) -> frozenset[str]:
    """``"<year>/<16 hex>"`` of every upload a published entry, published project or topic mentions."""
    return frozenset(mentioned_uploads(_published_texts(session)))


class PublishedUploads:
    """The public uploads of the newest generation a request asked for, read once per process and generation."""

    def __init__(self) -> None:
        self._held: tuple[int, frozenset[str]] = (-1, frozenset())  # one attribute: read and replaced atomically
        self._lock = threading.Lock()

    def get(self, session: Session, generation: int) -> frozenset[str]:
        held, keys = self._held
        if held == generation:
            return keys
        with self._lock:  # one request per process reads the set; the others wait for it
            held, keys = self._held
            if held != generation:
                keys = published_uploads(session)
                if generation >= held:
                    self._held = (generation, keys)
            return keys


def attachment_title(session: Session, file: str, staff: bool) -> str | None:
    """The title an entry gives the attachment ``file`` (a published entry's first; ``staff``: any entry's),
    or None when no entry the caller may see lists it."""
    # the JSON column may hold the name \u-escaped (json.dumps' default): look for either spelling
    escaped = json.dumps(file)[1:-1]
    text = cast(EntryRow.extra, String)
    query = select(EntryRow).where(or_(text.contains(file, autoescape=True), text.contains(escaped, autoescape=True)))
    if not staff:
        query = query.where(EntryRow.status == "published")
    for row in session.scalars(query.order_by(EntryRow.status != "published", EntryRow.id)):
        for item in row.value("attachments") or ():
            if item.get("file") == file:
                return str(item.get("title") or "附件")
    return None
