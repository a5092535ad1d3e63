"""Catalog rows → search index documents: one mapping, driven by a table of the indexed kinds.

Every kind gives the fields all documents share (key, kind, slug, title, date, body, sample) the
same way; ``INDEXED`` names, per row model, how its own fields fill the rest of ``IndexDoc``.
Only published rows, and only their public fields, ever reach the index.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_

from ..content.project_model import PROJECT_KIND
from ..content.schema import ENTRY_FIELDS, LEARNING_KIND, Field
from ..db import DbSession as Session
from ..learning_rows import LearningRow
from ..models import EntryRow
from ..project_rows import ProjectRow
from ..render import plain_text
from ..search import IndexDoc

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Indexed:
    """One indexed row model: how its rows fill ``IndexDoc`` and how keys select them."""

    model: Any
    fields: Callable[[Any], Mapping[str, Any]]
    """``IndexDoc`` fields beyond the shared ones, read from a row."""
    matching: Callable[[Pairs], ColumnElement[bool] | None]
    """The rows with these ``(kind, slug)`` keys (None: none of them is of this model)."""


def _entry_keys(pairs: Pairs) -> ColumnElement[bool] | None:
    chosen = [(kind, slug) for kind, slug in pairs if kind not in (PROJECT_KIND, LEARNING_KIND)]
    return tuple_(EntryRow.kind, EntryRow.slug).in_(chosen) if chosen else None


def _project_keys(pairs: Pairs) -> ColumnElement[bool] | None:
    slugs = [slug for kind, slug in pairs if kind == PROJECT_KIND]
    return ProjectRow.slug.in_(slugs) if slugs else None


def _learning_keys(pairs: Pairs) -> ColumnElement[bool] | None:
    slugs = [slug for kind, slug in pairs if kind == LEARNING_KIND]
    return LearningRow.slug.in_(slugs) if slugs else None


def _learning_fields(row: LearningRow) -> dict[str, Any]:
    """A 借鉴 record: found by its community, street and type; its first topic is its facet."""
    topics = list(row.topics or ())
    return {
        "topic": topics[0] if topics else "",
        "summary": row.type,
        "street": row.street or "",
        "community": row.community,
    }


_SHARED = {"title", "date", "sample"}
"""Fields every kind's document takes the same way (``index_doc``)."""
_DOC_FIELDS = {f.name for f in dataclass_fields(IndexDoc)}


def _texts(spec: Field, value: Any) -> tuple[str, ...]:
    """The searchable text of a stored value: chapter titles, list items, or the value itself."""
    if spec.type == "chapters":
        return tuple(str(c["title"]) for c in value or ())
    if isinstance(value, list):
        return tuple(map(str, value))
    return (str(value),) if value not in (None, "") else ()


def _entry_fields(row: EntryRow) -> dict[str, Any]:
    """``IndexDoc`` fields of an entry, from the fields declared searchable in ``content/schema.py``:
    a field with a place of its own in the document fills it; other metadata becomes ``notes``."""
    doc: dict[str, Any] = {"people": (), "notes": ()}
    for spec in ENTRY_FIELDS:
        if not spec.index or spec.key in _SHARED:
            continue
        value = row.value(spec.key)
        if spec.index == "people":
            doc["people"] += _texts(spec, value)
        elif spec.key in _DOC_FIELDS:
            texts = _texts(spec, value)
            list_like = spec.type in ("list", "chapters")
            doc[spec.key] = texts if list_like else (texts[0] if texts else "")
        else:
            doc["notes"] += _texts(spec, value)
    return doc


_UNPLACED = [f.key for f in ENTRY_FIELDS if f.index == "facet" and f.key not in _DOC_FIELDS | _SHARED]
if _UNPLACED:  # a facet needs a field of the index schema (search/schema.py): no silent drop
    raise RuntimeError(f"facet fields without an index field: {_UNPLACED}")


INDEXED: tuple[Indexed, ...] = (
    Indexed(
        EntryRow,
        _entry_fields,
        _entry_keys,
    ),
    Indexed(
        ProjectRow,
        lambda row: {  # the lead department and the indicator names count as metadata
            "topic": "",
            "summary": row.lead,
            "people": tuple(i.name for i in row.indicators),
            "year": str(row.year),
        },
        _project_keys,
    ),
    Indexed(LearningRow, _learning_fields, _learning_keys),
)
_BY_MODEL = {indexed.model: indexed for indexed in INDEXED}


def index_doc(row: Any) -> IndexDoc:
    """The public, searchable fields of a catalog row of any indexed kind."""
    own = _BY_MODEL[type(row)].fields(row)
    return IndexDoc(
        key=row.key,
        kind=row.kind,
        slug=row.slug,
        title=row.title,
        date=row.date.isoformat(),
        body=plain_text(row.body_html),
        sample=row.sample,
        **own,
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
