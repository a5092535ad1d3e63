"""Read queries for the 民生实事 pages: years, a year's board with filters and totals, one project, CSV.

Only ``published`` projects (and published related entries) ever leave this module. The CSV is
built from the same ``Board`` the page shows, so the download is exactly what is on screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import undefer

from . import spreadsheet
from .content.project_model import FINISHED, STAGES, reaches
from .db import DbSession as Session
from .models import EntryRow, TopicRow
from .project_rows import ProjectRow
from .queries import public

CSV_HEADER = (
    "项目", "牵头单位", "阶段", "指标", "单位", "计划", "完成", "完成率",
    "调整动议数", "最近动议日期", "最近动议结果", "最近动议调整内容",
)  # fmt: skip
FILTERS = ("stage", "lead", "motion")
HAS_MOTION = "有调整动议"
"""The one value of the ``motion`` filter: projects with at least one adjustment motion."""


def published() -> Select[ProjectRow]:
    """Published projects in board order: by number, then title."""
    return (
        select(ProjectRow)
        .where(ProjectRow.status == "published")
        .order_by(ProjectRow.year.desc(), ProjectRow.number.is_(None), ProjectRow.number, ProjectRow.title)
    )


@dataclass
class YearSummary:
    """One year on ``/projects/``."""

    year: int
    total: int
    done: int


def years(session: Session) -> list[YearSummary]:
    """Years with published projects, newest first, with how many are done."""
    summaries: dict[int, YearSummary] = {}
    for row in session.scalars(published()):
        summary = summaries.setdefault(row.year, YearSummary(row.year, 0, 0))
        summary.total += 1
        summary.done += row.progress in FINISHED
    return list(summaries.values())


@dataclass
class Board:
    """A year's projects under the stage and lead filters, with totals and filter options."""

    year: int
    projects: list[ProjectRow]
    filters: dict[str, str]
    options: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    all_count: int = 0

    @property
    def done(self) -> int:
        return sum(p.progress in FINISHED for p in self.projects)

    @property
    def indicators_planned(self) -> int:
        return sum(i.planned is not None for p in self.projects for i in p.indicators)

    @property
    def indicators_reached(self) -> int:
        return sum(reaches(i) for p in self.projects for i in p.indicators)


def clean_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The stage, lead and motion filters that have a value (``motion`` only as ``有调整动议``)."""
    found = {name: args[name].strip()[:200] for name in FILTERS if args.get(name, "").strip()}
    if found.get("motion", HAS_MOTION) != HAS_MOTION:
        del found["motion"]
    return found


def board(session: Session, year: int, args: Mapping[str, str]) -> Board | None:
    """The board of ``year`` filtered by ``args``; None when the year has no published project."""
    rows = list(session.scalars(published().where(ProjectRow.year == year)))
    if not rows:
        return None
    filters = clean_filters(args)

    def matches(row: ProjectRow, name: str, value: str) -> bool:
        if name == "motion":
            return bool(row.adjustments_json)
        return bool(getattr(row, name) == value)

    def keep(row: ProjectRow, skip: str = "") -> bool:
        return all(matches(row, name, value) for name, value in filters.items() if name != skip)

    result = Board(year, [r for r in rows if keep(r)], filters, all_count=len(rows))
    stages = Counter(r.stage for r in rows if keep(r, "stage"))
    result.options["stage"] = [(s, stages[s]) for s in STAGES if stages[s]]
    leads = Counter(r.lead for r in rows if keep(r, "lead"))
    result.options["lead"] = sorted(leads.items(), key=lambda item: (-item[1], item[0]))
    moved = sum(bool(r.adjustments_json) for r in rows if keep(r, "motion"))
    result.options["motion"] = [(HAS_MOTION, moved)] if moved else []
    return result


def csv_text(result: Board) -> str:
    """The board as CSV (with a BOM, so Excel reads the Chinese): one row per indicator, each with
    its project's adjustment motions (how many, and the latest one's date, outcome and change)."""
    rows: list[list[object]] = []
    for project in result.projects:
        head = [project.title, project.lead, project.stage]
        latest = project.latest_adjustment
        motions: list[object] = [len(project.adjustments_json or ())]
        motions += [latest.date.isoformat(), latest.outcome, latest.change] if latest else ["", "", ""]
        if not project.indicators:
            rows.append([*head, "", "", "", "", "", *motions])
        for i in project.indicators:
            rows.append([*head, i.name, i.unit, i.planned_text, i.achieved_text, i.rate_text, *motions])
    return spreadsheet.csv_text(CSV_HEADER, rows)


@dataclass
class YearStages:
    """The newest year's projects counted by stage, for the home page (counts only)."""

    year: int
    total: int
    stages: list[tuple[str, int]]
    """(stage, how many) in the stages' order, stages with none left out."""


def latest_year(session: Session) -> YearStages | None:
    """The newest year with published projects and its projects per stage; None without any."""
    year = session.scalar(select(func.max(ProjectRow.year)).where(ProjectRow.status == "published"))
    if year is None:
        return None
    rows = session.execute(
        select(ProjectRow.stage, func.count())
        .where(ProjectRow.status == "published", ProjectRow.year == year)
        .group_by(ProjectRow.stage)
    )
    counts: dict[str, int] = {stage: count for stage, count in rows}
    stages = [(stage, counts[stage]) for stage in STAGES if counts.get(stage)]
    return YearStages(year, sum(counts.values()), stages)


def topic_projects(session: Session, topic: str) -> list[ProjectRow]:
    """Published projects whose ``topics`` name this topic, newest year first (a handful per year:
    the JSON list is read here rather than in SQL)."""
    return [row for row in session.scalars(published()) if topic in (row.topics or ())]


def project_topics(session: Session, row: ProjectRow) -> list[TopicRow]:
    """The topics a project names, in its own order (a topic gone from topics.yml is left out)."""
    found = {t.slug: t for t in session.scalars(select(TopicRow).where(TopicRow.slug.in_(row.topics or [])))}
    return [found[slug] for slug in row.topics or () if slug in found]


def get_project(session: Session, slug: str) -> ProjectRow | None:
    """A published project with its body."""
    stmt = published().where(ProjectRow.slug == slug).options(undefer(ProjectRow.body_html))
    return session.scalars(stmt).one_or_none()


def entries_by_key(session: Session, keys: Iterable[str]) -> dict[str, EntryRow]:
    """Published entries among ``kind/slug`` keys (a draft or missing key is left out)."""
    pairs = [tuple(key.split("/", 1)) for key in dict.fromkeys(keys)]
    if not pairs:
        return {}
    rows = session.scalars(public().where(tuple_(EntryRow.kind, EntryRow.slug).in_(pairs)))
    return {row.key: row for row in rows}


def latest(session: Session, limit: int) -> list[ProjectRow]:
    """The most recently moved published projects (for the feed)."""
    stmt = (
        select(ProjectRow)
        .where(ProjectRow.status == "published")
        .order_by(ProjectRow.date.desc(), ProjectRow.id.desc())
        .limit(limit)
        .options(undefer(ProjectRow.body_html))
    )
    return list(session.scalars(stmt))


def sitemap_rows(session: Session) -> list[ProjectRow]:
    """Every published project, for the sitemap."""
    return list(session.scalars(published()))
