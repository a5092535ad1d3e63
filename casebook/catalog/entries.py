"""The entries adapter (interviews, salons, cases): files under the kind folders → ``entry`` rows.

Markdown is rendered here, once, so page views never parse it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import content
from ..content.schema import ENTRY_FIELDS, Field
from ..db import DbSession as Session
from ..models import EntryRow, TagRow
from ..render import excerpt, plain_text, render_markdown
from .adapter import Prepared

_KIND_OF_DIR = {folder: kind for kind, folder in content.KIND_DIRS.items()}


def _stored(spec: Field, value: Any) -> Any:
    """A field's value as the catalog stores it (JSON-ready outside a column of its own)."""
    if spec.type == "chapters":
        return [{"at": c.at, "title": c.title} for c in value]
    if spec.type == "source" and value is not None:
        return {"name": value.name, "url": value.url, "date": value.date.isoformat() if value.date else None}
    if spec.type == "attachments":
        return [{"file": a.file, "title": a.title} for a in value or ()]
    if isinstance(value, tuple):
        return list(value)
    if spec.catalog == "json" and isinstance(value, dt.date):
        return value.isoformat()
    return value


def entry_row_values(
    entry: content.Entry, rel_path: str, media_url: str = "/media/", body_html: str | None = None
) -> dict[str, object]:
    """Column values for an entry: every declared field (``content/schema.py``) in its column or in
    ``extra``, plus what is derived — year, loop part, rendered HTML (``body_html`` if rendered
    already) and an excerpt. Tags go to their own table (``upsert_entry``)."""
    if body_html is None:
        body_html = render_markdown(entry.body, media_url)
    values: dict[str, object] = {}
    extra: dict[str, Any] = {}
    for spec in ENTRY_FIELDS:
        if spec.catalog == "table":
            continue
        value = _stored(spec, entry.value(spec.key))
        if spec.catalog == "column":
            values[spec.key] = value
        elif spec.applies_to(entry.kind) and value not in (None, "", [], {}):
            extra[spec.key] = value
    return values | dict(
        kind=entry.kind,
        slug=entry.slug,
        path=rel_path,
        year=entry.date.year,
        excerpt=excerpt(entry.summary or plain_text(body_html)),
        part=content.LOOP_PARTS.index(content.loop_part(entry.kind, entry.scope)),
        extra=extra,
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


def preview_row(entry: content.Entry, rel_path: str = "") -> EntryRow:
    """A transient row for ``entry`` (never added to a session): pages render it as they render stored rows."""
    row = EntryRow(**entry_row_values(entry, rel_path))
    row.tag_rows = [TagRow(tag=tag, position=i) for i, tag in enumerate(entry.tags)]
    return row


class EntriesAdapter:
    """Entries as the generic sync sees them; checked against the content's rules (topics, places, media)."""

    name = "entries"

    def __init__(self, rules: content.Rules) -> None:
        self.rules = rules

    @classmethod
    def open(cls, session: Session, rules: content.Rules) -> tuple[EntriesAdapter, dict[str, str]]:
        """The adapter for one run, and its stamps (none: the rules' fingerprint covers entries)."""
        return cls(rules), {}

    @staticmethod
    def owns(rel: str) -> bool:
        return rel.split("/", 1)[0] in _KIND_OF_DIR

    def files(self, root: Path) -> Mapping[str, Path]:
        return {path.relative_to(root).as_posix(): path for _, path in content.iter_entry_files(root)}

    def key_of(self, rel: str) -> str:
        return f"{_KIND_OF_DIR.get(rel.split('/', 1)[0], '')}/{Path(rel).stem}"

    def duplicate(self, path: Path, key: str, first: str) -> content.Problem:
        return content.Problem(path, 1, f"重复的 slug：{key} 已由 {first} 使用")

    def prepare(self, root: Path, rel: str, path: Path) -> Prepared:
        entry, problems = content.parse_file(path, _KIND_OF_DIR[rel.split("/", 1)[0]], self.rules)
        html = render_markdown(entry.body, "/media/") if entry is not None else None
        return Prepared(entry, problems, html)

    def row_at(self, session: Session, rel: str) -> Any:
        return session.scalars(select(EntryRow).where(EntryRow.path == rel)).one_or_none()

    def upsert(self, session: Session, prepared: Prepared, rel: str) -> str:
        return upsert_entry(session, prepared.item, rel, prepared.extra).key
