"""The ``proposal`` table: residents' 征集 proposals (online) and those staff record offline.

Not rebuilt from ``content/`` except the offline ones (``source_ref`` set), which the sync mirrors
from ``projects/<year>/proposals.yml``. ``name`` and ``phone`` are the only personal data; they are
blanked by ``casebook proposals purge`` after the retention period (``purged_at`` says when).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..staff.models import utcnow


class Proposal(Base):
    __tablename__ = "proposal"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_proposal_year_number"),
        UniqueConstraint("source_ref", name="uq_proposal_source_ref"),
        Index("ix_proposal_year_street", "year", "street"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    number: Mapped[int]
    """Its place in the year: the reference ``2027-0042``."""
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    street: Mapped[str] = mapped_column(String(100))
    community: Mapped[str] = mapped_column(String(100), default="")
    suggestion: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    channel: Mapped[str] = mapped_column(String(20), default="网上")
    """网上 (the public form) or how an offline one came in (线下, 热线, 代表走访 …)."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="待处理")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None]
    merged_into: Mapped[int | None]
    """The id of the proposal this one was merged into."""
    project_slug: Mapped[str] = mapped_column(String(100), default="")
    published: Mapped[bool] = mapped_column(default=False)
    purged_at: Mapped[dt.datetime | None]
    """When the personal data was removed (retention)."""
    source_ref: Mapped[str | None] = mapped_column(String(100))
    """Offline proposals only: ``<year>/<ref>`` of their line in ``proposals.yml``."""
    sample: Mapped[bool] = mapped_column(default=False)

    @property
    def reference(self) -> str:
        """``2027-0042``."""
        return f"{self.year}-{self.number:04d}"
