"""Topics (期) a query names: each positive word a folded substring of the topic's title or summary."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from .text import ParsedQuery, fold


class TopicLike(Protocol):
    @property
    def title(self) -> str: ...

    @property
    def summary(self) -> str: ...


T = TypeVar("T", bound=TopicLike)


def matching_topics(query: ParsedQuery, topics: Iterable[T]) -> list[T]:
    """The topics whose title or summary holds every positive word and no excluded one, in order given."""
    wanted = [term.text for term in query.positive]
    if not wanted:
        return []
    unwanted = [term.text for term in query.negative]
    found: list[T] = []
    for topic in topics:
        text = fold(f"{topic.title}\n{topic.summary or ''}")
        if all(word in text for word in wanted) and not any(word in text for word in unwanted):
            found.append(topic)
    return found
