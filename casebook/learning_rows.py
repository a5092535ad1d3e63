"""Catalog table for 借鉴 learning records: a mirror of ``content/learning/`` that ``casebook sync`` rebuilds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .content.schema import LEARNING_KIND
from .db import Base


class LearningRow(Base):
    """One record: who learned (community, street), how (type), when, and from what.

    ``sources`` are the entry keys named in ``learned_from``; ``topics`` the record's topic and the
    topics of those entries (what the street × topic matrix counts), both derived at sync."""

    __tablename__ = "learning"
    __table_args__ = (Index("ix_learning_latest", "status", "date", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    """The record's own title, or one made from the community and what it learned from."""
    date: Mapped[dt.date]
    community: Mapped[str] = mapped_column(String(100), index=True)
    street: Mapped[str | None] = mapped_column(String(100), index=True)
    type: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(80))
    """The topic the file names (None when it names only entries)."""
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="published")
    sample: Mapped[bool] = mapped_column(default=False)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = deferred(mapped_column(Text, default=""))
    body_html: Mapped[str] = deferred(mapped_column(Text, default=""))

    kind = LEARNING_KIND

    @property
    def key(self) -> str:
        return f"{LEARNING_KIND}/{self.slug}"
