"""Mirror ``content/projects/`` into the project tables, incrementally, as part of ``catalog.sync``.

Unchanged files are skipped by content hash, like entries. A project's ``related`` keys are checked
against the catalog's entries, so when the set of entry keys changes every project file is re-read
(there are a handful per year). Services flush; the caller commits.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from sqlalchemy import delete, select

from .catalog import SyncReport, _record_source, _replace_problems, bump_generation, settle_file
from .content import Problem
from .content.project_model import PROJECTS_DIR, Project
from .content.projects import iter_project_files, parse_project_file
from .db import DbSession as Session
from .models import EntryRow, ProblemRow, Setting, SourceFile
from .project_rows import IndicatorRow, ProjectRow
from .render import excerpt, plain_text, render_markdown

PREFIX = f"{PROJECTS_DIR}/"
KNOWN_KEY = "projects_known_entries"


def upsert_project(session: Session, project: Project, rel_path: str, media_url: str = "/media/") -> ProjectRow:
    """Insert or update the row of ``project`` (looked up by slug), with rendered body and indicators."""
    row = session.scalars(select(ProjectRow).where(ProjectRow.slug == project.slug)).one_or_none()
    if row is None:
        row = ProjectRow(slug=project.slug)
        session.add(row)
    body_html = render_markdown(project.body, media_url)
    row.path, row.year, row.number = rel_path, project.year, project.number
    row.title, row.lead, row.stage = project.title, project.lead, project.stage
    row.status, row.sample, row.date = project.status, project.sample, project.updated
    row.body, row.body_html, row.excerpt = project.body, body_html, excerpt(plain_text(body_html))
    row.related = list(project.related)
    vote = project.vote
    row.vote_json = (
        None
        if vote is None
        else {
            "session": vote.session,
            "date": vote.date.isoformat() if vote.date else None,
            "present": vote.present,
            "for": vote.votes_for,
            "against": vote.against,
            "abstain": vote.abstain,
        }
    )
    row.milestones_json = [{"date": m.date, "text": m.text, "evidence": list(m.evidence)} for m in project.milestones]
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
    row.indicators = [
        IndicatorRow(position=n, name=i.name, unit=i.unit, planned=i.planned, achieved=i.achieved, note=i.note)
        for n, i in enumerate(project.indicators)
    ]
    return row


def _known_entries(session: Session) -> tuple[set[str], str]:
    keys = {f"{kind}/{slug}" for kind, slug in session.execute(select(EntryRow.kind, EntryRow.slug))}
    return keys, hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


def sync_projects(session: Session, root: Path, report: SyncReport) -> None:
    """Bring the project rows in line with ``root/projects``; counts and keys go into ``report``."""
    session.flush()
    known, fingerprint = _known_entries(session)
    stored_fp = session.get(Setting, KNOWN_KEY)
    force = report.full or stored_fp is None or stored_fp.value != fingerprint
    if stored_fp is None:
        session.add(Setting(key=KNOWN_KEY, value=fingerprint))
    else:
        stored_fp.value = fingerprint

    files = {path.relative_to(root).as_posix(): path for path in iter_project_files(root)}
    by_slug: dict[str, list[str]] = defaultdict(list)
    for rel, path in files.items():
        by_slug[path.stem].append(rel)
    stored = {p: h for p, h in session.execute(select(SourceFile.path, SourceFile.sha256)) if p.startswith(PREFIX)}
    touched = {files[rel].stem for rel in set(files) - set(stored)}
    for rel in set(stored) - set(files):
        touched.add(Path(rel).stem)
        session.execute(delete(ProblemRow).where(ProblemRow.path == rel))
        session.execute(delete(SourceFile).where(SourceFile.path == rel))
        row = session.scalars(select(ProjectRow).where(ProjectRow.path == rel)).one_or_none()
        if row is not None:
            report.gone.add(row.key)
            session.delete(row)
            report.removed += 1
    session.flush()

    for rel, path in files.items():
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            _replace_problems(session, rel, [Problem(path, 1, f"无法读取：{exc.strerror}")], root)
            continue
        if not force and stored.get(rel) == sha and path.stem not in touched:
            report.unchanged += 1
            continue
        _apply(session, root, rel, path, by_slug[path.stem], known, report)
        _record_source(session, rel, sha)


def _apply(
    session: Session, root: Path, rel: str, path: Path, same_slug: list[str], known: set[str], report: SyncReport
) -> None:
    """Re-read one project file and update its row and problems."""
    existing = session.scalars(select(ProjectRow).where(ProjectRow.path == rel)).one_or_none()
    if same_slug[0] != rel:
        problems = [Problem(path, 1, f"重复的项目 slug：{path.stem} 已由 {same_slug[0]} 使用（不同年份也不能重复）")]
        project = None
    else:
        project, problems = parse_project_file(root, path, known)
    upsert = None if project is None else lambda: upsert_project(session, project, rel).key
    settle_file(session, root, rel, problems, existing, upsert, report)


def refresh_project(session: Session, root: Path, path: Path) -> SyncReport:
    """Re-read one project file (after a staff save) as ``sync`` would, without scanning the rest."""
    report = SyncReport()
    rel = path.relative_to(root).as_posix()
    same_slug = [p.relative_to(root).as_posix() for p in iter_project_files(root) if p.stem == path.stem]
    _apply(session, root, rel, path, same_slug or [rel], _known_entries(session)[0], report)
    _record_source(session, rel, hashlib.sha256(path.read_bytes()).hexdigest())
    bump_generation(session)
    session.flush()
    return report
