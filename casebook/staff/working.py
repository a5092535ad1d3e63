"""An item's state as the staff tools read it: its file, its pending or returned edit, the text the
editor starts from, its status and history. Reads only; writes live in ``writing`` and ``editing``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import content
from ..content.files import read_yaml, split_front_matter
from ..db import DbSession
from .kinds import kind_of
from .models import Revision
from .workspace import Workspace


def version_of(text: str) -> str:
    """The version token a form carries: a hash of the text it was based on."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def file_path(ws: Workspace, session: DbSession, kind: str, slug: str, values: Mapping[str, str] | None = None) -> Path:
    """The file of an item in any status (or where a new one goes)."""
    return kind_of(kind).locate(ws.root, session, slug, values)


def pending_revision(session: DbSession, kind: str, slug: str) -> Revision | None:
    stmt = (
        select(Revision)
        .where(Revision.kind == kind, Revision.slug == slug, Revision.state == "pending")
        .order_by(Revision.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def file_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


NOT_A_SAVE = ("return", "unpublish")
"""Revision actions that only change the status: they leave an entry marked 需修改 (see review.py)."""


def returned_revision(session: DbSession, kind: str, slug: str) -> Revision | None:
    """The latest edit a reviewer returned (需修改), while nothing has been saved after it."""
    stmt = (
        select(Revision)
        .where(Revision.kind == kind, Revision.slug == slug, Revision.state == "returned")
        .order_by(Revision.id.desc())
        .limit(1)
    )
    returned = session.scalar(stmt)
    if returned is None:
        return None
    later = select(Revision.id).where(
        Revision.kind == kind, Revision.slug == slug, Revision.id > returned.id, Revision.action.not_in(NOT_A_SAVE)
    )
    return None if session.scalar(later.limit(1)) is not None else returned


def working_text(ws: Workspace, session: DbSession, kind: str, slug: str) -> str | None:
    """What the editor starts from: the pending revision if there is one, else a returned edit
    not yet reworked, else the file. (The public pages read the catalog, i.e. the file.)"""
    pending = pending_revision(session, kind, slug) or returned_revision(session, kind, slug)
    if pending is not None:
        return pending.text
    return file_text(file_path(ws, session, kind, slug))


def parse(ws: Workspace, session: DbSession, kind: str, slug: str, text: str) -> Any | None:
    """An entry or project from text (None if unusable)."""
    return kind_of(kind).parse(ws.root, slug, text, file_path(ws, session, kind, slug))


def set_status(text: str, status: str) -> str:
    """The same file text with its front matter's ``status`` changed (the rest left as written)."""
    parts = split_front_matter(text.removeprefix("\ufeff"))
    if parts is None:
        raise ValueError("no front matter")
    front, body = parts
    line = f"status: {status}"
    new_front, count = re.subn(r"(?m)^status:.*$", line, front)
    if count == 0:
        new_front = front.rstrip("\n") + "\n" + line + "\n"
    if not new_front.endswith("\n"):
        new_front += "\n"
    return f"---\n{new_front}---\n{body}"


def status_of(text: str) -> str:
    parts = split_front_matter(text.removeprefix("\ufeff"))
    if parts is None:
        return "draft"
    doc, _ = read_yaml(parts[0], Path("-"))
    data = doc.data if doc is not None else None
    status = data.get("status") if isinstance(data, dict) else None
    return str(status) if status in content.STATUSES else "published"


def history(session: DbSession, kind: str, slug: str) -> list[Revision]:
    """Every revision of an item, newest first."""
    stmt = select(Revision).where(Revision.kind == kind, Revision.slug == slug).order_by(Revision.id.desc())
    return list(session.scalars(stmt))


def published_text(session: DbSession, ws: Workspace, kind: str, slug: str) -> str:
    """The text the public sees now (the file when published, else the last published revision)."""
    text = file_text(file_path(ws, session, kind, slug)) or ""
    if status_of(text) == "published":
        return text
    stmt = (
        select(Revision)
        .where(
            Revision.kind == kind, Revision.slug == slug, Revision.state == "written", Revision.status == "published"
        )
        .order_by(Revision.id.desc())
        .limit(1)
    )
    last = session.scalar(stmt)
    return last.text if last is not None else ""
