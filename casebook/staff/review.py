"""The review loop that talks: returns with a comment (需修改), and a comment thread per entry.

A reviewer *returns* what waits for review instead of discarding it: a pending edit of a published
entry becomes a ``returned`` revision its editor starts from again; a submitted entry goes back to
``status: draft`` (text untouched). Either way a ``return`` comment addressed to the author of the
returned text joins the entry's thread, and the entry is 需修改 until a newer revision is saved
(a save or a resubmit; status-only changes such as a return or an unpublish do not count).
No Flask here: views call these, services flush or commit as ``editing`` does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select

from ..db import DbSession
from . import diffs, editing
from .models import ReviewComment, Revision, audit

MAX_COMMENT = 2000
"""Characters a comment may have."""


@dataclass
class Thread:
    """An entry's comments, oldest first, and its open return (需修改) if there is one."""

    comments: list[ReviewComment] = field(default_factory=list)
    open_return: ReviewComment | None = None


@dataclass
class ReviewState:
    """What the review page shows of an item: its working and published text, the pending edit,
    the file's status, the thread, and what changed since the last return (if the edit was reworked)."""

    current: str
    published: str
    pending: Revision | None
    file_status: str
    thread: Thread
    since_return: diffs.Comparison | None
    entry: Any
    """The working text parsed (None if unusable)."""


def review_state(ws: editing.Workspace, session: DbSession, kind: str, slug: str) -> ReviewState | None:
    """An item's review state, or None when it has no working text."""
    current = editing.working_text(ws, session, kind, slug)
    if current is None:
        return None
    pending = editing.pending_revision(session, kind, slug)
    found = thread(session, kind, slug)
    since_return = None
    last_return = next((c for c in reversed(found.comments) if c.action == "return" and c.revision_id), None)
    if pending is not None and last_return is not None and last_return.revision_id is not None:
        returned = session.get(Revision, last_return.revision_id)
        if returned is not None and returned.id < pending.id:
            since_return = diffs.compare(kind, returned.text, pending.text)
    return ReviewState(
        current=current,
        published=editing.published_text(session, ws, kind, slug),
        pending=pending,
        file_status=editing.status_of(editing.file_text(editing.file_path(ws, session, kind, slug)) or ""),
        thread=found,
        since_return=since_return,
        entry=editing.parse(ws, session, kind, slug, current),
    )


def check_comment(text: str, *, required: bool, what: str = "评论") -> tuple[str, str]:
    """(the cleaned comment, a Chinese error message or "")."""
    text = text.replace("\r\n", "\n").strip()
    if required and not text:
        why = "：写明需要修改的地方，编辑才知道怎么改" if what == "退回意见" else ""
        return text, f"请填写{what}{why}。"
    if len(text) > MAX_COMMENT:
        return text, f"{what}不能超过 {MAX_COMMENT} 字（现在 {len(text)} 字），请精简后再提交。"
    return text, ""


def _newest_revision(session: DbSession, kind: str, slug: str) -> int:
    stmt = select(func.max(Revision.id)).where(Revision.kind == kind, Revision.slug == slug)
    return session.scalar(stmt) or 0


def add_comment(
    session: DbSession,
    *,
    kind: str,
    slug: str,
    user: str,
    text: str,
    action: str = "comment",
    revision_id: int | None = None,
    addressed_to: str = "",
) -> ReviewComment:
    """Add a comment to the entry's thread and record it in the audit log (flushed, not committed)."""
    comment = ReviewComment(
        kind=kind,
        slug=slug,
        author=user,
        text=text,
        action=action,
        revision_id=revision_id,
        upto_revision=_newest_revision(session, kind, slug),
        addressed_to=addressed_to,
    )
    session.add(comment)
    if action == "comment":
        audit(session, user, "comment", f"{kind}/{slug}", text.splitlines()[0][:200] if text else "")
    session.flush()
    return comment


def return_entry(
    ws: editing.Workspace,
    session: DbSession,
    *,
    kind: str,
    slug: str,
    user: str,
    comment: str,
    may_review: bool,
    expected: str | None = None,
) -> editing.Outcome:
    """Send a pending edit or a submitted entry back to its editor with a required comment.

    ``expected`` is the version the reviewer looked at: when the text changed meanwhile, nothing
    is returned (the reviewer would be returning a text they have not read).
    """
    out = editing.Outcome()
    if not may_review:
        return out.error("", "只有审核人员可以退回")
    text, problem = check_comment(comment, required=True, what="退回意见")
    if problem:
        return out.error("comment", problem)
    first_line = text.splitlines()[0][:200]
    with ws.locked():
        pending = editing.pending_revision(session, kind, slug)
        path = editing.file_path(ws, session, kind, slug)
        current = editing.file_text(path)
        working = editing.working_text(ws, session, kind, slug)
        if working is None or current is None:
            return out.error("", "这篇内容已不存在")
        if expected and editing.version_of(working) != expected:
            return out.error("", "审核期间这篇内容又有新的修改，尚未退回。请查看最新的差异后再退回。")
        if pending is not None:
            pending.state = "returned"
            add_comment(
                session,
                kind=kind,
                slug=slug,
                user=user,
                text=text,
                action="return",
                revision_id=pending.id,
                addressed_to=pending.author,
            )
            audit(
                session, user, "return", f"{kind}/{slug}", f"退回 {pending.author} 的修改 #{pending.id}：{first_line}"
            )
            session.commit()
            out.ok = True
            out.message = f"已退回给 {pending.author}，标记为需修改；已发布的内容不变。"
            return out
        if editing.status_of(current) != "submitted":
            return out.error("", "只有待审核的内容或待发布的修改可以退回")
        entry = editing.parse(ws, session, kind, slug, editing.set_status(current, "draft"))
        if entry is None:
            return out.error("", "文件内容有问题，无法退回；请先在控制台查看内容问题")
        author = _author_of(session, kind, slug)
        add_comment(session, kind=kind, slug=slug, user=user, text=text, action="return", addressed_to=author)
        draft = editing.set_status(current, "draft")
        editing.write_revision(ws, session, path, kind, slug, draft, entry, "return", user, f"退回修改：{first_line}")
        out.ok = True
        out.entry = entry
        out.message = f"已退回{('给 ' + author) if author else ''}，改回草稿并标记为需修改。"
    out.index_warning = editing.reindex(ws, session, kind, slug)
    return out


def _author_of(session: DbSession, kind: str, slug: str) -> str:
    """Who wrote the text being returned: the author of the newest revision that changed the text
    (not one that only changed its status, like a 提交审核 by someone else)."""
    stmt = (
        select(Revision.author, Revision.text)
        .where(Revision.kind == kind, Revision.slug == slug, Revision.action.not_in(editing.NOT_A_SAVE))
        .order_by(Revision.id.desc())
        .limit(200)
    )
    rows = list(session.execute(stmt))
    for (author, text), (_, older) in itertools.pairwise(rows):
        if _without_status(text) != _without_status(older):
            return author
    return rows[-1][0] if rows else ""


def _without_status(text: str) -> str:
    try:
        return editing.set_status(text, "draft")
    except ValueError:
        return text


def open_returns(
    session: DbSession, *, addressed_to: str | None = None, keys: Iterable[tuple[str, str]] | None = None
) -> dict[tuple[str, str], ReviewComment]:
    """Entries marked 需修改: their latest return, when no revision was saved after it."""
    found = _latest_returns(session, Revision.action.not_in(editing.NOT_A_SAVE), addressed_to)
    if keys is not None:
        wanted = set(keys)
        found = {key: c for key, c in found.items() if key in wanted}
    return found


def reworked_keys(session: DbSession) -> set[tuple[str, str]]:
    """Entries returned since they were last published (曾退回 when they wait for review again)."""
    return set(_latest_returns(session, Revision.action == "publish"))


def _latest_returns(
    session: DbSession, clears: ColumnElement[bool], addressed_to: str | None = None
) -> dict[tuple[str, str], ReviewComment]:
    """Each entry's latest return, unless a revision matching ``clears`` was made after it."""
    latest = select(func.max(ReviewComment.id)).where(ReviewComment.action == "return")
    latest = latest.group_by(ReviewComment.kind, ReviewComment.slug)
    cleared = (
        select(Revision.id)
        .where(
            Revision.kind == ReviewComment.kind,
            Revision.slug == ReviewComment.slug,
            Revision.id > ReviewComment.upto_revision,
            clears,
        )
        .exists()
    )
    stmt = select(ReviewComment).where(ReviewComment.id.in_(latest), ~cleared).order_by(ReviewComment.id.desc())
    if addressed_to is not None:
        stmt = stmt.where(ReviewComment.addressed_to == addressed_to)
    return {(c.kind, c.slug): c for c in session.scalars(stmt)}


def thread(session: DbSession, kind: str, slug: str) -> Thread:
    """The entry's comments, oldest first, and its open return."""
    stmt = (
        select(ReviewComment)
        .where(ReviewComment.kind == kind, ReviewComment.slug == slug)
        .order_by(ReviewComment.id)
        .limit(500)
    )
    comments = list(session.scalars(stmt))
    opened = open_returns(session, keys=[(kind, slug)]).get((kind, slug)) if comments else None
    return Thread(comments=comments, open_return=opened)


def title_of(session: DbSession, comment: ReviewComment) -> str:
    """The entry's title as it was in the returned text (or its slug)."""
    if comment.revision_id is not None:
        rev = session.get(Revision, comment.revision_id)
        if rev is not None and rev.title:
            return rev.title
    stmt = (
        select(Revision.title)
        .where(Revision.kind == comment.kind, Revision.slug == comment.slug)
        .order_by(Revision.id.desc())
        .limit(1)
    )
    return session.scalar(stmt) or comment.slug
