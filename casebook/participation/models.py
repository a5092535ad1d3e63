"""Tables of the public forms' shared limits. Not rebuilt from ``content/``."""

from __future__ import annotations

from sqlalchemy import Index, String
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
