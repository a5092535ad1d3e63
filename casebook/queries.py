"""Read queries for the public pages. Only ``published`` entries ever leave this module."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import joinedload, load_only, undefer

from .content import LOOP_PARTS, schema
from .content.schema import PART_HEADINGS
from .db import DbSession as Session
from .models import EntryRow, ProblemRow, TagRow, TopicRow

PER_PAGE = 20
FILTERS = schema.FILTERS

# The loop's order: 一谈 → 微沙龙 → 微案例 → 微分享.
PARTS: tuple[tuple[str, str], ...] = tuple((part, PART_HEADINGS[part]) for part in LOOP_PARTS)
PART_TARGET = {"interview": 1, "salon": 1, "local": 1, "national": 2}
PART_LIMIT = 12
"""At most this many entries per part on a topic page; the rest are one click away."""

# Columns a card needs; list queries load only these (bodies stay in the database).
_CARD = load_only(
    EntryRow.kind,
    EntryRow.slug,
    EntryRow.title,
    EntryRow.topic,
    EntryRow.date,
    EntryRow.excerpt,
    EntryRow.street,
    EntryRow.community,
    EntryRow.region,
    EntryRow.scope,
    EntryRow.sample,
    EntryRow.part,
)


def public(cards: bool = True) -> Select[EntryRow]:
    """Published entries; ``cards`` loads only the columns a list card shows."""
    stmt = select(EntryRow).where(EntryRow.status == "published")
    return stmt.options(_CARD) if cards else stmt


def topics(session: Session) -> list[TopicRow]:
    return list(session.scalars(select(TopicRow).order_by(TopicRow.number)))


def topic_map(session: Session) -> dict[str, TopicRow]:
    return {t.slug: t for t in topics(session)}


def topic_progress(session: Session) -> dict[str, dict[str, int]]:
    """Topic slug → part → number of published entries."""
    rows = session.execute(
        select(EntryRow.topic, EntryRow.part, func.count())
        .where(EntryRow.status == "published")
        .group_by(EntryRow.topic, EntryRow.part)
    )
    progress: dict[str, dict[str, int]] = {}
    for topic, part, count in rows:
        progress.setdefault(topic, dict.fromkeys(PART_TARGET, 0))[LOOP_PARTS[part]] = count
    return progress


def latest(session: Session, limit: int = 8, cards: bool = True) -> list[EntryRow]:
    """The newest published entries."""
    stmt = public(cards).order_by(EntryRow.date.desc(), EntryRow.id.desc()).limit(limit)
    if not cards:
        stmt = stmt.options(undefer(EntryRow.body_html))
    return list(session.scalars(stmt))


def topic_entries(session: Session, slug: str) -> dict[str, tuple[list[EntryRow], int]]:
    """The topic's published entries per loop part (oldest first, at most PART_LIMIT) and each part's total."""
    counts = topic_progress_of(session, slug)
    grouped: dict[str, tuple[list[EntryRow], int]] = {}
    for number, part in enumerate(LOOP_PARTS):
        rows: list[EntryRow] = []
        if counts[part]:
            stmt = public().where(EntryRow.topic == slug, EntryRow.part == number)
            rows = list(session.scalars(stmt.order_by(EntryRow.date, EntryRow.slug).limit(PART_LIMIT)))
        grouped[part] = (rows, counts[part])
    return grouped


def topic_progress_of(session: Session, slug: str) -> dict[str, int]:
    """Part → number of published entries, for one topic."""
    rows = session.execute(
        select(EntryRow.part, func.count())
        .where(EntryRow.status == "published", EntryRow.topic == slug)
        .group_by(EntryRow.part)
    )
    counts = dict.fromkeys(PART_TARGET, 0)
    for part, count in rows:
        counts[LOOP_PARTS[part]] = count
    return counts


_ENTRY_PAGE = (
    public(cards=False)
    .where(EntryRow.kind == bindparam("kind"), EntryRow.slug == bindparam("slug"))
    .options(undefer(EntryRow.body_html), joinedload(EntryRow.tag_rows))
)
"""Built once: constructing the statement cost about as much as running it."""


def published_title(session: Session, kind: str, slug: str) -> str | None:
    """The title of a published entry (None when there is none)."""
    stmt = select(EntryRow.title).where(EntryRow.status == "published", EntryRow.kind == kind, EntryRow.slug == slug)
    return session.scalar(stmt)


def get_entry(session: Session, kind: str, slug: str) -> EntryRow | None:
    """A published entry with everything its page shows, tags included, in one round trip."""
    return session.scalars(_ENTRY_PAGE, {"kind": kind, "slug": slug}).unique().one_or_none()


@dataclass
class Listing:
    """One page of a filtered list, with facet counts."""

    entries: list[EntryRow]
    total: int
    page: int
    pages: int
    filters: dict[str, str]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


_YEAR = re.compile(r"[0-9]{1,4}")


def clean_filters(args: Mapping[str, str]) -> dict[str, str]:
    """Keep the known filters that have a value; a year that is not 1–4 ASCII digits is dropped
    (``isdigit`` also accepts ² and ①, and a 25-digit year overflows the database's integer)."""
    filters = {k: args[k].strip() for k in FILTERS if args.get(k, "").strip()}
    if "year" in filters and not _YEAR.fullmatch(filters["year"]):
        filters.pop("year")
    return filters


def _apply(stmt: Select[EntryRow], filters: Mapping[str, str], skip: str = "") -> Select[EntryRow]:
    for name, value in filters.items():
        if name == skip:
            continue
        if name == "tag":
            stmt = stmt.where(EntryRow.id.in_(select(TagRow.entry_id).where(TagRow.tag == value)))
        elif name == "year":
            stmt = stmt.where(EntryRow.year == int(value))
        else:
            stmt = stmt.where(getattr(EntryRow, name) == value)
    return stmt


def listing(
    session: Session,
    filters: Mapping[str, str],
    kind: str | None = None,
    page: int = 1,
    facet_names: tuple[str, ...] = FILTERS,
    per_page: int = PER_PAGE,
) -> Listing:
    """Entries matching every filter, newest first; each facet counts under the other filters."""
    base = public() if kind is None else public().where(EntryRow.kind == kind)
    stmt = _apply(base, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        stmt.order_by(EntryRow.date.desc(), EntryRow.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    result = Listing(list(rows), total, page, pages, dict(filters))
    for name in facet_names:
        ids = _apply(base, filters, skip=name).with_only_columns(EntryRow.id).subquery()
        column = TagRow.tag if name == "tag" else getattr(EntryRow, name)
        source = TagRow if name == "tag" else EntryRow
        id_column = TagRow.entry_id if name == "tag" else EntryRow.id
        counts = session.execute(
            select(column, func.count())
            .select_from(source)
            .where(id_column.in_(select(ids.c.id)))
            .where(column.is_not(None))
            .group_by(column)
            .order_by(func.count().desc(), column)
        )
        result.facets[name] = [(str(value), count) for value, count in counts]
    return result


def entry_counts(session: Session) -> dict[str, int]:
    """Published entries per kind."""
    rows = session.execute(
        select(EntryRow.kind, func.count()).where(EntryRow.status == "published").group_by(EntryRow.kind)
    )
    return {kind: count for kind, count in rows}


def get_topic(session: Session, slug: str) -> TopicRow | None:
    """One topic by its slug (topics have no status: every one is public)."""
    return session.get(TopicRow, slug)


def sitemap_entries(session: Session) -> list[Row[str, str, dt.date]]:
    """(kind, slug, date) of every published entry, for the sitemap."""
    stmt = public(cards=False).with_only_columns(EntryRow.kind, EntryRow.slug, EntryRow.date)
    return list(session.execute(stmt.order_by(EntryRow.kind, EntryRow.slug)).all())


def problem_count(session: Session) -> int:
    """Content problems recorded by the last sync (for the health check)."""
    return session.scalar(select(func.count()).select_from(ProblemRow)) or 0


def topic_articles(session: Session, slug: str) -> dict[str, list[EntryRow]]:
    """Every published entry of a topic with its article, per loop part (oldest first): the booklet's pages."""
    stmt = (
        public(cards=False)
        .where(EntryRow.topic == slug)
        .options(undefer(EntryRow.body_html))
        .order_by(EntryRow.part, EntryRow.date, EntryRow.slug)
    )
    grouped: dict[str, list[EntryRow]] = {part: [] for part in LOOP_PARTS}
    for row in session.scalars(stmt):
        grouped[LOOP_PARTS[row.part]].append(row)
    return grouped
