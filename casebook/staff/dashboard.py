"""Read queries of the staff overview pages: the dashboard (工作台), the waiting list and 全部内容.

No Flask: views pass the session and the user's name and render what comes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from ..db import DbSession
from ..learning_rows import LearningRow
from ..models import EntryRow, ProblemRow, TopicRow
from ..project_rows import ProjectRow
from ..searching import MISS_DAYS, MissTotal, top_misses
from . import review
from .models import ReviewComment, Revision

MY_DRAFTS = 50
RECENT = 15
PROBLEMS = 200
MISSES = 20
ENTRIES = 500
"""Rows each list shows at most."""
STATUSES = ("draft", "submitted", "published")

Item = dict[str, Any]
Matrix = dict[str, dict[int, dict[str, int]]]
"""Topic slug → loop part → status → number of entries."""


@dataclass
class Dashboard:
    """Everything the 工作台 shows."""

    my_drafts: list[EntryRow | ProjectRow]
    waiting: list[Item]
    returned_to_me: list[Item]
    needs_changes: set[tuple[str, str]]
    recent: list[Revision]
    topics: list[TopicRow]
    matrix: Matrix = field(default_factory=dict)
    problems: list[ProblemRow] = field(default_factory=list)
    misses: list[MissTotal] = field(default_factory=list)
    miss_days: int = MISS_DAYS


def dashboard(session: DbSession, me: str) -> Dashboard:
    """The dashboard of the staff user named ``me``."""
    returns = review.open_returns(session)
    matrix: Matrix = {}
    counts = select(EntryRow.topic, EntryRow.part, EntryRow.status, func.count()).group_by(
        EntryRow.topic, EntryRow.part, EntryRow.status
    )
    for topic, part, status, count in session.execute(counts):
        matrix.setdefault(topic, {}).setdefault(part, {})[status] = count
    return Dashboard(
        my_drafts=my_drafts(session, me),
        waiting=waiting(session),
        returned_to_me=returned(session, [c for c in returns.values() if c.addressed_to == me]),
        needs_changes=set(returns),
        recent=list(session.scalars(select(Revision).order_by(Revision.id.desc()).limit(RECENT))),
        topics=list(session.scalars(select(TopicRow).order_by(TopicRow.number))),
        matrix=matrix,
        problems=list(session.scalars(select(ProblemRow).order_by(ProblemRow.path, ProblemRow.line).limit(PROBLEMS))),
        misses=top_misses(session, MISSES),
    )


def my_drafts(session: DbSession, me: str) -> list[EntryRow | ProjectRow]:
    """Unpublished entries, then projects, that ``me`` has a revision of."""
    mine = select(Revision.kind, Revision.slug).where(Revision.author == me).subquery()
    keyed = select(EntryRow.id).join(mine, (EntryRow.kind == mine.c.kind) & (EntryRow.slug == mine.c.slug))
    entries = session.scalars(
        select(EntryRow)
        .where(EntryRow.status != "published", EntryRow.id.in_(keyed))
        .order_by(EntryRow.date.desc())
        .limit(MY_DRAFTS)
    )
    my_projects = select(Revision.slug).where(Revision.author == me, Revision.kind == "project")
    projects = session.scalars(
        select(ProjectRow).where(ProjectRow.status != "published", ProjectRow.slug.in_(my_projects)).limit(MY_DRAFTS)
    )
    return [*entries, *projects]


def waiting(session: DbSession) -> list[Item]:
    """Submitted entries and pending edits of published ones, oldest first (曾退回: returned since last published)."""
    items: list[Item] = []
    for row in session.scalars(select(EntryRow).where(EntryRow.status == "submitted").order_by(EntryRow.id)):
        items.append({"kind": row.kind, "slug": row.slug, "title": row.title, "what": "新内容待发布"})
    for project in session.scalars(select(ProjectRow).where(ProjectRow.status == "submitted").order_by(ProjectRow.id)):
        items.append({"kind": "project", "slug": project.slug, "title": project.title, "what": "新项目待发布"})
    pending = session.scalars(select(Revision).where(Revision.state == "pending").order_by(Revision.id))
    for rev in pending:
        items.append({"kind": rev.kind, "slug": rev.slug, "title": rev.title, "what": f"{rev.author} 的修改待发布"})
    returned_before = review.reworked_keys(session)
    for item in items:
        item["returned_before"] = (item["kind"], item["slug"]) in returned_before
    return _with_scopes(session, items)


def returned(session: DbSession, returns: Iterable[ReviewComment] | None = None) -> list[Item]:
    """Items returned to their editors (需修改) and not reworked yet (default: all), with the return comment."""
    found = review.open_returns(session).values() if returns is None else returns
    items = [{"kind": c.kind, "slug": c.slug, "title": review.title_of(session, c), "comment": c} for c in found]
    return _with_scopes(session, items)


def _with_scopes(session: DbSession, items: list[Item]) -> list[Item]:
    """Each case item gets its ``scope`` (national ones are labelled 微分享), read in one query."""
    slugs = {item["slug"] for item in items if item["kind"] == "case" and "scope" not in item}
    if slugs:
        rows = session.execute(
            select(EntryRow.slug, EntryRow.scope).where(EntryRow.kind == "case", EntryRow.slug.in_(slugs))
        )
        scopes: dict[str, str | None] = {slug: scope for slug, scope in rows}
        for item in items:
            if item["kind"] == "case":
                item.setdefault("scope", scopes.get(item["slug"]))
    return items


def all_items(
    session: DbSession, status: str, needs_changes: set[tuple[str, str]]
) -> list[EntryRow | ProjectRow | LearningRow]:
    """Entries, projects and 借鉴 records, newest first; ``status`` is a file status, ``returned``
    (those in ``needs_changes``, i.e. 需修改) or anything else for all."""
    rows: list[EntryRow | ProjectRow | LearningRow] = []
    for model in (EntryRow, ProjectRow, LearningRow):
        stmt: Select[Any] = select(model).order_by(model.date.desc(), model.id.desc())
        if status in STATUSES:
            stmt = stmt.where(model.status == status)
        rows.extend(session.scalars(stmt.limit(ENTRIES)))
    if status == "returned":
        rows = [row for row in rows if (row.kind, row.slug) in needs_changes]
    rows.sort(key=lambda row: row.date, reverse=True)
    return rows[:ENTRIES]
