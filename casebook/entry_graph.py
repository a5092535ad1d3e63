"""Where an entry sits among the others: its neighbours in the topic's loop and its related entries.

Both depend on every published entry, so working them out in SQL cost an entry page most of its
time (seven queries, one of them a union of a pool per trait, then the cards). Each server process
instead keeps one compact map of the published entries — what a card shows plus the traits
relatedness is scored on, never a body — and of the topics, for the catalog generation it was read
at (the generation the page cache keys on), and answers from memory. The map is re-read (three
queries) the first time a page needs it after a change; at 10,000 entries it holds about 20 MB.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from sqlalchemy import select

from .content import LOOP_PARTS
from .db import DbSession as Session
from .models import EntryRow, TagRow, TopicRow

NEWEST = 50
RELATED_POOL = 24
"""Candidates taken per shared trait (newest first) before scoring: keeps related() bounded."""

_Order = tuple[int, dt.date, str]


@dataclass(frozen=True, slots=True)
class Card:
    """A published entry as a card shows it (named like ``EntryRow``'s columns), with its tags."""

    id: int
    kind: str
    slug: str
    title: str
    topic: str
    date: dt.date
    summary: str
    excerpt: str
    street: str | None
    community: str | None
    region: str | None
    scope: str | None
    sample: bool
    part: int
    tags: frozenset[str]

    @property
    def order(self) -> _Order:
        """(loop part, date, slug): the order of entries within a topic."""
        return self.part, self.date, self.slug


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic as pages show it (named like ``TopicRow``'s columns)."""

    slug: str
    number: int
    title: str
    summary: str
    cover: str | None
    example: bool

    @property
    def label(self) -> str:
        return f"第{self.number}期·{self.title}"


@dataclass
class Surroundings:
    """What an entry page shows around the entry: its neighbours in the topic's loop and related entries."""

    previous: Card | None
    following: Card | None
    related: list[Card]


@dataclass
class EntryGraph:
    """Every published entry's traits, with the indexes neighbours and related() need."""

    generation: int
    cards: dict[int, Card] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    loops: dict[str, list[_Order]] = field(default_factory=dict)
    """Topic → the orders of its entries, sorted."""
    loop_ids: dict[str, list[int]] = field(default_factory=dict)
    """Topic → entry ids, in the same order as ``loops``."""
    pools: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(trait, value) → ids of the entries that have it, newest (highest id) first."""
    parts: dict[str, list[list[Card]]] = field(default_factory=dict)
    """Topic → its entries per loop part, in loop order."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Topic → loop part → number of entries (topics with entries only)."""
    newest: list[int] = field(default_factory=list)
    """The first NEWEST ids by date, then id, newest first (the home page's latest entries)."""

    @classmethod
    def read(cls, session: Session, generation: int) -> EntryGraph:
        """Read the published entries' traits from the catalog."""
        graph = cls(generation)
        for row in session.scalars(select(TopicRow).order_by(TopicRow.number)):
            graph.topics[row.slug] = Topic(row.slug, row.number, row.title, row.summary, row.cover, row.example)
        tags: dict[int, list[str]] = {}
        published = select(EntryRow.id).where(EntryRow.status == "published")
        for entry_id, tag in session.execute(select(TagRow.entry_id, TagRow.tag).where(TagRow.entry_id.in_(published))):
            tags.setdefault(entry_id, []).append(tag)
        loops: dict[str, list[tuple[_Order, int]]] = {}
        columns = [getattr(EntryRow, name) for name in _CARD_COLUMNS]  # the same names as Card's fields
        rows = session.execute(select(*columns).where(EntryRow.status == "published").order_by(EntryRow.id.desc()))
        for values in rows:
            card = Card(**values._mapping, tags=frozenset(tags.get(values.id, ())))
            graph.cards[card.id] = card
            loops.setdefault(card.topic, []).append((card.order, card.id))
            for key in _trait_keys(card):
                graph.pools.setdefault(key, []).append(card.id)  # rows come newest first
        by_date = sorted(graph.cards.values(), key=lambda c: (c.date, c.id), reverse=True)
        graph.newest = [card.id for card in by_date[:NEWEST]]
        for topic, members in loops.items():
            members.sort()
            graph.loops[topic] = [order for order, _ in members]
            graph.loop_ids[topic] = [entry_id for _, entry_id in members]
            parts: list[list[Card]] = [[] for _ in LOOP_PARTS]
            for entry_id in graph.loop_ids[topic]:
                parts[graph.cards[entry_id].part].append(graph.cards[entry_id])
            graph.parts[topic] = parts
            graph.counts[topic] = {part: len(cards) for part, cards in zip(LOOP_PARTS, parts, strict=True)}
        return graph

    def neighbours(self, entry_id: int) -> tuple[int | None, int | None]:
        """Ids of the previous and next published entry within the topic, in loop order."""
        here = self.cards.get(entry_id)
        if here is None:
            return None, None
        orders, ids = self.loops[here.topic], self.loop_ids[here.topic]
        before = bisect_left(orders, here.order)
        after = bisect_right(orders, here.order)
        return (ids[before - 1] if before > 0 else None), (ids[after] if after < len(ids) else None)

    def related(self, entry_id: int, limit: int = 4) -> list[int]:
        """Ids of entries sharing topic, tags, street or community — more in common first, then newer."""
        here = self.cards.get(entry_id)
        if here is None:
            return []
        candidates: set[int] = set()
        for key in _trait_keys(here):
            pool = self.pools.get(key, [])
            candidates.update([i for i in pool[: RELATED_POOL + 1] if i != entry_id][:RELATED_POOL])

        def score(other_id: int) -> tuple[int, dt.date, int]:
            other = self.cards[other_id]
            points = 3 * (other.topic == here.topic) + 2 * len(other.tags & here.tags)
            points += 2 * bool(here.community and other.community == here.community)
            points += bool(here.street and other.street == here.street)
            return points, other.date, other_id

        return sorted(candidates, key=score, reverse=True)[:limit]

    def topic_parts(self, slug: str, limit: int) -> dict[str, tuple[list[Card], int]]:
        """The topic's entries per loop part (oldest first, at most ``limit``) and each part's total."""
        parts = self.parts.get(slug) or [[] for _ in LOOP_PARTS]
        return {part: (cards[:limit], len(cards)) for part, cards in zip(LOOP_PARTS, parts, strict=True)}

    def progress(self) -> dict[str, dict[str, int]]:
        """Topic slug → loop part → number of published entries (topics without entries left out)."""
        return {topic: dict(counts) for topic, counts in self.counts.items()}

    def latest(self, limit: int = 8) -> list[Card]:
        """The newest published entries (by date, then id), at most NEWEST."""
        return [self.cards[i] for i in self.newest[:limit]]

    def surroundings(self, entry_id: int, limit: int = 4) -> Surroundings:
        """The cards of the previous and next entry within the topic and of up to ``limit`` related ones."""
        previous, following = self.neighbours(entry_id)
        return Surroundings(
            None if previous is None else self.cards[previous],
            None if following is None else self.cards[following],
            [self.cards[i] for i in self.related(entry_id, limit)],
        )


_CARD_COLUMNS = tuple(name for name in Card.__dataclass_fields__ if name != "tags")


def _trait_keys(card: Card) -> list[tuple[str, str]]:
    keys = [("topic", card.topic)]
    if card.community:
        keys.append(("community", card.community))
    if card.street:
        keys.append(("street", card.street))
    keys += [("tag", tag) for tag in sorted(card.tags)]
    return keys


class GraphCache:
    """The graph of the newest generation a request asked for, read once per process and generation."""

    def __init__(self) -> None:
        self._graph: EntryGraph | None = None
        self._lock = threading.Lock()

    def get(self, session: Session, generation: int) -> EntryGraph:
        graph = self._graph
        if graph is not None and graph.generation == generation:
            return graph
        with self._lock:  # one reader per process builds it; the others wait for it instead of repeating it
            graph = self._graph
            if graph is None or graph.generation != generation:
                graph = EntryGraph.read(session, generation)
                if self._graph is None or self._graph.generation <= generation:
                    self._graph = graph
            return graph
