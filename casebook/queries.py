"""Read queries for the public pages. Only ``published`` entries ever leave this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Row, Select, func, literal, select, tuple_, union_all
from sqlalchemy.orm import load_only, selectinload, undefer

from .content import LOOP_PARTS, schema
from .content.schema import PART_HEADINGS
from .db import DbSession as Session
from .models import EntryRow, TagRow, TopicRow

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


def get_entry(session: Session, kind: str, slug: str) -> EntryRow | None:
    """A published entry with everything its page shows."""
    stmt = (
        public(cards=False)
        .where(EntryRow.kind == kind, EntryRow.slug == slug)
        .options(undefer(EntryRow.body_html), selectinload(EntryRow.tag_rows))
    )
    return session.scalars(stmt).one_or_none()


def neighbours(session: Session, entry: EntryRow) -> tuple[EntryRow | None, EntryRow | None]:
    """Previous and next entry within the topic, in loop order."""
    order = tuple_(EntryRow.part, EntryRow.date, EntryRow.slug)
    here = tuple_(literal(entry.part), literal(entry.date), literal(entry.slug))
    base = public().where(EntryRow.topic == entry.topic)
    before = session.scalars(
        base.where(order < here).order_by(EntryRow.part.desc(), EntryRow.date.desc(), EntryRow.slug.desc()).limit(1)
    ).first()
    after = session.scalars(
        base.where(order > here).order_by(EntryRow.part, EntryRow.date, EntryRow.slug).limit(1)
    ).first()
    return before, after


RELATED_POOL = 24
"""Candidates taken per shared trait (newest first) before scoring: keeps related() bounded."""


def related(session: Session, entry: EntryRow, limit: int = 4) -> list[EntryRow]:
    """Other entries sharing topic, tags, street or community — more in common first, then newer."""
    tags = list(entry.tags)
    pools = [select(EntryRow.id).where(EntryRow.topic == entry.topic)]
    if entry.community:
        pools.append(select(EntryRow.id).where(EntryRow.community == entry.community))
    if entry.street:
        pools.append(select(EntryRow.id).where(EntryRow.street == entry.street))
    pools += [select(TagRow.entry_id).where(TagRow.tag == tag) for tag in tags]
    newest = []
    for pool in pools:
        column = pool.selected_columns[0]
        newest.append(select(pool.where(column != entry.id).order_by(column.desc()).limit(RELATED_POOL).subquery()))
    ids = set(session.scalars(union_all(*newest)))  # one round trip for every pool
    if not ids:
        return []
    shared: dict[int, int] = {}
    if tags:
        counts = select(TagRow.entry_id, func.count()).where(TagRow.entry_id.in_(ids), TagRow.tag.in_(tags))
        shared = {entry_id: n for entry_id, n in session.execute(counts.group_by(TagRow.entry_id))}
    traits = select(EntryRow.id, EntryRow.topic, EntryRow.community, EntryRow.street, EntryRow.date).where(
        EntryRow.status == "published", EntryRow.id.in_(ids)
    )

    def score(row: Row[int, str, str | None, str | None, dt.date]) -> tuple[int, dt.date, int]:
        entry_id, topic, community, street, date = row
        points = 3 * (topic == entry.topic) + 2 * shared.get(entry_id, 0)
        points += 2 * bool(entry.community and community == entry.community)
        points += bool(entry.street and street == entry.street)
        return points, date, entry_id

    best = [row[0] for row in sorted(session.execute(traits).all(), key=score, reverse=True)[:limit]]
    found = {row.id: row for row in session.scalars(public().where(EntryRow.id.in_(best)))}
    return [found[i] for i in best if i in found]


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
