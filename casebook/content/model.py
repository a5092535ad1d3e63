"""Plain data of the case library: topics, entries, places and the problems found in files.

Nothing here touches Flask or the database; every other layer builds on these types.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..video import format_time

KINDS: tuple[str, ...] = ("interview", "salon", "case")
KIND_DIRS: dict[str, str] = {"interview": "interviews", "salon": "salons", "case": "cases"}
STATUSES: tuple[str, ...] = ("published", "draft", "submitted")
SCOPES: tuple[str, ...] = ("local", "national")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LOOP_PARTS: tuple[str, ...] = ("interview", "salon", "local", "national")
"""A topic's loop in order: 一谈 → 微沙龙 → 微案例 → 微分享."""


def loop_part(kind: str, scope: str | None) -> str:
    """Which part of a topic's loop an entry fills."""
    return (scope or "local") if kind == "case" else kind


@dataclass(frozen=True)
class Problem:
    """Something wrong in a content file, located by path and 1-based line."""

    path: Path
    line: int
    message: str
    level: str = "error"
    """``error`` (the file or a value is unusable) or ``warning`` (提示: shown, never blocks)."""
    field: str = ""
    """The front-matter path it is about (``date``, ``chapters.2``, ``indicators.0.planned``); "" for the
    whole file. The editor puts the message under that input; ``check`` prints the line."""

    @property
    def is_warning(self) -> bool:
        return self.level == "warning"

    @property
    def text(self) -> str:
        """The message as reported: warnings start with 提示：."""
        return f"提示：{self.message}" if self.is_warning else self.message

    def display(self, relative_to: Path | None = None) -> str:
        """Render as ``path:line: message``, the path relative to ``relative_to`` if given."""
        path = self.path
        if relative_to is not None:
            try:
                path = path.resolve().relative_to(relative_to.resolve())
            except ValueError:
                import os

                path = Path(os.path.relpath(path.resolve(), relative_to.resolve()))
        return f"{path.as_posix()}:{self.line}: {self.text}"


@dataclass(frozen=True)
class Topic:
    """One 期 of the series, from ``topics.yml``."""

    slug: str
    number: int
    title: str
    summary: str = ""
    cover: str | None = None
    example: bool = False

    @property
    def label(self) -> str:
        """``第1期·无主管楼院治理``."""
        return f"第{self.number}期·{self.title}"


@dataclass(frozen=True)
class Rules:
    """What entries are validated against: the topics and the street → communities map."""

    topics: dict[str, Topic] = field(default_factory=dict)
    places: dict[str, tuple[str, ...]] = field(default_factory=dict)
    media: frozenset[str] = frozenset()
    """Files under ``content/media/`` (posix paths relative to it); empty set = unchecked."""

    @property
    def communities(self) -> dict[str, str]:
        """Community → its street."""
        return {c: street for street, cs in self.places.items() for c in cs}


@dataclass(frozen=True)
class Chapter:
    """A chapter of an entry's video: where it starts (seconds) and what it is about."""

    at: int
    title: str

    @property
    def time(self) -> str:
        """``03:15`` (``1:02:03`` past the hour): how staff write it and readers see it."""
        return format_time(self.at)


@dataclass(frozen=True)
class Source:
    """Where a 微分享 case was first published (``source:``): publisher, article address, date."""

    name: str
    url: str | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class Attachment:
    """A downloadable template (``attachments:`` item): a PDF, DOCX or XLSX file under media/, titled."""

    file: str
    title: str

    @property
    def ext(self) -> str:
        """``pdf``, ``docx`` or ``xlsx`` (from the stored file's name)."""
        return self.file.rsplit(".", 1)[-1].lower()


@dataclass(frozen=True)
class Entry:
    """One validated interview, salon or case."""

    kind: str
    slug: str
    title: str
    topic: str
    date: dt.date
    body: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    street: str | None = None
    community: str | None = None
    region: str | None = None
    scope: str | None = None
    people: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    video: str | None = None
    chapters: tuple[Chapter, ...] = ()
    cover: str | None = None
    status: str = "published"
    sample: bool = False
    extra: tuple[tuple[str, Any], ...] = ()
    """Declared fields (``content/schema.py``) that have no attribute here, as ``(key, value)`` pairs."""

    @property
    def key(self) -> str:
        """``kind/slug``, unique across the library."""
        return f"{self.kind}/{self.slug}"

    def value(self, key: str) -> Any:
        """A declared field's value: its attribute, or its entry in ``extra`` (None when absent)."""
        if key in ENTRY_ATTRIBUTES:
            return getattr(self, key)
        return dict(self.extra).get(key)

    @property
    def is_public(self) -> bool:
        return self.status == "published"


ENTRY_ATTRIBUTES = frozenset(f.name for f in fields(Entry)) - {"extra"}
"""The fields ``Entry`` has as attributes; any other declared field lives in ``Entry.extra``."""
