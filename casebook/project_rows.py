"""Catalog tables for 民生实事 projects: a mirror of ``content/projects/`` that ``casebook sync`` rebuilds.

Figures are stored as exact decimal text (SQLite has no exact decimal type), read back as ``Decimal``.
Rates and the derived status are computed from the figures on every read, never stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .content.project_model import (
    PROJECT_KIND,
    Adjustment,
    Bar,
    Evaluation,
    Milestone,
    Survey,
    Vote,
    bar,
    completion_rate,
    derived_status,
    exceeds,
    plain_number,
    rate_text,
)
from .db import Base


class DecimalText(TypeDecorator[Decimal]):
    """A ``Decimal`` kept as its exact text (``19500``, ``0.13``), never through a float."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else plain_number(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def vote_json(vote: Vote | None) -> dict[str, Any] | None:
    """A vote as the catalog keeps it (the project's and a motion's alike)."""
    if vote is None:
        return None
    return {
        "session": vote.session,
        "date": vote.date.isoformat() if vote.date else None,
        "present": vote.present,
        "for": vote.votes_for,
        "against": vote.against,
        "abstain": vote.abstain,
    }


def vote_from_json(v: dict[str, Any] | None) -> Vote | None:
    """The vote ``vote_json`` kept, or None."""
    if not v:
        return None
    date = dt.date.fromisoformat(v["date"]) if v.get("date") else None
    return Vote(v.get("session", ""), date, v["present"], v["for"], v["against"], v["abstain"])


class ProjectRow(Base):
    """One project, with its Markdown pre-rendered and its structured parts as JSON."""

    __tablename__ = "project"
    __table_args__ = (Index("ix_project_board", "status", "year", "number", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)
    year: Mapped[int]
    number: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(500))
    lead: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="published")
    sample: Mapped[bool] = mapped_column(default=False)
    date: Mapped[dt.date]
    """The latest dated event: orders the feed and search."""
    excerpt: Mapped[str] = mapped_column(Text, default="")
    vote_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    milestones_json: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evaluation_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    adjustments_json: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """The adjustment motions, oldest first (``adjustments:``; added in migration 0010)."""
    survey_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The file's ``survey:`` (an offline questionnaire's counts; added in migration 0009)."""
    related: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Slugs of the topics the project names (``topics:``; added in migration 0006)."""
    body: Mapped[str] = deferred(mapped_column(Text, default=""))
    body_html: Mapped[str] = deferred(mapped_column(Text, default=""))

    indicators: Mapped[list[IndicatorRow]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="IndicatorRow.position", lazy="selectin"
    )

    kind = PROJECT_KIND
    topic = ""  # an entry's single topic; a project names its topics in ``topics``

    @property
    def key(self) -> str:
        return f"{PROJECT_KIND}/{self.slug}"

    @property
    def progress(self) -> str:
        """未开始 / 进行中 / 已完成 / 超额完成, from the stage and the figures."""
        return derived_status(self.stage, self.indicators)

    @property
    def vote(self) -> Vote | None:
        return vote_from_json(self.vote_json)

    @property
    def milestones(self) -> list[Milestone]:
        return [Milestone(m["date"], m["text"], tuple(m.get("evidence", ()))) for m in self.milestones_json]

    @property
    def adjustments(self) -> list[Adjustment]:
        """The motions, oldest first (the page and the feed show them newest first)."""
        return [
            Adjustment(
                dt.date.fromisoformat(a["date"]),
                a["moved_by"],
                a["reason"],
                a["change"],
                a["outcome"],
                vote_from_json(a.get("vote")),
            )
            for a in self.adjustments_json or ()
        ]

    @property
    def latest_adjustment(self) -> Adjustment | None:
        motions = self.adjustments
        return motions[-1] if motions else None

    @property
    def evaluation(self) -> Evaluation | None:
        e = self.evaluation_json
        if not e:
            return None
        date = dt.date.fromisoformat(e["date"]) if e.get("date") else None
        score = Decimal(e["score"]) if e.get("score") is not None else None
        return Evaluation(date, e.get("verdict", ""), score, e.get("text", ""))

    @property
    def survey(self) -> Survey | None:
        s = self.survey_json
        if not s:
            return None
        date = dt.date.fromisoformat(s["date"]) if s.get("date") else None
        return Survey(date, s["method"], s["satisfied"], s["basically"], s["dissatisfied"], s.get("note", ""))


class IndicatorRow(Base):
    """One indicator of a project: exact planned and achieved figures."""

    __tablename__ = "project_indicator"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50), default="")
    planned: Mapped[Decimal | None] = mapped_column(DecimalText)
    achieved: Mapped[Decimal | None] = mapped_column(DecimalText)
    note: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[ProjectRow] = relationship(back_populates="indicators")

    @property
    def rate(self) -> Decimal | None:
        return completion_rate(self.planned, self.achieved)

    @property
    def rate_text(self) -> str:
        return rate_text(self.rate)

    @property
    def exceeded(self) -> bool:
        return exceeds(self)

    @property
    def bar(self) -> Bar | None:
        rate = self.rate
        return None if rate is None else bar(rate)

    @property
    def planned_text(self) -> str:
        return "" if self.planned is None else plain_number(self.planned)

    @property
    def achieved_text(self) -> str:
        return "" if self.achieved is None else plain_number(self.achieved)
