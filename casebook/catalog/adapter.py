"""What the generic sync needs to know about one kind of content file (entries, projects, …).

An adapter lists its files, names the key two files must not share, turns one file into an item
and problems (pure: no database), and writes an item's row. ``sync.sync_kind`` does the rest the
same way for every kind: content hashes, removals, problems, counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..content import Problem
from ..db import DbSession as Session


@dataclass
class Prepared:
    """A file read ahead of its database writes: the item (None if unusable), its problems, extras."""

    item: Any
    problems: list[Problem] = field(default_factory=list)
    extra: Any = None
    """Work done with the item that the row needs (entries: the body rendered to HTML)."""


class KindAdapter(Protocol):
    """One kind of content file as the generic sync sees it."""

    name: str
    """For logs and messages (``entries``, ``projects``)."""

    def owns(self, rel: str) -> bool:
        """Whether a stored source path (relative to the content folder) belongs to this kind."""
        ...

    def files(self, root: Path) -> Mapping[str, Path]:
        """Every file of this kind under ``root``, by relative posix path, in sorted order."""
        ...

    def key_of(self, rel: str) -> str:
        """What two files of this kind must not share (the first one wins)."""
        ...

    def duplicate(self, path: Path, key: str, first: str) -> Problem:
        """The problem reported for a file whose key ``first`` already uses."""
        ...

    def prepare(self, root: Path, rel: str, path: Path) -> Prepared:
        """Parse, validate and render one file; pure (no database)."""
        ...

    def row_at(self, session: Session, rel: str) -> Any:
        """The row mirroring the file ``rel``, if any."""
        ...

    def upsert(self, session: Session, prepared: Prepared, rel: str) -> str:
        """Insert or update the row of a usable item; return its key (``kind/slug``)."""
        ...
