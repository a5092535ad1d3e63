"""Small read queries of the staff pages: accounts, the audit log, one revision, import event or
job by id, titles for the statistics, and which entries still name a street or community.

No Flask: views pass the session. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import func, select

from ..content import KINDS
from ..db import DbSession
from ..job_models import Job
from ..models import EntryRow
from ..project_rows import ProjectRow
from .models import AuditEvent, Revision, User

AUDIT_PAGE = 100
"""Audit events per page."""


def users(session: DbSession) -> list[User]:
    """Every staff account, by name."""
    return list(session.scalars(select(User).order_by(User.name_key)))


def audit_page(session: DbSession, page: int, per_page: int = AUDIT_PAGE) -> tuple[list[AuditEvent], bool]:
    """Audit events of a page (1 = newest), and whether an older page exists."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
    rows = list(session.scalars(stmt))
    return rows[:per_page], len(rows) > per_page


def revision(session: DbSession, revision_id: int) -> Revision | None:
    """One revision by id."""
    return session.get(Revision, revision_id)


def audit_event(session: DbSession, event_id: int) -> AuditEvent | None:
    """One audit event by id."""
    return session.get(AuditEvent, event_id)


def job(session: DbSession, job_id: int) -> Job | None:
    """One background job by id."""
    return session.get(Job, job_id)


def entry_titles(session: DbSession, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(kind, slug) → title of the entries among ``keys``, in any status."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = session.execute(select(EntryRow.kind, EntryRow.slug, EntryRow.title).where(EntryRow.kind.in_(KINDS)))
    return {(k, s): t for k, s, t in rows if (k, s) in wanted}


def project_titles(session: DbSession, slugs: Collection[str]) -> dict[str, str]:
    """Slug → title of the projects among ``slugs``, in any status."""
    if not slugs:
        return {}
    rows = session.execute(select(ProjectRow.slug, ProjectRow.title).where(ProjectRow.slug.in_(slugs)))
    return {slug: title for slug, title in rows}


def place_usage(
    session: DbSession, streets: Collection[str], communities: Collection[str]
) -> list[tuple[str, str, int]]:
    """(``street`` or ``community``, name, entries) for the given names that entries still use."""
    found: list[tuple[str, str, int]] = []
    for what, column, names in (("street", EntryRow.street, streets), ("community", EntryRow.community, communities)):
        if not names:
            continue
        counts = session.execute(select(column, func.count()).where(column.in_(names)).group_by(column))
        found += [(what, str(value), count) for value, count in counts]
    return found
