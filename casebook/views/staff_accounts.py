"""Staff accounts and the audit log (admins only). Routes of the ``staff`` blueprint; thin:
``staff.accounts`` changes accounts, ``staff.queries`` reads them and the log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..db import db
from ..staff import accounts
from ..staff import queries as staff_queries
from ..staff.models import audit
from .auth import recoverable, require
from .staff_common import bp, me

MAX_PAGE = 1_000_000
"""Highest audit page asked for: huge offsets overflow SQLite."""


def _users_page(message: str = "", form: dict[str, str] | None = None, code: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "staff/users.html",
            users=staff_queries.users(db.session),
            roles=accounts.ROLES,
            message=message,
            form=form or {},
            title="账号管理",
        ),
        code,
    )


def _typed() -> dict[str, str]:
    """The posted form without the password (never sent back to the page)."""
    return {k: v for k, v in request.form.items() if k != "password"}


def _recover_users(reason: str) -> ResponseReturnValue:
    return _users_page(reason, _typed(), 400)


@bp.route("/users", methods=["GET", "POST"])
@recoverable(_recover_users)
@require("admin")
def users() -> ResponseReturnValue:
    if request.method == "GET":
        return _users_page()
    name = request.form.get("name", "")
    try:
        user = accounts.add_user(db.session, name, request.form.get("role", ""), request.form.get("password", ""))
    except accounts.AccountError as exc:
        db.session.rollback()
        return _users_page(str(exc), _typed(), 422)
    audit(db.session, me().name, "user-add", user.name, user.role)
    db.session.commit()
    flash(f"已添加用户 {user.name}（{accounts.ROLE_NAMES[user.role]}）。", "ok")
    return redirect(url_for("staff.users"))


@bp.post("/users/<path:name>/<change>")  # a name may contain "/"
@require("admin")
def user_change(name: str, change: str) -> ResponseReturnValue:
    session = db.session
    try:
        if change == "disable":
            if accounts.name_key(name) == me().name_key:
                raise accounts.AccountError("不能停用自己的账号")
            user = accounts.set_active(session, name, False)
            detail = "停用"
        elif change == "enable":
            user = accounts.set_active(session, name, True)
            detail = "启用"
        elif change == "role":
            if accounts.name_key(name) == me().name_key:
                raise accounts.AccountError("不能修改自己的角色（请另一位管理员操作），以免没有管理员")
            user = accounts.set_role(session, name, request.form.get("role", ""))
            detail = f"角色改为 {user.role}"
        elif change == "passwd":
            user = accounts.set_password(session, name, request.form.get("password", ""))
            detail = "重设密码"
        else:
            abort(404)
    except accounts.AccountError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("staff.users"))
    audit(session, me().name, f"user-{change}", user.name, detail)
    session.commit()
    flash(f"{user.name}：{detail}。", "ok")
    return redirect(url_for("staff.users"))


@bp.get("/audit")
@require("admin")
def audit_log() -> ResponseReturnValue:
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    events, more = staff_queries.audit_page(db.session, page)
    return render_template("staff/audit.html", events=events, page=page, more=more, title="操作记录")
