"""Staff triage of proposals: the filtered list, one proposal, and the actions — 采纳, 合并到…,
不采纳 (with a public 答复, required), 转为项目 (a project of that year), publish/unpublish, and
showing an admin the full phone number. Each action writes an ``audit_event`` (target
``proposal/<reference>``) in the same transaction. Services flush; the view commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ..db import DbSession
from ..project_rows import ProjectRow
from ..staff.models import AuditEvent, audit
from .proposal_models import Proposal

ACTIONS = {
    "accept": "采纳",
    "merge": "合并",
    "decline": "不采纳",
    "project": "转为项目",
    "publish": "公开",
    "unpublish": "取消公开",
}
STATUS_OF = {"accept": "已采纳", "merge": "已合并", "decline": "未采纳", "project": "已转为项目"}
ANSWER_LIMIT = 2000


class TriageError(ValueError):
    """An action that cannot be done as asked: the message says why (Chinese), nothing changed."""


def target(proposal: Proposal) -> str:
    return f"proposal/{proposal.reference}"


@dataclass
class Filters:
    year: int | None = None
    status: str = ""
    street: str = ""


def staff_list(session: DbSession, filters: Filters) -> list[Proposal]:
    """Proposals under the filters, newest year first, then by number."""
    query = select(Proposal).order_by(Proposal.year.desc(), Proposal.number)
    if filters.year is not None:
        query = query.where(Proposal.year == filters.year)
    if filters.status:
        query = query.where(Proposal.status == filters.status)
    if filters.street:
        query = query.where(Proposal.street == filters.street)
    return list(session.scalars(query))


def options(session: DbSession) -> tuple[list[int], list[str]]:
    """The years and streets proposals have, for the filters."""
    years = sorted(set(session.scalars(select(Proposal.year))), reverse=True)
    streets = sorted(set(session.scalars(select(Proposal.street))))
    return years, streets


def get(session: DbSession, proposal_id: int) -> Proposal | None:
    return session.get(Proposal, proposal_id)


def merge_targets(session: DbSession, proposal: Proposal) -> list[Proposal]:
    """Other proposals of the same year this one may be merged into (not merged themselves)."""
    query = select(Proposal).where(
        Proposal.year == proposal.year, Proposal.id != proposal.id, Proposal.status != "已合并"
    )
    return list(session.scalars(query.order_by(Proposal.number)))


def year_projects(session: DbSession, year: int) -> list[tuple[str, str]]:
    """(slug, title) of the year's projects in the catalog, by number."""
    query = select(ProjectRow.slug, ProjectRow.title).where(ProjectRow.year == year, ProjectRow.status == "published")
    return [(slug, title) for slug, title in session.execute(query.order_by(ProjectRow.number, ProjectRow.title))]


def history(session: DbSession, proposal: Proposal) -> list[AuditEvent]:
    """The audit events of this proposal, oldest first."""
    query = select(AuditEvent).where(AuditEvent.target == target(proposal)).order_by(AuditEvent.at, AuditEvent.id)
    return list(session.scalars(query))


def act(
    session: DbSession,
    proposal: Proposal,
    action: str,
    user: str,
    now: dt.datetime,
    *,
    answer: str = "",
    merge_into: str = "",
    project: str = "",
) -> str:
    """Do one triage action and audit it; return what staff are told. ``TriageError`` when it cannot."""
    answer = answer.strip()
    if action not in ACTIONS:
        raise TriageError("未知的操作")
    if len(answer) > ANSWER_LIMIT:
        raise TriageError(f"答复最多 {ANSWER_LIMIT} 个字")
    detail = ""
    if action in ("publish", "unpublish"):
        proposal.published = action == "publish"
    else:
        if action == "decline" and not answer:
            raise TriageError("不采纳必须填写公开答复，说明理由")
        if action == "merge":
            other = _merge_target(session, proposal, merge_into)
            proposal.merged_into = other.id
            detail = f"合并到 {other.reference}"
            answer = answer or f"与第 {other.reference} 号建议内容相近，合并办理。"
        else:
            proposal.merged_into = None
        if action == "project":
            slugs = dict(year_projects(session, proposal.year))
            if project not in slugs:
                raise TriageError(f"请选择 {proposal.year} 年的一个民生实事项目")
            proposal.project_slug = project
            detail = f"转为项目 {project}"
        elif action != "merge":
            proposal.project_slug = ""
        proposal.status = STATUS_OF[action]
        proposal.answer = answer
        proposal.answered_at = now if answer else None
        if answer:
            detail = (detail + "；" if detail else "") + f"答复：{answer[:200]}"
    audit(session, user, f"proposal-{action}", target(proposal), detail)
    session.flush()
    return f"第 {proposal.reference} 号建议：{ACTIONS[action]}，已记录。"


def _merge_target(session: DbSession, proposal: Proposal, reference: str) -> Proposal:
    for other in merge_targets(session, proposal):
        if other.reference == reference.strip():
            return other
    raise TriageError("请选择要合并到的另一条同年度建议")


def show_phone(session: DbSession, proposal: Proposal, user: str) -> str:
    """The full phone for an admin; audited as ``proposal-phone``."""
    audit(session, user, "proposal-phone", target(proposal))
    session.flush()
    return proposal.phone
