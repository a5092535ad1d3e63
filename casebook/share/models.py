"""The view counter table: views per day, per page (topic, entry or other page) and per source."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class ViewCount(Base):
    """How many times one page was viewed on one day from one ``?from=`` source. No personal data."""

    __tablename__ = "view_count"
    __table_args__ = (Index("ix_view_count_target", "kind", "slug", "day"),)

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    """``topic``, ``interview``, ``salon``, ``case`` or ``page`` (any other public page)."""
    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    """The topic or entry slug; for ``page`` the endpoint name, e.g. ``public.home``."""
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
