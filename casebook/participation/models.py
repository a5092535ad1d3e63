"""Tables of the public forms: their shared limits and the ratings. Not rebuilt from ``content/``: back them up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class PublicPost(Base):
    """One accepted post of a public form from one client, kept only as long as the longest window
    counting it (a day): the form's name, a keyed hash of the address (never the address) and the time."""

    __tablename__ = "public_post"
    __table_args__ = (Index("ix_public_post_form_source_at", "form", "source", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(64))
    """``address_key``: an HMAC of the client's address under the site's secret key."""
    at: Mapped[float]
    """Seconds since the epoch."""


class Rating(Base):
    """One browser's rating (评议) of one project: the choice, an optional comment and its moderation
    state. The browser is known only by a hash of the random token in its cookie; no address, no name."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("project", "token_hash", name="uq_rating_project_token"),
        Index("ix_rating_year", "year"),
        Index("ix_rating_comment_state", "comment_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(90))
    """The project's key, ``project/<slug>`` (slugs are unique across years)."""
    year: Mapped[int]
    slug: Mapped[str] = mapped_column(String(80))
    choice: Mapped[str] = mapped_column(String(8))
    """满意 / 基本满意 / 不满意."""
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_state: Mapped[str] = mapped_column(String(10), default="")
    """``""`` (no comment), ``pending`` (待审核), ``approved`` (已通过) or ``rejected`` (未通过)."""
    token_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the browser's random rating token; the token itself is never stored."""
    created_at: Mapped[dt.datetime]
    """Naive UTC: when this browser first rated the project."""
    updated_at: Mapped[dt.datetime]
    """Naive UTC: when the rating last changed (a second rating replaces the first)."""
    moderated_by: Mapped[str] = mapped_column(String(100), default="")
    moderated_at: Mapped[dt.datetime | None]
