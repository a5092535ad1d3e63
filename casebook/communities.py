"""Read queries for the community pages (``/communities/<社区名>``): a community's entries and projects.

A community is one of ``places.yml`` (read here from the content folder, so a name it does not list
is no page at all). Its entries are the published ones whose ``community`` is that name, interviews
first; its projects are the published 民生实事 whose ``related`` entries or milestone evidence
include one of those entries. Only published rows leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .content import KINDS
from .content.places import Places
from .db import DbSession as Session
from .models import EntryRow
from .project_board import published
from .project_rows import ProjectRow
from .queries import public


@dataclass
class Community:
    """What a community's page shows."""

    name: str
    street: str
    entries: dict[str, list[EntryRow]] = field(default_factory=dict)
    """Kind → published entries of the community, newest first, kinds in order (interviews first)."""
    projects: list[ProjectRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.entries.values()) + len(self.projects)


def street_of(places: Places, name: str) -> str | None:
    """The street a community belongs to (None: not a community of ``places``)."""
    return next((street for street, names in places.items() if name in names), None)


def community(session: Session, places: Places, name: str) -> Community | None:
    """The page of community ``name``; None when ``places`` does not list it."""
    street = street_of(places, name)
    if street is None:
        return None
    rows = session.scalars(
        public().where(EntryRow.community == name).order_by(EntryRow.date.desc(), EntryRow.id.desc())
    )
    found = Community(name, street, {kind: [] for kind in KINDS})
    for row in rows:
        found.entries[row.kind].append(row)
    found.entries = {kind: items for kind, items in found.entries.items() if items}
    keys = {row.key for items in found.entries.values() for row in items}
    if keys:
        found.projects = [row for row in session.scalars(published()) if keys & _linked_keys(row)]
    return found


def _linked_keys(row: ProjectRow) -> set[str]:
    """The entry keys a project links to: its related entries and its milestones' evidence."""
    return {*(row.related or ()), *(key for m in row.milestones for key in m.evidence if "://" not in key)}


def sitemap_names(session: Session) -> list[str]:
    """Communities with at least one published entry (a page worth listing), in name order."""
    stmt = public(cards=False).with_only_columns(EntryRow.community).where(EntryRow.community.is_not(None))
    return sorted({name for name in session.scalars(stmt.distinct()) if name})
