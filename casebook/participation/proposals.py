"""征集: residents' proposals for a year's 民生实事 — the form's checks, saving, similar proposals,
the public list and its CSV, and the retention purge. Staff triage is in ``triage``.

The year's collection window and themes come from ``projects/<year>/year.yml`` through the sync
(``store_years``), so pages read the database only. No Flask here: views pass the clock, the
places and the settings; services flush and the caller commits.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import spreadsheet
from ..content.proposal_files import LIMITS, YearSettings
from ..db import DbSession
from ..models import Setting
from .proposal_models import Proposal
from .similarity import THRESHOLD, similarity

YEARS_KEY = "proposal_years"
"""The ``setting`` row holding every year's collection settings (JSON), written by the sync."""
FORM = "proposal"
"""The form's name in the shared abuse limits (``limits.refused``/``record``)."""
PER_PAGE = 20
PERSONAL_LIMITS = {"name": 40, "phone": 20}
FIELDS = ("title", "problem", "street", "community", "suggestion", "theme", "name", "phone")
CSV_HEADER = (
    "编号",
    "标题",
    "街道",
    "社区",
    "主题",
    "问题",
    "建议",
    "来源",
    "状态",
    "答复",
    "答复日期",
    "合并到",
    "转为项目",
)
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}[0-9]{7,8}$")


# --- the year's settings ---------------------------------------------------------------------------


def store_years(session: DbSession, years: Mapping[int, YearSettings]) -> bool:
    """Keep every year's settings in the catalog; True when they changed."""
    value = {str(year): settings.as_json() for year, settings in sorted(years.items())}
    row = session.get(Setting, YEARS_KEY)
    if row is None:
        session.add(Setting(key=YEARS_KEY, value=value))
        return bool(value)
    changed = row.value != value
    row.value = value
    return bool(changed)


def all_years(session: DbSession) -> dict[int, YearSettings]:
    """Every year with a collection window (from ``year.yml``), newest first."""
    row = session.get(Setting, YEARS_KEY)
    stored = row.value if row is not None and isinstance(row.value, dict) else {}
    found = {int(year): YearSettings.from_json(int(year), data) for year, data in stored.items()}
    return dict(sorted(found.items(), reverse=True))


def year_settings(session: DbSession, year: int) -> YearSettings | None:
    return all_years(session).get(year)


# --- the form --------------------------------------------------------------------------------------


@dataclass
class Draft:
    """What the proposer typed (stripped), kept whole through every refusal."""

    title: str = ""
    problem: str = ""
    street: str = ""
    community: str = ""
    suggestion: str = ""
    theme: str = ""
    name: str = ""
    phone: str = ""
    consent: bool = False

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Draft:
        values = {key: str(form.get(key, "")).strip() for key in FIELDS}
        return cls(**values, consent=bool(form.get("consent")))

    @property
    def personal(self) -> bool:
        return bool(self.name or self.phone)


def normal_phone(text: str) -> str | None:
    """A mainland phone number without spaces or dashes (mobile ``13812341234`` or landline with its
    area code ``037167891234``); None when it is neither. ``+86``/``86`` in front is dropped."""
    digits = re.sub(r"[\s\-－()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isascii():
        return None
    return digits if _MOBILE.match(digits) or _LANDLINE.match(digits) else None


def mask_phone(phone: str) -> str:
    """``138****1234``: what editors see; empty stays empty."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def check(draft: Draft, settings: YearSettings, places: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Problems of a draft by field (Chinese sentences); empty when it may be saved."""
    errors: dict[str, str] = {}
    labels = {"title": "标题", "problem": "什么问题", "street": "所在街道"}
    for key, label in labels.items():
        if not getattr(draft, key):
            errors[key] = f"请填写{label}"
    for key, limit in {**LIMITS, **PERSONAL_LIMITS}.items():
        if len(getattr(draft, key)) > limit:
            errors[key] = f"最多 {limit} 个字，现在有 {len(getattr(draft, key))} 个字"
    if draft.street and draft.street not in places:
        errors["street"] = "请从列表中选择街道"
    elif draft.community and draft.community not in places.get(draft.street, ()):
        errors["community"] = f"{draft.street}没有这个社区，请从列表中选择（不清楚可以不选）"
    if draft.theme and draft.theme not in settings.themes:
        errors["theme"] = "请从列表中选择主题"
    if draft.phone and "phone" not in errors and normal_phone(draft.phone) is None:
        errors["phone"] = "电话号码格式不对：请填写 11 位手机号（如 13812345678）或带区号的固定电话（如 0371-67891234）"
    if draft.personal and not draft.consent:
        errors["consent"] = "填写了姓名或电话，请勾选同意按上面的说明使用这些信息；不想留下的话，可以把姓名和电话清空"
    return errors


@dataclass
class Similar:
    proposal: Proposal
    score: float


def similar(session: DbSession, year: int, street: str, title: str, problem: str) -> list[Similar]:
    """Proposals of the same year and street whose title + problem are at least ``THRESHOLD`` alike,
    most alike first (merged ones are left out: their target is the one to support)."""
    text = f"{title} {problem}"
    rows = session.scalars(
        select(Proposal).where(Proposal.year == year, Proposal.street == street, Proposal.status != "已合并")
    )
    found = [Similar(row, similarity(text, f"{row.title} {row.problem}")) for row in rows]
    return sorted((s for s in found if s.score >= THRESHOLD), key=lambda s: (-s.score, s.proposal.number))


def submit(session: DbSession, draft: Draft, year: int, now: dt.datetime) -> Proposal:
    """Save a checked draft with the year's next number (flushes; the caller commits)."""
    for _ in range(5):
        number = (session.scalar(select(func.max(Proposal.number)).where(Proposal.year == year)) or 0) + 1
        proposal = Proposal(
            year=year,
            number=number,
            title=draft.title,
            problem=draft.problem,
            street=draft.street,
            community=draft.community,
            suggestion=draft.suggestion,
            theme=draft.theme or "其他",
            name=draft.name,
            phone=normal_phone(draft.phone) or "" if draft.phone else "",
            channel="网上",
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(proposal)
        except IntegrityError:  # another process took the number a moment ago
            continue
        return proposal
    raise RuntimeError("could not number the proposal")


# --- the public list -------------------------------------------------------------------------------


@dataclass
class PublicList:
    year: int
    rows: list[Proposal]
    page: int
    pages: int
    total: int
    by_street: list[tuple[str, int]] = field(default_factory=list)
    by_theme: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    numbers: dict[int, str] = field(default_factory=dict)
    """id → reference of every published proposal (for 合并到 links)."""


def published(session: DbSession, year: int) -> list[Proposal]:
    """The year's published proposals, by number."""
    query = select(Proposal).where(Proposal.year == year, Proposal.published.is_(True)).order_by(Proposal.number)
    return list(session.scalars(query))


def public_list(session: DbSession, year: int, page: int = 1, ref: str = "") -> PublicList:
    """One page of the published proposals (the page holding ``ref`` when given), with counts over all."""
    rows = published(session, year)
    pages = max(1, math.ceil(len(rows) / PER_PAGE))
    at = next((n for n, row in enumerate(rows) if row.reference == ref), None) if ref else None
    if at is not None:
        page = at // PER_PAGE + 1
    page = min(max(page, 1), pages)

    def counted(values: list[str]) -> list[tuple[str, int]]:
        return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))

    return PublicList(
        year=year,
        rows=rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        page=page,
        pages=pages,
        total=len(rows),
        by_street=counted([r.street for r in rows]),
        by_theme=counted([r.theme or "其他" for r in rows]),
        by_status=counted([r.status for r in rows]),
        numbers={r.id: r.reference for r in rows},
    )


def csv_text(session: DbSession, year: int) -> str:
    """The published proposals as CSV (BOM, formula-safe cells): no name, no phone."""
    rows = published(session, year)
    numbers = {r.id: r.reference for r in rows}
    lines = [
        [
            r.reference,
            r.title,
            r.street,
            r.community,
            r.theme,
            r.problem,
            r.suggestion,
            r.channel,
            r.status,
            r.answer,
            r.answered_at.date().isoformat() if r.answered_at else "",
            numbers.get(r.merged_into or 0, ""),
            r.project_slug,
        ]
        for r in rows
    ]
    return spreadsheet.csv_text(CSV_HEADER, lines)


# --- retention -------------------------------------------------------------------------------------


def purge(session: DbSession, now: dt.datetime, days: int) -> int:
    """Blank the name and phone of proposals made more than ``days`` days before ``now``; return how
    many held personal data. Every such proposal is marked ``purged_at`` (its public text stays)."""
    cutoff = now - dt.timedelta(days=days)
    due = (Proposal.created_at <= cutoff) & Proposal.purged_at.is_(None)
    holding = (
        session.scalar(
            select(func.count()).select_from(Proposal).where(due, (Proposal.name != "") | (Proposal.phone != ""))
        )
        or 0
    )
    session.execute(update(Proposal).where(due).values(name="", phone="", purged_at=now))
    return holding
