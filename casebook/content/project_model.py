"""民生实事 (livelihood projects): plain data and the rules computed from it.

A project's figures are exact ``Decimal`` values; completion rates and the project's status are
always derived here, never typed into a file. Nothing here touches Flask, YAML or the database,
so the same rules serve the loader, the catalog, the pages and the CSV export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Protocol

PROJECT_KIND = "project"
PROJECT_LABEL = "民生实事"
PROJECTS_DIR = "projects"
STAGES: tuple[str, ...] = ("征集", "初定", "审议", "票决", "实施", "评估", "完成", "调整")
"""The life of a project. 调整 (an adjustment moved during the year) counts as under way."""
BEFORE_WORK: frozenset[str] = frozenset(STAGES[: STAGES.index("实施")])
"""Stages before implementation starts: 征集, 初定, 审议, 票决."""

ADJUSTMENT_OUTCOMES: tuple[str, ...] = ("通过", "未通过", "待表决", "撤回")
"""What became of an adjustment motion (调整动议)."""

NOT_STARTED, IN_PROGRESS, DONE, EXCEEDED = "未开始", "进行中", "已完成", "超额完成"
PROGRESS_STATES: tuple[str, ...] = (NOT_STARTED, IN_PROGRESS, DONE, EXCEEDED)
FINISHED: frozenset[str] = frozenset({DONE, EXCEEDED})

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class Figures(Protocol):
    """Anything with a plan and an achieved figure (an ``Indicator`` or its catalog row)."""

    @property
    def planned(self) -> Decimal | None: ...

    @property
    def achieved(self) -> Decimal | None: ...


@dataclass(frozen=True)
class Indicator:
    """One measurable target: planned vs achieved quantity, in one unit."""

    name: str
    unit: str = ""
    planned: Decimal | None = None
    achieved: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class Vote:
    """The deputies' vote (票决) on the project."""

    session: str
    date: dt.date | None
    present: int
    votes_for: int
    against: int
    abstain: int

    @property
    def not_voting(self) -> int:
        """Present but casting no vote."""
        return self.present - self.votes_for - self.against - self.abstain


@dataclass(frozen=True)
class Milestone:
    """A dated step; ``date`` is ``YYYY-MM-DD`` or, when only the month is known, ``YYYY-MM``."""

    date: str
    text: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """A motion to change the project during the year (调整可动议): who moved it, why, what it
    changes, what became of it and, where there was one, the vote on it."""

    date: dt.date
    moved_by: str
    reason: str
    change: str
    outcome: str
    vote: Vote | None = None


@dataclass(frozen=True)
class Evaluation:
    """The checked result: a verdict (满意, 基本满意 …), a score out of 100, or both."""

    date: dt.date | None
    verdict: str = ""
    score: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class Survey:
    """An offline evaluation by residents (a paper questionnaire, door to door …): counts per choice."""

    date: dt.date | None
    method: str
    satisfied: int
    basically: int
    dissatisfied: int
    note: str = ""

    @property
    def total(self) -> int:
        return self.satisfied + self.basically + self.dissatisfied


@dataclass(frozen=True)
class Project:
    """One validated livelihood project."""

    slug: str
    year: int
    title: str
    lead: str
    stage: str
    body: str = ""
    number: int | None = None
    indicators: tuple[Indicator, ...] = ()
    vote: Vote | None = None
    milestones: tuple[Milestone, ...] = ()
    evaluation: Evaluation | None = None
    adjustments: tuple[Adjustment, ...] = ()
    """Motions to adjust the project, oldest first."""
    survey: Survey | None = None
    """Residents' offline evaluation (``survey:``), shown and counted beside the online ratings."""
    related: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    """Slugs of the topics (``topics.yml``) this project and those topics' entries share."""
    status: str = "published"
    sample: bool = False

    @property
    def key(self) -> str:
        """``project/slug``, unique across the library and across years."""
        return f"{PROJECT_KIND}/{self.slug}"

    @property
    def is_public(self) -> bool:
        return self.status == "published"

    @property
    def progress(self) -> str:
        """The derived status (未开始 / 进行中 / 已完成 / 超额完成)."""
        return derived_status(self.stage, self.indicators)

    @property
    def updated(self) -> dt.date:
        """The latest dated event (vote, milestone, adjustment, evaluation), else 1 January of its year."""
        return latest_date(self.year, self.vote, self.milestones, self.evaluation, self.adjustments)


def latest_date(
    year: int,
    vote: Vote | None,
    milestones: Iterable[Milestone],
    evaluation: Evaluation | None,
    adjustments: Iterable[Adjustment] = (),
) -> dt.date:
    """The date a project last moved: what feeds and search order it by."""
    dates = [milestone_day(m.date) for m in milestones] + [a.date for a in adjustments]
    dates += [d for d in (vote.date if vote else None, evaluation.date if evaluation else None) if d]
    return max(dates, default=dt.date(year, 1, 1))


def milestone_day(value: str) -> dt.date:
    """A milestone date as a day (a month-only date counts as its first day)."""
    return dt.date.fromisoformat(value if len(value) == 10 else f"{value}-01")


def milestone_label(value: str) -> str:
    """``2021年3月`` or ``2021年3月24日``."""
    day = milestone_day(value)
    return f"{day.year}年{day.month}月" + (f"{day.day}日" if len(value) == 10 else "")


def plain_number(value: Decimal) -> str:
    """Exact decimal text without trailing zeros and never in exponent form: ``1.50`` → ``1.5``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def completion_rate(planned: Decimal | None, achieved: Decimal | None) -> Decimal | None:
    """achieved / planned × 100, rounded half-up to two decimals; None without both figures or a plan of 0."""
    if planned is None or achieved is None or planned == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = max(60, len(achieved.as_tuple().digits) + len(planned.as_tuple().digits) + 10)
        return (achieved * _HUNDRED / planned).quantize(_CENT, rounding=ROUND_HALF_UP)


def rate_text(rate: Decimal | None) -> str:
    """``124.64%``, ``154%``, ``102.4%``; empty when there is no rate."""
    return "" if rate is None else f"{plain_number(rate)}%"


def exceeds(item: Figures) -> bool:
    """True when the achieved figure is above a (non-zero) plan."""
    return item.planned is not None and item.planned > 0 and item.achieved is not None and item.achieved > item.planned


def reaches(item: Figures) -> bool:
    """True when the achieved figure reaches a (non-zero) plan: 100% or more."""
    return item.planned is not None and item.planned > 0 and item.achieved is not None and item.achieved >= item.planned


def derived_status(stage: str, indicators: Sequence[Figures]) -> str:
    """The one rule for a project's status.

    已完成 when the stage is 完成, or when there is at least one planned indicator and every planned
    indicator reaches 100% — and then 超额完成 if, moreover, one of them exceeds its plan;
    未开始 while no indicator has an achieved figure and the stage is before 实施; else 进行中.
    """
    planned = [i for i in indicators if i.planned is not None and i.planned > 0]
    all_reached = bool(planned) and all(reaches(i) for i in planned)
    if all_reached or stage == "完成":
        return EXCEEDED if all_reached and any(exceeds(i) for i in planned) else DONE
    if stage in BEFORE_WORK and all(i.achieved is None for i in indicators):
        return NOT_STARTED
    return IN_PROGRESS


@dataclass(frozen=True)
class Bar:
    """Geometry of one progress bar on a 0–100 track (server-drawn SVG).

    Up to 100% the track is the plan and the bar its share; above 100% the track is the achieved
    figure, so the 100% mark moves left and the part beyond it is drawn as the exceeding share.
    """

    done: Decimal
    """Width of the part up to the plan."""
    over: Decimal
    """Width of the part beyond the plan (0 unless exceeded)."""
    mark: Decimal
    """Where the 100% mark sits."""


def bar(rate: Decimal) -> Bar:
    """Bar geometry for a completion rate (in percent)."""
    if rate <= _HUNDRED:
        return Bar(done=max(rate, Decimal(0)), over=Decimal(0), mark=_HUNDRED)
    mark = (_HUNDRED * _HUNDRED / rate).quantize(_CENT, rounding=ROUND_HALF_UP)
    return Bar(done=mark, over=_HUNDRED - mark, mark=mark)
