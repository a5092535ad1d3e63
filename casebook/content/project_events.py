"""The dated events of a 民生实事 project, for its "最近更新" list and its Atom feeds (进展可监督).

A project moves by its deputies' vote, its milestones, its adjustment motions and its evaluation.
Each event gets a stable name (``anchor``) built from what it is, never from its place in a list,
so inserting a milestone before another leaves the others' feed ids as they were. Pure: it reads
anything shaped like a ``Project`` (the dataclass or its catalog row).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .project_model import Adjustment, Evaluation, Milestone, Vote, milestone_day, milestone_label, plain_number


class Dated(Protocol):
    """What events are read from: a ``Project`` or a ``ProjectRow``."""

    @property
    def vote(self) -> Vote | None: ...

    @property
    def milestones(self) -> Iterable[Milestone]: ...

    @property
    def adjustments(self) -> Iterable[Adjustment]: ...

    @property
    def evaluation(self) -> Evaluation | None: ...


@dataclass(frozen=True)
class Event:
    """One dated step of a project."""

    anchor: str
    """Stable name inside the project: ``vote``, ``milestone-2021-04-<hash>``, ``evaluation`` …"""
    day: dt.date
    """The day it counts as (a month-only milestone: the month's first day)."""
    when: str
    """The date as people read it: ``2021年4月（月份）`` or ``2021年4月20日``."""
    kind: str
    """进展 / 代表票决 / 调整动议 / 评估."""
    text: str


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]


def day_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _vote_text(vote: Vote) -> str:
    return f"赞成 {vote.votes_for}，反对 {vote.against}，弃权 {vote.abstain}（出席 {vote.present}）"


def project_events(project: Dated) -> list[Event]:
    """Every dated event of ``project``, newest first (events on one day: evaluation, motions, vote,
    milestones). Undated votes and evaluations are left out."""
    events: list[tuple[int, Event]] = []
    vote = project.vote
    if vote is not None and vote.date is not None:
        text = f"{vote.session}代表票决：{_vote_text(vote)}" if vote.session else f"代表票决：{_vote_text(vote)}"
        events.append((2, Event("vote", vote.date, day_label(vote.date), "代表票决", text)))
    for m in project.milestones:
        day = milestone_day(m.date)
        when = milestone_label(m.date) + ("（日期只到月份）" if len(m.date) == 7 else "")
        events.append((1, Event(f"milestone-{m.date}-{_digest(m.date, m.text)}", day, when, "进展", m.text)))
    for a in project.adjustments:
        text = f"{a.moved_by}提出：{a.change}（{a.outcome}）"
        if a.vote is not None:
            text += f"；表决：{_vote_text(a.vote)}"
        anchor = f"adjustment-{a.date.isoformat()}-{_digest(a.date.isoformat(), a.moved_by, a.change)}"
        events.append((3, Event(anchor, a.date, day_label(a.date), "调整动议", text)))
    review = project.evaluation
    if review is not None and review.date is not None:
        verdict = "，".join(
            x for x in (review.verdict, f"{plain_number(review.score)} 分" if review.score is not None else "") if x
        )
        text = f"评估结论：{verdict}" + (f"。{review.text}" if review.text else "")
        events.append((4, Event("evaluation", review.date, day_label(review.date), "评估", text)))
    events.sort(key=lambda item: (item[1].day, item[0]), reverse=True)
    return [event for _, event in events]
