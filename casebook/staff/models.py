"""Staff tables. Unlike the catalog, these are not rebuilt from ``content/``: back them up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..db import Base, DbSession


def utcnow() -> dt.datetime:
    """Naive UTC, as stored in every timestamp column."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(Base):
    """A staff account. ``name_key`` is the case-folded name used for lookups and throttling."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    """Bumped on password change or disable: older sessions stop working."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login: Mapped[dt.datetime | None]


class StaffSession(Base):
    """One login: the cookie names it, logout deletes it, so a copied cookie dies with the logout."""

    __tablename__ = "staff_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginAttempt(Base):
    """One failed login for a name (existing or not) from an address, kept a few minutes for the throttle."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_name_at", "name_key", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_key: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    """The client's address (``request.remote_addr``; behind trusted proxies, from X-Forwarded-For)."""
    at: Mapped[float]
    """Seconds since the epoch."""


class LoginLock(Base):
    """A name locked out until ``until`` (seconds since the epoch); failures before ``until`` no
    longer count, so a success moves it to the moment of the success."""

    __tablename__ = "login_lock"

    name_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    until: Mapped[float]


class Revision(Base):
    """One saved version of an entry file's full text.

    ``state`` is ``written`` (this text went to the file), ``pending`` (an edit of a published
    entry waiting for review; the file still holds the published text), ``returned`` (a pending
    edit a reviewer sent back to its editor with a comment: the editor starts from it again) or
    ``superseded`` (a pending edit replaced by a later one or discarded).
    """

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_entry", "kind", "slug", "id"), Index("ix_revision_state", "state", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = deferred(mapped_column(Text))
    title: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    """The entry's status in this text (draft, submitted, published)."""
    state: Mapped[str] = mapped_column(String(20), default="written")
    action: Mapped[str] = mapped_column(String(20))
    """create, edit, submit, publish, unpublish, restore, return (see ACTION_NAMES)."""
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.slug}"


class ReviewComment(Base):
    """One message in an entry's review thread: a plain comment, or the comment of a return or a publish.

    A return is addressed to ``addressed_to`` (the author of the returned text) and stays open
    (需修改) until a revision newer than ``upto_revision`` is saved (see ``staff/review.py``).
    """

    __tablename__ = "review_comment"
    __table_args__ = (
        Index("ix_review_comment_entry", "kind", "slug", "id"),
        Index("ix_review_comment_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20), default="comment")
    """comment, return or publish."""
    text: Mapped[str] = mapped_column(Text)
    revision_id: Mapped[int | None]
    """The revision this comment is about: the returned edit, or the text returned to draft."""
    upto_revision: Mapped[int] = mapped_column(default=0)
    """The newest revision id of the entry when the comment was made."""
    addressed_to: Mapped[str] = mapped_column(String(100), default="")

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "")


class AuditEvent(Base):
    """Who did what to what, and when."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    times: Mapped[int] = mapped_column(default=1, server_default="1")
    """How often it happened: refused logins from one address within a minute are one event."""


ACTION_NAMES: dict[str, str] = {
    "create": "创建",
    "edit": "保存",
    "submit": "提交",
    "publish": "发布",
    "unpublish": "撤回",
    "restore": "恢复",
    "discard": "退回",
    "return": "退回",
    "comment": "评论",
    "import": "导入",
    "upload": "上传图片",
    "settings": "修改设置",
    "login": "登录",
    "logout": "退出登录",
    "login-failed": "登录失败",
    "login-throttled": "登录被限制",
    "user-add": "添加账号",
    "user-disable": "停用账号",
    "user-enable": "启用账号",
    "user-role": "修改角色",
    "user-passwd": "重设密码",
    "proposal-accept": "征集建议：采纳",
    "proposal-merge": "征集建议：合并",
    "proposal-decline": "征集建议：不采纳",
    "proposal-project": "征集建议：转为项目",
    "proposal-publish": "征集建议：公开",
    "proposal-unpublish": "征集建议：取消公开",
    "proposal-phone": "征集建议：查看完整电话",
    "rating-approve": "通过评议意见",
    "rating-reject": "不通过评议意见",
}
"""Every action recorded in revisions and the audit log, as staff read it (unknown ones show as recorded)."""


def action_name(action: str) -> str:
    """The Chinese name of a recorded action (``publish`` → 发布)."""
    return ACTION_NAMES.get(action, action)


def audit(session: DbSession, user: str, action: str, target: str = "", detail: str = "") -> None:
    """Add an audit event to ``session`` (committed with the change it describes)."""
    session.add(AuditEvent(user=user, action=action, target=target[:300], detail=detail))
