"""Logging in and out, the current staff user, role checks and CSRF with form recovery.

Every POST is checked for a CSRF token (Flask-WTF). A view marked with ``@recoverable(fn)``
does not lose the user's typing when its token or login has expired: ``fn`` renders the form
again from the posted values with a fresh token and a message, and nothing is saved.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ..db import db
from ..diskspace import is_disk_full
from ..staff import accounts
from ..staff.models import User, audit
from .diskfull import disk_full

bp = Blueprint("auth", __name__)
SESSION_LIFETIME = accounts.SESSION_LIFETIME
csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
Recover = Callable[[str], ResponseReturnValue]


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def _load_user() -> None:
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = accounts.session_user(db.session, uid, session.get("sid"))
    if user is None or not user.active or session.get("sv") != user.session_version:
        session.clear()
        return
    g.user = user


def recoverable(recover: Recover) -> Callable[[F], F]:
    """Mark a form view: on an expired token or login, ``recover(reason)`` re-renders its form."""

    def mark(view: F) -> F:
        view.recover = recover  # type: ignore[attr-defined]
        return view

    return mark


EXPIRED = "页面已过期（超过有效时间或已在别处退出登录），内容尚未保存。您填写的内容都在下面，请再次提交。"
LOGGED_OUT = (
    "登录已失效，内容尚未保存。请在新窗口中重新登录，然后回到此页再次提交"
    "（如提示页面已过期，再提交一次即可）；您填写的内容都在下面。"
)


def _csrf_guard() -> ResponseReturnValue | None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    try:
        csrf.protect()
    except RequestEntityTooLarge:
        if request.accept_mimetypes.best == "application/json":
            return {"error": "文件太大：图片不能超过 15 MB"}, 413
        raise
    except CSRFError:
        view = current_app.view_functions.get(request.endpoint or "")
        recover: Recover | None = getattr(view, "recover", None)
        if recover is not None:
            return recover(LOGGED_OUT if current_user() is None else EXPIRED)
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return {"error": "页面已过期，请刷新后重试"}, 400
        return render_template("errors/expired.html", back=_same_site_referrer()), 400
    return None


BUSY = "数据库正忙（可能正在后台同步或重建），内容尚未保存。您填写的内容都在下面，请稍后再次提交。"


def _busy(exc: OperationalError) -> ResponseReturnValue:
    """The database stayed locked past its timeout: a form comes back filled in, nothing is half-saved
    (services roll back and put files back); anything else gets a plain 503 page."""
    if is_disk_full(exc):
        return disk_full(exc)
    if not _locked(exc):
        raise exc  # a real fault (a missing table, a lost server): the usual 500 page
    db.session.rollback()
    current_app.logger.warning("database busy at %s: %s", request.path, exc)
    view = current_app.view_functions.get(request.endpoint or "")
    recover: Recover | None = getattr(view, "recover", None)
    if recover is not None and request.method == "POST":
        response = current_app.make_response(recover(BUSY))
        response.status_code = 503
        return response
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return {"error": "数据库正忙，请稍后重试"}, 503
    return render_template("errors/error.html", code=503, busy=True), 503


def _locked(exc: OperationalError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "lock timeout" in text or "could not obtain lock" in text


def _same_site_referrer() -> str | None:
    """The referring page when it is on this site (as a path), else None: no link to elsewhere."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not path.startswith("//") else None


def require(role: str = "editor") -> Callable[[F], F]:
    """Only logged-in, active users with at least ``role``; others go to the login page."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            user = current_user()
            if user is None:
                recover: Recover | None = getattr(guarded, "recover", None)
                if request.method == "POST" and recover is not None:
                    return recover(LOGGED_OUT)
                if request.accept_mimetypes.best == "application/json" or request.is_json:
                    return {"error": "登录已失效，请在新窗口中重新登录后再试；本页内容不会丢失"}, 401
                if request.method == "POST":
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not accounts.can(user.role, role):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return wrap


def staff_only(role: str = "editor") -> ResponseReturnValue | None:
    """A ``before_request`` guard for a whole blueprint of staff pages."""
    user = current_user()
    if user is None:
        if request.method != "GET":
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not accounts.can(user.role, role):
        abort(403)
    return None


def safe_next(target: str | None) -> str:
    """``next=`` only to a path on this site; anything else goes to the dashboard."""
    fallback = url_for("staff.dashboard")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return fallback
    return target


def _login_form(message: str = "", status: int = 200, **extra: Any) -> ResponseReturnValue:
    return (
        render_template(
            "staff/login.html",
            message=message,
            name=request.form.get("name", ""),
            next=request.values.get("next", ""),
            title="工作人员登录",
            **extra,
        ),
        status,
    )


def _recover_login(reason: str) -> ResponseReturnValue:
    return _login_form("页面已过期，请重新输入密码后登录。")


@bp.route("/login", methods=["GET", "POST"])
@recoverable(_recover_login)
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return _login_form()
    name = request.form.get("name", "")[:200]
    password = request.form.get("password", "")[: accounts.MAX_PASSWORD]
    result = accounts.login(db.session, name, password)
    if result.retry_after is not None:
        db.session.commit()
        minutes = (result.retry_after + 59) // 60
        response = current_app.make_response(
            _login_form(f"尝试次数过多，请 {minutes} 分钟后再试。", 429, retry_after=result.retry_after)
        )
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if result.user is None:
        audit(db.session, name.strip()[:100] or "（空）", "login-failed")
        db.session.commit()
        return _login_form("用户名或密码不正确。")
    user = result.user
    audit(db.session, user.name, "login")
    db.session.commit()
    session.clear()  # a fresh session: nothing from before the login survives
    sid = accounts.open_session(db.session, user)
    db.session.commit()
    session["sid"] = sid
    session["uid"] = user.id
    session["sv"] = user.session_version
    session.permanent = True
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    user = current_user()
    if user is not None:
        audit(db.session, user.name, "logout")
        sid = session.get("sid")
        if isinstance(sid, str):
            accounts.close_session(db.session, sid)
        db.session.commit()
    session.clear()
    return redirect(url_for("public.home"))


STAFF_BLUEPRINTS = frozenset({"auth", "staff", "staff_import", "staff_settings", "share_staff", "word"})
"""Blueprints whose pages carry staff data (drafts, accounts, audit, forms with tokens)."""


def _no_store(response: Response) -> Response:
    """Staff pages are kept by no browser or proxy cache: a shared office computer's back button, or a
    proxy, must not show them to the next person. (Public pages are the same for everyone.)"""
    if request.blueprint in STAFF_BLUEPRINTS:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """CSRF for every POST, the current user on every request, secure session cookies."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    site = app.config.get("CASEBOOK_SITE_URL") or ""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=site.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    csrf.init_app(app)
    app.before_request(_load_user)
    app.before_request(_csrf_guard)
    app.after_request(_no_store)
    app.register_error_handler(OperationalError, _busy)
    app.jinja_env.globals["current_user"] = current_user
    app.register_blueprint(bp)
