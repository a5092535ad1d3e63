"""评议: residents rate a project at stage 评估 or 完成 — storage, tallies, comments and moderation.

One rating per browser and project. A browser is known by a random token in a long-lived cookie,
kept here only as its SHA-256; a second rating from the same browser *replaces* the first (choice
and comment; a changed comment waits for moderation again) and the page says so. No address, no
name, no phone: the address only counts posts for the abuse limits (``limits.py``), as a keyed hash
that is forgotten after a day.

Comments show only after staff approve them. Results combine the online ratings with a project's
offline survey (``survey:`` in its file), with the split stated. Services flush; the caller commits.
Nothing here imports Flask.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, update

from .. import spreadsheet
from ..content.project_model import Survey, plain_number
from ..db import DbSession
from ..models import Setting
from ..project_rows import ProjectRow
from .models import Rating

CHOICES: tuple[str, ...] = ("满意", "基本满意", "不满意")
RATED_STAGES: frozenset[str] = frozenset({"评估", "完成"})
"""Stages at which residents may rate a project."""
COMMENT_LIMIT = 300
"""The most characters a comment may have."""
SMALL_N = 10
"""Below this many answers a result says 评价人数较少."""
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATE_LABELS: dict[str, str] = {"": "无意见", PENDING: "待审核", APPROVED: "已通过", REJECTED: "未通过"}
TOKEN_DAYS = 365
"""How long the browser's rating cookie is kept."""
STAMP_KEY = "participation_generation"
"""A counter bumped by every rating and moderation: the project pages' cache key includes it."""


def new_token() -> str:
    """A fresh random browser token (for the cookie; only its hash is stored)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a browser token: a random 256-bit value needs no key or salt."""
    return hashlib.sha256(f"rating\n{token}".encode()).hexdigest()


def valid_token(token: str | None) -> bool:
    """Whether a cookie's value looks like a token this site made (43 URL-safe characters)."""
    return bool(token) and len(token or "") == 43 and all(c.isalnum() or c in "-_" for c in token or "")


def bump_stamp(session: DbSession) -> None:
    """Mark the pages showing ratings as changed (the page cache keys them by this counter)."""
    row = session.get(Setting, STAMP_KEY)
    if row is None:
        session.add(Setting(key=STAMP_KEY, value=1))
    else:
        row.value = int(row.value) + 1


def stamp(session: DbSession) -> int:
    """The current value of the ratings counter (0 before the first rating)."""
    return int(session.scalar(select(Setting.value).where(Setting.key == STAMP_KEY)) or 0)


@dataclass(frozen=True)
class Saved:
    rating: Rating
    replaced: bool
    """True when this browser had rated the project before: the earlier rating was replaced."""


def submit(session: DbSession, year: int, slug: str, choice: str, comment: str, token: str, now: dt.datetime) -> Saved:
    """Save this browser's rating of a project, replacing its earlier one (flushes; the caller commits)."""
    if choice not in CHOICES:
        raise ValueError(f"unknown choice {choice!r}")
    comment = comment.strip()[:COMMENT_LIMIT]
    key, digest = f"project/{slug}", token_hash(token)
    found = session.scalars(select(Rating).where(Rating.project == key, Rating.token_hash == digest)).one_or_none()
    if found is None:
        found = Rating(project=key, year=year, slug=slug, token_hash=digest, created_at=now, comment="")
        session.add(found)
        replaced = False
    else:
        replaced = True
    if comment != found.comment or not replaced:
        found.comment = comment
        found.comment_state = PENDING if comment else ""
        found.moderated_by, found.moderated_at = "", None
    found.choice, found.updated_at, found.year = choice, now, year
    bump_stamp(session)
    session.flush()
    return Saved(found, replaced)


@dataclass(frozen=True)
class Counts:
    """How many answered each choice."""

    satisfied: int = 0
    basically: int = 0
    dissatisfied: int = 0

    @property
    def n(self) -> int:
        return self.satisfied + self.basically + self.dissatisfied

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.satisfied + other.satisfied, self.basically + other.basically, self.dissatisfied + other.dissatisfied
        )

    @property
    def by_choice(self) -> list[tuple[str, int]]:
        return list(zip(CHOICES, (self.satisfied, self.basically, self.dissatisfied), strict=True))

    @property
    def share(self) -> Decimal | None:
        """满意 + 基本满意 as a percentage, one decimal; None without answers."""
        if not self.n:
            return None
        value = Decimal(100 * (self.satisfied + self.basically)) / Decimal(self.n)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def share_text(self) -> str:
        """``92.3%`` (or ``—`` without answers)."""
        share = self.share
        return "—" if share is None else f"{share}%"

    @property
    def few(self) -> bool:
        """Fewer answers than ``SMALL_N`` (but some): the page says 评价人数较少."""
        return 0 < self.n < SMALL_N


def survey_counts(survey: Survey | None) -> Counts:
    return Counts() if survey is None else Counts(survey.satisfied, survey.basically, survey.dissatisfied)


@dataclass(frozen=True)
class Result:
    """A project's residents' evaluation: online ratings, its offline survey, and both together."""

    online: Counts
    survey: Survey | None = None

    @property
    def offline(self) -> Counts:
        return survey_counts(self.survey)

    @property
    def total(self) -> Counts:
        return self.online + self.offline


def online_counts(session: DbSession, keys: Iterable[str]) -> dict[str, Counts]:
    """Online rating counts per project key (a key nobody rated is left out)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = session.execute(
        select(Rating.project, Rating.choice, func.count())
        .where(Rating.project.in_(wanted))
        .group_by(Rating.project, Rating.choice)
    )
    found: dict[str, dict[str, int]] = {}
    for key, choice, count in rows:
        found.setdefault(key, {})[choice] = count
    return {key: Counts(*(c.get(choice, 0) for choice in CHOICES)) for key, c in found.items()}


def results(session: DbSession, projects: Iterable[tuple[str, Survey | None]]) -> dict[str, Result]:
    """Each project's result, from ``(key, survey)`` pairs."""
    pairs = list(projects)
    online = online_counts(session, [key for key, _ in pairs])
    return {key: Result(online.get(key, Counts()), survey) for key, survey in pairs}


@dataclass
class YearResult:
    """A year's projects' results added up, with how many projects have any."""

    online: Counts = field(default_factory=Counts)
    offline: Counts = field(default_factory=Counts)
    rated: int = 0

    @property
    def total(self) -> Counts:
        return self.online + self.offline


def year_result(found: Mapping[str, Result]) -> YearResult:
    summary = YearResult()
    for result in found.values():
        summary.online += result.online
        summary.offline += result.offline
        summary.rated += bool(result.total.n)
    return summary


def approved_comments(session: DbSession, key: str, limit: int, offset: int = 0) -> tuple[list[Rating], int]:
    """A page of a project's approved comments, newest first, and how many there are in all."""
    where = (Rating.project == key, Rating.comment_state == APPROVED)
    total = session.scalar(select(func.count()).select_from(Rating).where(*where)) or 0
    rows = session.scalars(
        select(Rating).where(*where).order_by(Rating.updated_at.desc(), Rating.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def waiting(session: DbSession, limit: int = 200) -> list[Rating]:
    """Comments waiting for moderation, oldest first."""
    return list(
        session.scalars(
            select(Rating).where(Rating.comment_state == PENDING).order_by(Rating.updated_at, Rating.id).limit(limit)
        )
    )


@dataclass(frozen=True)
class ProjectTally:
    """One project's ratings and comments per state, for the moderation page."""

    project: str
    year: int
    slug: str
    counts: Counts
    states: dict[str, int]


def tallies(session: DbSession) -> list[ProjectTally]:
    """Every rated project with its counts and its comments per moderation state, newest year first."""
    rows = session.execute(
        select(Rating.project, Rating.year, Rating.slug, Rating.choice, Rating.comment_state, func.count())
        .group_by(Rating.project, Rating.year, Rating.slug, Rating.choice, Rating.comment_state)
        .order_by(Rating.year.desc(), Rating.slug)
    )
    choices: dict[str, dict[str, int]] = {}
    states: dict[str, dict[str, int]] = {}
    where: dict[str, tuple[int, str]] = {}
    for key, year, slug, choice, state, count in rows:
        where[key] = (year, slug)
        choices.setdefault(key, {}).setdefault(choice, 0)
        choices[key][choice] += count
        if state:
            states.setdefault(key, {}).setdefault(state, 0)
            states[key][state] += count
    return [
        ProjectTally(key, year, slug, Counts(*(choices[key].get(c, 0) for c in CHOICES)), states.get(key, {}))
        for key, (year, slug) in where.items()
    ]


class NotWaiting(Exception):
    """The comment is gone or already moderated (by someone else, in another tab)."""


def moderate(session: DbSession, rating_id: int, approve: bool, user: str, now: dt.datetime) -> Rating:
    """Approve or reject a waiting comment (flushes; the caller audits and commits)."""
    state = APPROVED if approve else REJECTED
    changed = session.execute(
        update(Rating)
        .where(Rating.id == rating_id, Rating.comment_state == PENDING)
        .values(comment_state=state, moderated_by=user, moderated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(changed, "rowcount", 0):
        raise NotWaiting(rating_id)
    rating = session.get(Rating, rating_id)
    assert rating is not None
    session.refresh(rating)
    bump_stamp(session)
    session.flush()
    return rating


CSV_HEADER = (
    "项目",
    "阶段",
    "网上评议·满意",
    "网上评议·基本满意",
    "网上评议·不满意",
    "线下问卷·满意",
    "线下问卷·基本满意",
    "线下问卷·不满意",
    "线下问卷方式",
    "合计人数",
    "满意率（满意+基本满意）",
    "代表评议/测评结论",
    "代表评议/测评得分",
)


def csv_text(projects: Iterable[ProjectRow], found: Mapping[str, Result]) -> str:
    """A year's residents' evaluation as CSV, one row per project (counts and share; no comment text:
    comments are read on the project page, after moderation)."""
    rows: list[list[object]] = []
    for project in projects:
        result = found.get(project.key, Result(Counts()))
        review = project.evaluation
        survey = result.survey
        rows.append(
            [
                project.title,
                project.stage,
                *(count for _, count in result.online.by_choice),
                *(count for _, count in result.offline.by_choice),
                survey.method if survey else "",
                result.total.n,
                "" if result.total.share is None else f"{result.total.share}%",
                review.verdict if review else "",
                "" if review is None or review.score is None else plain_number(review.score),
            ]
        )
    return spreadsheet.csv_text(CSV_HEADER, rows)
