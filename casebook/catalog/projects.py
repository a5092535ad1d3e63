"""The 民生实事 projects adapter: ``content/projects/<year>/<slug>.md`` → ``project`` rows.

A project's ``related`` keys are checked against the catalog's entries, so when the set of entry
keys changes every project file is re-read (there are a handful per year).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import content
from ..content.project_model import PROJECTS_DIR, Project
from ..content.projects import iter_project_files, parse_project_file
from ..db import DbSession as Session
from ..models import EntryRow
from ..project_rows import IndicatorRow, ProjectRow, vote_json
from ..render import excerpt, plain_text, render_markdown
from .adapter import Prepared
from .state import KNOWN_KEY

PREFIX = f"{PROJECTS_DIR}/"


def upsert_project(
    session: Session, project: Project, rel_path: str, body_html: str | None = None, media_url: str = "/media/"
) -> ProjectRow:
    """Insert or update the row of ``project`` (looked up by slug), with rendered body and indicators."""
    row = session.scalars(select(ProjectRow).where(ProjectRow.slug == project.slug)).one_or_none()
    if row is None:
        row = ProjectRow(slug=project.slug)
        session.add(row)
    if body_html is None:
        body_html = render_markdown(project.body, media_url)
    row.path, row.year, row.number = rel_path, project.year, project.number
    row.title, row.lead, row.stage = project.title, project.lead, project.stage
    row.status, row.sample, row.date = project.status, project.sample, project.updated
    row.body, row.body_html, row.excerpt = project.body, body_html, excerpt(plain_text(body_html))
    row.related = list(project.related)
    row.topics = list(project.topics)
    row.vote_json = vote_json(project.vote)
    row.milestones_json = [{"date": m.date, "text": m.text, "evidence": list(m.evidence)} for m in project.milestones]
    row.adjustments_json = [
        {
            "date": a.date.isoformat(),
            "moved_by": a.moved_by,
            "reason": a.reason,
            "change": a.change,
            "outcome": a.outcome,
            "vote": vote_json(a.vote),
        }
        for a in project.adjustments
    ]
    review = project.evaluation
    row.evaluation_json = (
        None
        if review is None
        else {
            "date": review.date.isoformat() if review.date else None,
            "verdict": review.verdict,
            "score": None if review.score is None else str(review.score),
            "text": review.text,
        }
    )
    survey = project.survey
    row.survey_json = (
        None
        if survey is None
        else {
            "date": survey.date.isoformat() if survey.date else None,
            "method": survey.method,
            "satisfied": survey.satisfied,
            "basically": survey.basically,
            "dissatisfied": survey.dissatisfied,
            "note": survey.note,
        }
    )
    row.indicators = [
        IndicatorRow(position=n, name=i.name, unit=i.unit, planned=i.planned, achieved=i.achieved, note=i.note)
        for n, i in enumerate(project.indicators)
    ]
    return row


class ProjectsAdapter:
    """Projects as the generic sync sees them; ``known`` are the entry keys ``related`` may name,
    ``topics`` the topic slugs ``topics`` may name (a change to topics.yml re-reads every file)."""

    name = "projects"

    def __init__(self, known: set[str], topics: set[str] | None = None) -> None:
        self.known = known
        self.topics = topics

    @classmethod
    def open(cls, session: Session, rules: content.Rules) -> tuple[ProjectsAdapter, dict[str, str]]:
        """The adapter for one run (after the entries), and its stamp: the set of entry keys."""
        session.flush()
        known = {f"{kind}/{slug}" for kind, slug in session.execute(select(EntryRow.kind, EntryRow.slug))}
        return cls(known, set(rules.topics)), {KNOWN_KEY: hashlib.sha256("\n".join(sorted(known)).encode()).hexdigest()}

    @staticmethod
    def owns(rel: str) -> bool:
        return rel.startswith(PREFIX)

    def files(self, root: Path) -> Mapping[str, Path]:
        return {path.relative_to(root).as_posix(): path for path in iter_project_files(root)}

    def key_of(self, rel: str) -> str:
        return Path(rel).stem

    def duplicate(self, path: Path, key: str, first: str) -> content.Problem:
        return content.Problem(path, 1, f"重复的项目 slug：{key} 已由 {first} 使用（不同年份也不能重复）")

    def prepare(self, root: Path, rel: str, path: Path) -> Prepared:
        project, problems = parse_project_file(root, path, self.known, self.topics)
        html = render_markdown(project.body, "/media/") if project is not None else None
        return Prepared(project, problems, html)

    def row_at(self, session: Session, rel: str) -> Any:
        return session.scalars(select(ProjectRow).where(ProjectRow.path == rel)).one_or_none()

    def upsert(self, session: Session, prepared: Prepared, rel: str) -> str:
        return upsert_project(session, prepared.item, rel, prepared.extra).key
