"""The one write sequence of staff saves: file (atomic) → catalog row → revision + audit → commit →
git (when the content folder is a repository) → search index, and the file put back if the
database refuses. ``editing`` and ``review`` decide *what* to write; this module writes it."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import update

from .. import content
from ..catalog.publish import update_index
from ..crashpoints import crash_point
from ..db import DbSession
from .kinds import kind_of
from .models import Revision, audit
from .workspace import Workspace

logger = logging.getLogger(__name__)
GIT_ACTIONS = {"publish": "发布", "unpublish": "撤回", "restore": "恢复"}


def revision(kind: str, slug: str, text: str, entry: Any, state: str, action: str, user: str) -> Revision:
    """A new revision row of ``text`` (not yet added to the session)."""
    return Revision(
        kind=kind,
        slug=slug,
        text=text,
        title=entry.title or slug,
        status=entry.status,
        state=state,
        action=action,
        author=user,
    )


def supersede(session: DbSession, kind: str, slug: str) -> None:
    """Mark an item's pending edits as replaced."""
    session.execute(
        update(Revision)
        .where(Revision.kind == kind, Revision.slug == slug, Revision.state == "pending")
        .values(state="superseded")
    )


def write(
    ws: Workspace,
    session: DbSession,
    path: Path,
    kind: str,
    slug: str,
    text: str,
    entry: Any,
    action: str,
    user: str,
    note: str = "",
    *,
    keep_pending: bool = False,
) -> None:
    """Write the file, mirror it, record the revision and the audit event, commit.

    A pending edit is superseded by the written text, unless ``keep_pending`` (a status change
    that leaves the edit waiting for review).
    """
    try:
        # the database refused (locked, gone, its disk full): the file is put back — with no free
        # space needed — so file, catalog and history agree
        with content.replacing(path, text):
            kind_of(kind).refresh(session, ws.root, path)
            if not keep_pending:
                supersede(session, kind, slug)
            written = revision(kind, slug, text, entry, "written", action, user)
            written.note = note
            session.add(written)
            audit(session, user, action, f"{kind}/{slug}", note)
            session.commit()
    except Exception:
        session.rollback()
        raise
    crash_point("after-save-commit")
    if action in GIT_ACTIONS:
        git_commit(ws.root, path, f"{GIT_ACTIONS[action]} {kind}/{slug}: {entry.title}", user)


def write_revision(
    ws: Workspace,
    session: DbSession,
    path: Path,
    kind: str,
    slug: str,
    text: str,
    entry: Any,
    action: str,
    user: str,
    note: str = "",
) -> None:
    """Write a status change made elsewhere (a return): file, catalog, revision, audit, commit."""
    write(ws, session, path, kind, slug, text, entry, action, user, note, keep_pending=True)


def git_commit(root: Path, path: Path, message: str, user: str) -> bool:
    """Commit one file when the content folder is itself a git repository; never raises."""
    if not (root / ".git").exists():
        return False
    rel = path.relative_to(root).as_posix()
    identity = ["-c", "user.name=casebook", "-c", "user.email=casebook@localhost"]
    author = f"{user} <staff@casebook.invalid>"
    try:
        subprocess.run(["git", "-C", str(root), "add", "--", rel], check=True, capture_output=True, timeout=20)
        subprocess.run(
            ["git", "-C", str(root), *identity, "commit", "-q", "--author", author, "-m", message, "--", rel],
            check=True,
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("git commit of %s failed: %s", rel, exc)
        return False
    return True


INDEX_WAIT = 2.0
"""Seconds a save waits for the search index; longer means a rebuild holds it, which is queued again."""


def reindex(ws: Workspace, session: DbSession, kind: str, slug: str) -> str:
    """Bring the search index in step with the entry; a warning for staff when that failed.

    The index step of publishing (``catalog.publish``): in a request only this entry is indexed; a
    whole rebuild (no index yet, or the glossary changed) is queued, and search answers from the
    old index meanwhile; without a queue (scripts, the CLI) it rebuilds in place.
    """
    wait = INDEX_WAIT if ws.queue_rebuild else None
    done = update_index(session, ws.index, ws.root, [f"{kind}/{slug}"], queue_rebuild=ws.queue_rebuild, wait=wait)
    if done.step == "failed":
        return f"已保存，但搜索索引暂未更新（{done.error}）；运行 casebook reindex 可补上。"
    if done.step == "queued" and done.error:  # a rebuild held the index and may have read this entry already
        return "已保存；搜索索引正在后台重建，这次修改在重建完成后可以搜到。"
    if done.step == "queued" and not done.usable:
        return "已保存；搜索索引正在后台重建，完成前搜索结果可能不全。"
    return ""
