"""Read queries for the public pages. Only ``published`` entries ever leave this module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from .db import DbSession as Session
from .models import EntryRow, TagRow, TopicRow

PER_PAGE = 20
FILTERS = ("topic", "street", "tag", "year", "scope")

# The loop's order: 一谈 → 微沙龙 → 微案例 → 微分享.
PARTS: tuple[tuple[str, str], ...] = (
    ("interview", "一谈·社区书记谈治理"),
    ("salon", "微沙龙"),
    ("local", "微案例"),
    ("national", "微分享"),
)
PART_TARGET = {"interview": 1, "salon": 1, "local": 1, "national": 2}


def part_of(kind: str, scope: str | None) -> str:
    """Which part of a topic's loop an entry fills."""
    return (scope or "local") if kind == "case" else kind


_PART_ORDER = case(
    (EntryRow.kind == "interview", 0),
    (EntryRow.kind == "salon", 1),
    (EntryRow.scope == "national", 3),
    else_=2,
)


def public() -> Select[EntryRow]:
    """Published entries, newest first."""
    return select(EntryRow).where(EntryRow.status == "published")


def topics(session: Session) -> list[TopicRow]:
    return list(session.scalars(select(TopicRow).order_by(TopicRow.number)))


def topic_map(session: Session) -> dict[str, TopicRow]:
    return {t.slug: t for t in topics(session)}


def topic_progress(session: Session) -> dict[str, dict[str, int]]:
    """Topic slug → part → number of published entries."""
    rows = session.execute(
        select(EntryRow.topic, EntryRow.kind, EntryRow.scope, func.count())
        .where(EntryRow.status == "published")
        .group_by(EntryRow.topic, EntryRow.kind, EntryRow.scope)
    )
    progress: dict[str, dict[str, int]] = {}
    for topic, kind, scope, count in rows:
        parts = progress.setdefault(topic, dict.fromkeys(PART_TARGET, 0))
        parts[part_of(kind, scope)] += count
    return progress


def latest(session: Session, limit: int = 8) -> list[EntryRow]:
    stmt = public().order_by(EntryRow.date.desc(), EntryRow.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def topic_entries(session: Session, slug: str) -> dict[str, list[EntryRow]]:
    """The topic's published entries grouped by loop part, oldest first within a part."""
    stmt = public().where(EntryRow.topic == slug).order_by(_PART_ORDER, EntryRow.date, EntryRow.slug)
    grouped: dict[str, list[EntryRow]] = {part: [] for part, _ in PARTS}
    for row in session.scalars(stmt):
        grouped[part_of(row.kind, row.scope)].append(row)
    return grouped


def get_entry(session: Session, kind: str, slug: str) -> EntryRow | None:
    stmt = public().where(EntryRow.kind == kind, EntryRow.slug == slug)
    return session.scalars(stmt).one_or_none()


def neighbours(session: Session, entry: EntryRow) -> tuple[EntryRow | None, EntryRow | None]:
    """Previous and next entry within the topic, in loop order."""
    order = tuple_(_PART_ORDER, EntryRow.date, EntryRow.slug)
    here = tuple_(literal(_part_rank(entry)), literal(entry.date), literal(entry.slug))
    base = public().where(EntryRow.topic == entry.topic)
    before = session.scalars(
        base.where(order < here).order_by(_PART_ORDER.desc(), EntryRow.date.desc(), EntryRow.slug.desc()).limit(1)
    ).first()
    after = session.scalars(
        base.where(order > here).order_by(_PART_ORDER, EntryRow.date, EntryRow.slug).limit(1)
    ).first()
    return before, after


def _part_rank(entry: EntryRow) -> int:
    return [p for p, _ in PARTS].index(part_of(entry.kind, entry.scope))


def related(session: Session, entry: EntryRow, limit: int = 4) -> list[EntryRow]:
    """Other entries sharing topic, tags, street or community — more in common first."""
    tags = entry.tags
    shared_tags = (
        select(func.count())
        .select_from(TagRow)
        .where(TagRow.entry_id == EntryRow.id, TagRow.tag.in_(tags))
        .scalar_subquery()
        if tags
        else literal(0)
    )
    score: ColumnElement[int] = (
        case((EntryRow.topic == entry.topic, 3), else_=0)
        + case((and_(EntryRow.community.is_not(None), EntryRow.community == entry.community), 2), else_=0)
        + case((and_(EntryRow.street.is_not(None), EntryRow.street == entry.street), 1), else_=0)
        + shared_tags * 2
    )
    candidates = [EntryRow.topic == entry.topic]
    if entry.street:
        candidates.append(EntryRow.street == entry.street)
    if tags:
        candidates.append(EntryRow.id.in_(select(TagRow.entry_id).where(TagRow.tag.in_(tags))))
    stmt = (
        public()
        .where(EntryRow.id != entry.id, or_(*candidates))
        .order_by(score.desc(), EntryRow.date.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


@dataclass
class Listing:
    """One page of a filtered list, with facet counts."""

    entries: list[EntryRow]
    total: int
    page: int
    pages: int
    filters: dict[str, str]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def clean_filters(args: Mapping[str, str]) -> dict[str, str]:
    """Keep the known filters that have a value; a non-numeric year is dropped."""
    filters = {k: args[k].strip() for k in FILTERS if args.get(k, "").strip()}
    if "year" in filters and not filters["year"].isdigit():
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
