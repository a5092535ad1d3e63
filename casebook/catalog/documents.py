"""Catalog rows → search index documents: one mapping, driven by a table of the indexed kinds.

Every kind gives the fields all documents share (key, kind, slug, title, date, body, sample) the
same way; ``INDEXED`` names, per row model, how its own fields fill the rest of ``IndexDoc``.
Only published rows, and only their public fields, ever reach the index.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_

from ..content.project_model import PROJECT_KIND
from ..db import DbSession as Session
from ..models import EntryRow
from ..project_rows import ProjectRow
from ..render import plain_text
from ..search import IndexDoc

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Indexed:
    """One indexed row model: how its rows fill ``IndexDoc`` and how keys select them."""

    model: Any
    fields: Mapping[str, Callable[[Any], Any]]
    """``IndexDoc`` fields beyond the shared ones, each read from a row."""
    matching: Callable[[Pairs], ColumnElement[bool] | None]
    """The rows with these ``(kind, slug)`` keys (None: none of them is of this model)."""


def _entry_keys(pairs: Pairs) -> ColumnElement[bool] | None:
    chosen = [(kind, slug) for kind, slug in pairs if kind != PROJECT_KIND]
    return tuple_(EntryRow.kind, EntryRow.slug).in_(chosen) if chosen else None


def _project_keys(pairs: Pairs) -> ColumnElement[bool] | None:
    slugs = [slug for kind, slug in pairs if kind == PROJECT_KIND]
    return ProjectRow.slug.in_(slugs) if slugs else None


INDEXED: tuple[Indexed, ...] = (
    Indexed(
        EntryRow,
        {
            "topic": lambda row: row.topic,
            "summary": lambda row: row.summary,
            "chapters": lambda row: tuple(c.title for c in row.chapter_list),
            "scope": lambda row: row.scope or "",
            "street": lambda row: row.street or "",
            "community": lambda row: row.community or "",
            "region": lambda row: row.region or "",
            "tags": lambda row: tuple(row.tags),
            "people": lambda row: tuple(row.people or row.participants or ()),
        },
        _entry_keys,
    ),
    Indexed(
        ProjectRow,
        {  # the lead department and the indicator names count as metadata
            "topic": lambda row: "",
            "summary": lambda row: row.lead,
            "people": lambda row: tuple(i.name for i in row.indicators),
            "year": lambda row: str(row.year),
        },
        _project_keys,
    ),
)
_BY_MODEL = {indexed.model: indexed for indexed in INDEXED}


def index_doc(row: Any) -> IndexDoc:
    """The public, searchable fields of a catalog row of any indexed kind."""
    own = _BY_MODEL[type(row)].fields
    return IndexDoc(
        key=row.key,
        kind=row.kind,
        slug=row.slug,
        title=row.title,
        date=row.date.isoformat(),
        body=plain_text(row.body_html),
        sample=row.sample,
        **{name: read(row) for name, read in own.items()},
    )


def published_count(session: Session) -> int:
    """How many published rows the index holds when complete."""
    return sum(
        session.scalar(select(func.count()).select_from(i.model).where(i.model.status == "published")) or 0
        for i in INDEXED
    )


def published_docs(session: Session) -> Iterator[IndexDoc]:
    """Every published row as a document, kind after kind, streamed."""
    for indexed in INDEXED:
        stmt = select(indexed.model).where(indexed.model.status == "published").order_by(indexed.model.id)
        yield from map(index_doc, session.scalars(stmt.execution_options(yield_per=500)))


def docs_for(session: Session, keys: Collection[str]) -> list[IndexDoc]:
    """The documents of those keys that are published (the others belong out of the index)."""
    pairs: Pairs = [(kind, slug) for kind, _, slug in (key.partition("/") for key in keys)]
    docs: list[IndexDoc] = []
    for indexed in INDEXED:
        where = indexed.matching(pairs)
        if where is not None:
            stmt = select(indexed.model).where(indexed.model.status == "published", where)
            docs += map(index_doc, session.scalars(stmt))
    return docs
