"""Mirror the 征集 files of each project year into the catalog during ``sync``.

``projects/<year>/year.yml`` (the collection window and themes) is stored as one setting that the
pages read; ``projects/<year>/proposals.yml`` (proposals collected offline, no personal data) is
mirrored into the ``proposal`` table as rows with a ``source_ref`` (``<year>/<ref>``): new lines
get the year's next number, changed lines are updated, removed lines are deleted. Proposals typed
into the public form are never touched. The files are read again only when they (or places.yml)
changed. Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import delete, func, select

from .. import content
from ..content.proposal_files import (
    PROPOSALS_FILE,
    YEAR_FILE,
    OfflineProposal,
    load_offline,
    load_year_settings,
    year_dirs,
)
from ..db import DbSession as Session
from ..models import Setting
from ..participation.proposal_models import Proposal
from ..participation.proposals import store_years
from .state import bump_generation, swap_setting
from .sync import replace_problems

STAMP_KEY = "proposal_files"
"""The setting holding the fingerprint of the 征集 files and the list of them last read."""
NOON_BEIJING = dt.time(4, 0)
"""An offline proposal's day is stored as noon Beijing time (04:00 UTC), so it reads as that day."""


def _files(root: Path) -> list[Path]:
    found = []
    for _, folder in year_dirs(root):
        found += [p for p in (folder / YEAR_FILE, folder / PROPOSALS_FILE) if p.is_file()]
    return found


def sync_proposal_files(session: Session, root: Path, rules: content.Rules, force: bool = False) -> bool:
    """Store the years' settings and mirror the offline proposals; True when anything changed."""
    files = _files(root)
    digest = hashlib.sha256(repr(sorted(rules.places.items())).encode())
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    rels = [p.relative_to(root).as_posix() for p in files]
    stamp = {"sha": digest.hexdigest(), "files": rels}
    stored = session.get(Setting, STAMP_KEY)
    if not force and stored is not None and stored.value == stamp:
        return False
    previous = stored.value.get("files", []) if stored is not None and isinstance(stored.value, dict) else []
    years, problems = load_year_settings(root)
    offline, more = load_offline(root, rules.places, years)
    problems += more
    for rel in set(previous) | set(rels):
        replace_problems(session, root, rel, [p for p in problems if p.path == root / rel])
    changed = store_years(session, years)
    for year, _ in year_dirs(root):
        changed |= mirror_offline(session, year, offline.get(year, []))
    swap_setting(session, STAMP_KEY, stamp)  # type: ignore[arg-type]
    if changed:
        bump_generation(session)
    session.flush()
    return changed


def mirror_offline(session: Session, year: int, items: list[OfflineProposal]) -> bool:
    """The rows of ``year``'s offline proposals become ``items``; True when any row changed."""
    prefix = f"{year}/"
    rows = {
        row.source_ref: row
        for row in session.scalars(select(Proposal).where(Proposal.source_ref.like(f"{prefix}%")))
        if row.source_ref
    }
    wanted = {prefix + item.ref: item for item in items}
    changed = False
    gone = [ref for ref in rows if ref not in wanted]
    if gone:
        session.execute(delete(Proposal).where(Proposal.source_ref.in_(gone)))
        changed = True
    number = session.scalar(select(func.max(Proposal.number)).where(Proposal.year == year)) or 0
    for ref, item in wanted.items():
        row = rows.get(ref)
        if row is None:
            number += 1
            row = Proposal(year=year, number=number, source_ref=ref, published=True, name="", phone="")
            session.add(row)
        values = {
            "title": item.title,
            "problem": item.problem,
            "street": item.street,
            "community": item.community,
            "suggestion": item.suggestion,
            "theme": item.theme,
            "channel": item.channel,
            "created_at": dt.datetime.combine(item.date, NOON_BEIJING),
            "sample": item.sample,
        }
        if item.status != "待处理" or row.id is None:  # the file's triage, when it states one
            answered = dt.datetime.combine(item.answer_date, NOON_BEIJING) if item.answer_date else None
            values |= {
                "status": item.status,
                "answer": item.answer,
                "answered_at": answered if item.answer else None,
                "project_slug": item.project if item.status == "已转为项目" else "",
                "merged_into": None,
            }
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
    session.flush()
    return changed
