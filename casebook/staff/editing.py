"""Saving entries from the editor: validate, write the file, mirror, index — and never lose work.

The content file stays the source of truth. A save goes: conflict check against the version
the form was based on → the one validator (``content.validate_entry``) → atomic file write →
catalog row (``catalog.refresh_file``) → revision + audit rows → commit → search index update.
An edit of a published entry is kept as a *pending* revision instead, and only publishing it
writes the file. Saves are serialized across processes with a lock file.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from .. import content
from ..catalog.publish import update_index
from ..content.files import read_yaml, split_front_matter
from ..db import DbSession
from ..search import SearchIndex
from .kinds import FORM_FIELDS, FormField, fields_for, form_values, kind_of
from .models import Revision, audit

__all__ = ["FORM_FIELDS", "FormField", "fields_for", "form_values"]

logger = logging.getLogger(__name__)
GIT_ACTIONS = {"publish": "发布", "unpublish": "撤回", "restore": "恢复"}


@dataclass
class Outcome:
    """What a save or an action did; ``errors`` maps a field key ('' for the whole form) to messages."""

    ok: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict_text: str | None = None
    """The version saved meanwhile by someone else (the user's own text is kept in the form)."""
    pending: bool = False
    entry: Any = None
    message: str = ""
    index_warning: str = ""

    def error(self, key: str, message: str) -> Outcome:
        self.errors.setdefault(key, []).append(message)
        return self


@dataclass(frozen=True)
class Workspace:
    """Where saves go: the content folder, the search index and a lock file shared by processes."""

    root: Path
    index: SearchIndex
    lock_path: Path
    queue_rebuild: Callable[[], None] | None = None
    """Queues a whole-index rebuild to run outside the request (None: rebuild in place, as the CLI does)."""

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


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


def save(
    ws: Workspace,
    session: DbSession,
    *,
    kind: str,
    slug: str,
    form: Mapping[str, str],
    base: str,
    user: str,
    action: str,
    may_publish: bool,
    new: bool,
) -> Outcome:
    """Save the editor's form. ``action`` is ``save``, ``submit`` or ``publish``; ``base`` is the
    version token the form was based on (empty for a new entry)."""
    out = Outcome()
    if action == "publish" and not may_publish:
        return out.error("", "只有审核人员可以发布")
    if not content.SLUG_RE.match(slug):
        return out.error("slug", "网址名只能用小写字母、数字和连字符（-），不超过 80 个字符")
    with ws.locked():
        path = file_path(ws, session, kind, slug, form)
        current = working_text(ws, session, kind, slug)
        if new and current is not None:
            return out.error("slug", f"网址名“{slug}”已被占用，请换一个")
        if not new and current is None:
            return out.error("", "这篇内容已不存在（文件可能被移走或删除）")
        if current is not None and version_of(current) != base:
            out.conflict_text = current
            return out.error("", "保存冲突：在您编辑期间，这篇内容已被他人修改。您的文本仍在下方，请对照后再保存。")
        file_status = status_of(file_text(path) or "") if not new else "draft"
        live = not new and file_status == "published"
        status = {"save": file_status if not new else "draft", "submit": "submitted", "publish": "published"}[action]
        if live:
            status = "published"
        entry, text, errors = kind_of(kind).build(ws.root, session, slug, form, status, path)
        if entry is None:
            out.errors = errors
            return out
        out.entry = entry
        if live and action != "publish":
            _supersede(session, kind, slug)
            session.add(_revision(kind, slug, text, entry, "pending", "edit", user))
            audit(session, user, "edit", f"{kind}/{slug}", "修改已提交审核（待发布）")
            session.commit()
            out.ok = out.pending = True
            out.message = "修改已保存为待审核版本；审核发布前，公众看到的仍是已发布的内容。"
            return out
        if current is not None and text == current and action == "save":
            out.ok = True
            out.message = "没有改动。"
            return out
        verb = "publish" if action == "publish" else "create" if new else {"save": "edit", "submit": "submit"}[action]
        _write(ws, session, path, kind, slug, text, entry, verb, user)
        out.ok = True
        out.message = {
            "save": "已保存为草稿。" if new else "已保存。",
            "submit": "已提交审核。",
            "publish": "已发布。",
        }[action]
    out.index_warning = _reindex(ws, session, kind, slug)
    return out


def _revision(kind: str, slug: str, text: str, entry: Any, state: str, action: str, user: str) -> Revision:
    return Revision(
        kind=kind, slug=slug, text=text, title=entry.title, status=entry.status, state=state, action=action, author=user
    )


def _supersede(session: DbSession, kind: str, slug: str) -> None:
    session.execute(
        update(Revision)
        .where(Revision.kind == kind, Revision.slug == slug, Revision.state == "pending")
        .values(state="superseded")
    )


def _write(
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
    before = path.read_bytes() if path.is_file() else None
    content.write_atomic(path, text)
    try:
        kind_of(kind).refresh(session, ws.root, path)
        if not keep_pending:
            _supersede(session, kind, slug)
        revision = _revision(kind, slug, text, entry, "written", action, user)
        revision.note = note
        session.add(revision)
        audit(session, user, action, f"{kind}/{slug}", note)
        session.commit()
    except Exception:
        session.rollback()
        # the database refused (locked, gone): put the file back, so file, catalog and history agree
        if before is None:
            path.unlink(missing_ok=True)
        else:
            content.write_atomic(path, before)
        raise
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
    _write(ws, session, path, kind, slug, text, entry, action, user, note, keep_pending=True)


def reindex(ws: Workspace, session: DbSession, kind: str, slug: str) -> str:
    """Bring the search index in step with the entry; a warning for staff when that failed."""
    return _reindex(ws, session, kind, slug)


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


def _reindex(ws: Workspace, session: DbSession, kind: str, slug: str) -> str:
    # the index step of publishing (catalog.publish): in a request only this entry is indexed; a
    # whole rebuild (no index yet, or the glossary changed) is queued, and search answers from the
    # old index meanwhile; without a queue (scripts, the CLI) it rebuilds in place
    wait = INDEX_WAIT if ws.queue_rebuild else None
    done = update_index(session, ws.index, ws.root, [f"{kind}/{slug}"], queue_rebuild=ws.queue_rebuild, wait=wait)
    if done.step == "failed":
        return f"已保存，但搜索索引暂未更新（{done.error}）；运行 casebook reindex 可补上。"
    if done.step == "queued" and done.error:  # a rebuild held the index and may have read this entry already
        return "已保存；搜索索引正在后台重建，这次修改在重建完成后可以搜到。"
    if done.step == "queued" and not done.usable:
        return "已保存；搜索索引正在后台重建，完成前搜索结果可能不全。"
    return ""


def change_status(
    ws: Workspace,
    session: DbSession,
    *,
    kind: str,
    slug: str,
    to: str,
    user: str,
    may_publish: bool,
    expected: str | None = None,
) -> Outcome:
    """Submit, publish (the pending revision if there is one) or unpublish an entry.

    ``expected`` is the version the reviewer looked at (``version_of`` the working text); when it
    is given and the text changed meanwhile, nothing is published: an unreviewed edit never goes live.
    """
    out = Outcome()
    if to in ("published", "draft") and not may_publish:
        return out.error("", "只有审核人员可以发布或撤回")
    action = {"submitted": "submit", "published": "publish", "draft": "unpublish"}[to]
    with ws.locked():
        path = file_path(ws, session, kind, slug)
        current = file_text(path)
        if current is None:
            return out.error("", "这篇内容已不存在")
        if to == "submitted" and status_of(current) == "published":
            return out.error("", "已发布的内容：保存修改即会进入待审核，无需再次提交")
        pending = pending_revision(session, kind, slug)
        source = pending.text if (pending is not None and to == "published") else current
        if to == "published" and expected and version_of(source) != expected:
            return out.error("", "审核期间这篇内容又有新的修改，尚未发布。请查看最新的差异后再发布。")
        text = set_status(source, to)
        entry = parse(ws, session, kind, slug, text)
        if entry is None:
            return out.error("", "文件内容有问题，无法更改状态；请先在控制台查看内容问题")
        if text == current and pending is None:
            out.ok = True
            out.message = "状态未变。"
            return out
        note = f"发布待审核修改 #{pending.id}" if (pending is not None and to == "published") else ""
        keep_pending = to != "published" and pending is not None
        if keep_pending:
            note = "待审核修改仍保留"
        _write(ws, session, path, kind, slug, text, entry, action, user, note, keep_pending=keep_pending)
        out.ok = True
        out.entry = entry
        out.message = {"submit": "已提交审核。", "publish": "已发布。", "unpublish": "已撤回为草稿。"}[action]
    out.index_warning = _reindex(ws, session, kind, slug)
    return out


def restore(ws: Workspace, session: DbSession, *, revision_id: int, user: str) -> Outcome:
    """Write an old revision's text back (keeping the entry's current status) as a new revision."""
    out = Outcome()
    old = session.get(Revision, revision_id)
    if old is None:
        return out.error("", "没有这个版本")
    kind, slug = old.kind, old.slug
    with ws.locked():
        path = file_path(ws, session, kind, slug)
        current = file_text(path)
        status = status_of(current) if current is not None else "draft"
        text = set_status(old.text, status)
        entry = parse(ws, session, kind, slug, text)
        if entry is None:
            return out.error("", "这个版本与现在的主题或地点设置不符，无法恢复")
        dropped = pending_revision(session, kind, slug) is not None
        _write(ws, session, path, kind, slug, text, entry, "restore", user, f"恢复自版本 #{old.id}")
        out.ok = True
        out.entry = entry
        out.message = f"已恢复版本 #{old.id}（作为新版本保存）。" + (
            "原有的待审核修改已被替代，仍可在修改历史中查看。" if dropped else ""
        )
    out.index_warning = _reindex(ws, session, kind, slug)
    return out


def history(session: DbSession, kind: str, slug: str) -> list[Revision]:
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
