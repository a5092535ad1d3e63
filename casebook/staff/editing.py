"""Saving entries from the editor: validate, write the file, mirror, index — and never lose work.

The content file stays the source of truth. A save goes: conflict check against the version
the form was based on → the one validator (``content.validate_entry``) → atomic file write →
catalog row (``catalog.refresh_file``) → revision + audit rows → commit → search index update.
An edit of a published entry is kept as a *pending* revision instead, and only publishing it
writes the file. Saves are serialized across processes with a lock file.

This module decides what a save, a status change or a restore writes; ``working`` reads an
item's state, ``writing`` runs the write sequence, ``workspace`` holds the shared types. Their
public names are re-exported here, so callers keep one import.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from .. import content
from ..db import DbSession
from .kinds import FORM_FIELDS, FormField, fields_for, form_values, kind_of
from .models import Revision, audit
from .working import (
    NOT_A_SAVE,
    file_path,
    file_text,
    history,
    parse,
    pending_revision,
    published_text,
    returned_revision,
    set_status,
    status_of,
    version_of,
    working_text,
)
from .workspace import Outcome, Workspace
from .writing import INDEX_WAIT, git_commit, reindex, revision, supersede, write, write_revision

__all__ = [
    "FORM_FIELDS",
    "INDEX_WAIT",
    "NOT_A_SAVE",
    "FormField",
    "Outcome",
    "Workspace",
    "change_status",
    "fields_for",
    "file_path",
    "file_text",
    "form_text",
    "form_values",
    "git_commit",
    "history",
    "parse",
    "pending_revision",
    "published_text",
    "reindex",
    "restore",
    "returned_revision",
    "save",
    "set_status",
    "status_of",
    "version_of",
    "working_text",
    "write_revision",
]


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
            supersede(session, kind, slug)
            session.add(revision(kind, slug, text, entry, "pending", "edit", user))
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
        write(ws, session, path, kind, slug, text, entry, verb, user)
        out.ok = True
        out.message = {
            "save": "已保存为草稿。" if new else "已保存。",
            "submit": "已提交审核。",
            "publish": "已发布。",
        }[action]
    out.index_warning = reindex(ws, session, kind, slug)
    return out


def form_text(kind: str, values: Mapping[str, str]) -> str:
    """The editor's form as file-like text (no status), to compare with a conflicting version."""
    meta = kind_of(kind).front_matter(values, "draft")
    meta.pop("status", None)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n{values.get('body', '').strip()}\n"


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
        write(ws, session, path, kind, slug, text, entry, action, user, note, keep_pending=keep_pending)
        out.ok = True
        out.entry = entry
        out.message = {"submit": "已提交审核。", "publish": "已发布。", "unpublish": "已撤回为草稿。"}[action]
    out.index_warning = reindex(ws, session, kind, slug)
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
        write(ws, session, path, kind, slug, text, entry, "restore", user, f"恢复自版本 #{old.id}")
        out.ok = True
        out.entry = entry
        out.message = f"已恢复版本 #{old.id}（作为新版本保存）。" + (
            "原有的待审核修改已被替代，仍可在修改历史中查看。" if dropped else ""
        )
    out.index_warning = reindex(ws, session, kind, slug)
    return out
