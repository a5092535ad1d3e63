"""Atom feeds of 民生实事 progress (进展可监督): one project's dated events, or a whole year's.

The events come from ``content/project_events.py``; this module picks the published projects and
names each event with a ``tag:`` URI built from the site's host, the project's year and its path,
so an event keeps its id however the project's lists change around it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from .content.project_events import Event, project_events
from .db import DbSession as Session
from .project_board import published
from .project_rows import ProjectRow

RECENT = 5
"""How many events the project page lists under 最近更新."""
FEED_SIZE = 100
"""The most entries one feed carries (a year of ten projects has a few dozen events)."""


@dataclass(frozen=True)
class FeedItem:
    project: ProjectRow
    event: Event


def year_items(session: Session, year: int) -> tuple[list[ProjectRow], list[FeedItem]] | None:
    """The published projects of ``year`` and all their events, newest first; None without any project."""
    rows = list(session.scalars(published().where(ProjectRow.year == year)))
    if not rows:
        return None
    items = [FeedItem(row, event) for row in rows for event in project_events(row)]
    items.sort(key=lambda item: item.event.day, reverse=True)  # stable: board order within a day
    return rows, items[:FEED_SIZE]


def project_items(row: ProjectRow) -> list[FeedItem]:
    """One project's events, newest first."""
    return [FeedItem(row, event) for event in project_events(row)][:FEED_SIZE]


def recent(row: ProjectRow) -> list[Event]:
    """The latest events of a project for its page (最近更新)."""
    return project_events(row)[:RECENT]


def tag_uri(site: str, year: int, path: str) -> str:
    """``tag:example.org,2021:/projects/2021/slug/vote`` (RFC 4151): the site's host and base path,
    the project's year as the tagging date, then the path."""
    parts = urlsplit(site)
    return f"tag:{parts.hostname or 'localhost'},{year}:{parts.path.rstrip('/')}{path}"


def feed_updated(items: list[FeedItem], rows: list[ProjectRow]) -> dt.date:
    """The newest event's day, else the newest project date."""
    if items:
        return max(item.event.day for item in items)
    return max(row.date for row in rows)
