"""Catalog tables: a mirror of ``content/`` that ``casebook sync`` can always rebuild."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .content.model import Chapter
from .db import Base


class TopicRow(Base):
    """A topic (期) from ``topics.yml``."""

    __tablename__ = "topic"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    cover: Mapped[str | None] = mapped_column(String(500))
    example: Mapped[bool] = mapped_column(default=False)

    @property
    def label(self) -> str:
        return f"第{self.number}期·{self.title}"


class EntryRow(Base):
    """One interview, salon or case, with its Markdown pre-rendered to sanitized HTML."""

    __tablename__ = "entry"
    __table_args__ = (
        UniqueConstraint("kind", "slug"),
        Index("ix_entry_latest", "status", "date", "id"),
        Index("ix_entry_kind_latest", "status", "kind", "date", "id"),
        Index("ix_entry_loop", "status", "topic", "part", "date", "slug"),
        Index("ix_entry_progress", "status", "topic", "kind", "scope"),
        Index("ix_entry_topic_id", "topic", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80))
    path: Mapped[str] = mapped_column(String(500), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    topic: Mapped[str] = mapped_column(String(80))
    date: Mapped[dt.date]
    year: Mapped[int] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    street: Mapped[str | None] = mapped_column(String(100), index=True)
    community: Mapped[str | None] = mapped_column(String(100), index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    scope: Mapped[str | None] = mapped_column(String(20))
    part: Mapped[int] = mapped_column(default=0)
    """Position in the topic's loop: 0 一谈, 1 微沙龙, 2 微案例, 3 微分享."""
    people: Mapped[list[str]] = mapped_column(JSON, default=list)
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    video: Mapped[str | None] = mapped_column(String(1000))
    chapters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """``[{"at": seconds, "title": …}]``, in time order (added in catalog schema 2)."""
    cover: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="published")
    sample: Mapped[bool] = mapped_column(default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Declared fields without a column of their own (``catalog="json"`` in ``content/schema.py``)."""
    body: Mapped[str] = deferred(mapped_column(Text, default=""))
    body_html: Mapped[str] = deferred(mapped_column(Text, default=""))

    tag_rows: Mapped[list[TagRow]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="TagRow.position",
        lazy="select",
    )

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.slug}"

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    def value(self, key: str) -> Any:
        """A declared field's stored value, from its column or from ``extra`` (None when absent);
        templates show a field kept in ``extra`` with ``entry.value("key")``."""
        if key in self.__table__.columns and key != "extra":
            return getattr(self, key)
        if key == "tags":
            return self.tags
        return (self.extra or {}).get(key)

    @property
    def chapter_list(self) -> list[Chapter]:
        return [Chapter(int(c["at"]), str(c["title"])) for c in self.chapters or ()]


class TagRow(Base):
    """A tag on an entry, kept in its own table so tag filters and facets use an index."""

    __tablename__ = "entry_tag"
    __table_args__ = (Index("ix_entry_tag_tag", "tag", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    entry: Mapped[EntryRow] = relationship(back_populates="tag_rows")


class SourceFile(Base):
    """A content file seen by the last sync, with its hash, so unchanged files are skipped."""

    __tablename__ = "source_file"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))


class ProblemRow(Base):
    """A problem the last sync found in a content file (path relative to the content folder)."""

    __tablename__ = "problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(500), index=True)
    line: Mapped[int]
    message: Mapped[str] = mapped_column(Text)

    def display(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class Setting(Base):
    """Small key → value state shared by all processes (e.g. the rules fingerprint)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class SearchMiss(Base):
    """Searches that found nothing, counted per query and day so staff see what readers look for in vain.

    Bounded: rows older than ``searching.MISS_DAYS`` are dropped and at most
    ``searching.MISS_QUERIES_PER_DAY`` distinct queries are kept per day, so anonymous queries
    cannot grow the table without end.
    """

    __tablename__ = "search_miss_day"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class StoredFile(Base):
    """A copy of one file of ``content/`` that public pages read (a picture, an attachment,
    ``places.yml``, ``glossary.yml``), kept in a PostgreSQL database so that servers without the
    content folder (``CASEBOOK_INSTANCE=reader``) serve it too. Written only by the writer's sync and
    saves (``catalog.stored``); on SQLite (one machine) the folder itself is read and this stays empty."""

    __tablename__ = "stored_file"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    """Relative to the content folder, posix: ``media/uploads/2026/….jpg``, ``places.yml``."""
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stamp: Mapped[str] = mapped_column(String(80))
    """The file's modification time and size when copied: an unchanged file is not read again."""
    modified: Mapped[dt.datetime]
    """When the copied content last changed (UTC): the ``Last-Modified`` readers send."""
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
