"""Read queries for 借鉴 learning records: the ``/learning/`` table and matrix, a record's page, and
what entry, topic and community pages show of them. Only published records (and, as what they
learned from, published entries) ever leave this module.

Records are few (a district's visits, not its articles): a query loads the published ones and the
table is filtered, counted and paged here, which keeps the ``topics`` list a plain JSON column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, select

from .content.schema import LEARNING_FILTERS, LEARNING_TYPES
from .db import DbSession as Session
from .learning_rows import LearningRow
from .models import EntryRow, TopicRow
from .queries import PER_PAGE, public

ADOPTED = LEARNING_TYPES[-1]
"""借鉴落地: the community took the practice up at home."""


def published() -> Select[LearningRow]:
    """Published records, newest first."""
    stmt = select(LearningRow).where(LearningRow.status == "published")
    return stmt.order_by(LearningRow.date.desc(), LearningRow.id.desc())


def get(session: Session, slug: str) -> LearningRow | None:
    return session.scalars(published().where(LearningRow.slug == slug)).one_or_none()


def clean_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The known filters (street, type, topic) that have a value."""
    return {k: args[k].strip()[:100] for k in LEARNING_FILTERS if args.get(k, "").strip()}


def _matches(row: LearningRow, filters: Mapping[str, str], skip: str = "") -> bool:
    for name, value in filters.items():
        if name == skip:
            continue
        if name == "topic" and value not in (row.topics or ()):
            return False
        if name != "topic" and getattr(row, name) != value:
            return False
    return True


def _values(row: LearningRow, name: str) -> list[str]:
    if name == "topic":
        return list(row.topics or ())
    value = getattr(row, name)
    return [value] if value else []


@dataclass
class LearningPage:
    """One page of the filtered table, with facet counts (each under the other filters)."""

    entries: list[LearningRow]
    total: int
    page: int
    pages: int
    filters: dict[str, str]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def listing(session: Session, filters: Mapping[str, str], page: int = 1, per_page: int = PER_PAGE) -> LearningPage:
    """Records matching every filter, newest first, one page of them."""
    rows = list(session.scalars(published()))
    found = [row for row in rows if _matches(row, filters)]
    pages = max(1, -(-len(found) // per_page))
    page = min(max(1, page), pages)
    result = LearningPage(found[(page - 1) * per_page : page * per_page], len(found), page, pages, dict(filters))
    for name in LEARNING_FILTERS:
        counts = Counter(v for row in rows if _matches(row, filters, skip=name) for v in _values(row, name))
        result.facets[name] = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return result


@dataclass
class Matrix:
    """Street × topic: how many records of each street's communities learned from each topic."""

    streets: list[str]
    topics: list[TopicRow]
    cells: dict[tuple[str, str], int]

    def count(self, street: str, topic: str) -> int:
        return self.cells.get((street, topic), 0)


def matrix(session: Session, street_order: list[str] | None = None) -> Matrix:
    """The uptake matrix of every published record; streets in ``street_order`` (places.yml) first."""
    cells: Counter[tuple[str, str]] = Counter()
    for row in session.scalars(published()):
        for topic in row.topics or ():
            cells[(row.street or "", topic)] += 1
    order = {name: n for n, name in enumerate(street_order or ())}
    streets = sorted({s for s, _ in cells}, key=lambda s: (order.get(s, len(order)), s))
    used = {t for _, t in cells}
    topics = [t for t in session.scalars(select(TopicRow).order_by(TopicRow.number)) if t.slug in used]
    return Matrix(streets, topics, dict(cells))


def for_entry(session: Session, key: str) -> list[LearningRow]:
    """Records that name the entry ``key`` in ``learned_from``, newest first."""
    return [row for row in session.scalars(published()) if key in (row.sources or ())]


def sources(session: Session, row: LearningRow) -> list[EntryRow]:
    """The published entries a record learned from, in the record's order."""
    keys = list(row.sources or ())
    if not keys:
        return []
    found = {e.key: e for e in session.scalars(public()) if e.key in keys}
    return [found[k] for k in keys if k in found]


@dataclass
class Uptake:
    """The fifth step of a topic's loop: who learned from it, and who took it up."""

    records: list[LearningRow]

    @property
    def communities(self) -> list[str]:
        return list(dict.fromkeys(row.community for row in self.records))

    @property
    def adopted(self) -> list[str]:
        return list(dict.fromkeys(row.community for row in self.records if row.type == ADOPTED))


def topic_uptake(session: Session, topic: str) -> Uptake:
    return Uptake([row for row in session.scalars(published()) if topic in (row.topics or ())])


def uptake_counts(session: Session) -> dict[str, int]:
    """Topic slug → how many communities learned from it (for the home page's topic chips)."""
    seen: dict[str, set[str]] = {}
    for row in session.scalars(published()):
        for topic in row.topics or ():
            seen.setdefault(topic, set()).add(row.community)
    return {topic: len(names) for topic, names in seen.items()}


@dataclass
class CommunityLearning:
    """A community page's 借鉴 part: what it learned, and who learned from its entries."""

    learned: list[LearningRow]
    taught: list[LearningRow]


def for_community(session: Session, name: str) -> CommunityLearning:
    keys = {e.key for e in session.scalars(public().where(EntryRow.community == name))}
    rows = list(session.scalars(published()))
    return CommunityLearning(
        [row for row in rows if row.community == name],
        [row for row in rows if keys & set(row.sources or ()) and row.community != name],
    )


def sitemap_rows(session: Session) -> list[LearningRow]:
    """Every published record (the sitemap lists each page)."""
    return list(session.scalars(published()))
