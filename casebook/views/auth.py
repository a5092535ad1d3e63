"""Logging in and out, the session cookie, and the request guards (``guards.py``) put in place.

``current_user``, ``require``, ``recoverable`` and ``staff_only`` live in ``guards.py`` and are
re-exported here, where the view modules have always imported them from.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from ..db import db
from ..staff import accounts
from ..staff.models import audit
from .guards import busy, client_address, csrf, csrf_guard, current_user, load_user, recoverable, require, staff_only

__all__ = ["bp", "current_user", "init_app", "recoverable", "require", "safe_next", "staff_only"]

bp = Blueprint("auth", __name__)
SESSION_LIFETIME = accounts.SESSION_LIFETIME


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


REFUSED = {
    "name": "尝试次数过多，请 {minutes} 分钟后再试。",
    "address": (
        "这个网络地址的登录失败次数过多，请 {minutes} 分钟后再试。"
        "同一网络（例如同一间办公室）的其他人这段时间也无法登录。"
    ),
}


def _recover_login(reason: str) -> ResponseReturnValue:
    return _login_form("页面已过期，请重新输入密码后登录。")


@bp.route("/login", methods=["GET", "POST"])
@recoverable(_recover_login, public=True)
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return _login_form()
    name = request.form.get("name", "")[:200]
    password = request.form.get("password", "")[: accounts.MAX_PASSWORD]
    result = accounts.login(db.session, name, password, client_address())
    db.session.commit()
    if result.refusal is not None:
        wait = result.refusal.retry_after
        message = REFUSED[result.refusal.by].format(minutes=(wait + 59) // 60)
        response = current_app.make_response(_login_form(message, 429, retry_after=wait))
        response.headers["Retry-After"] = str(wait)
        return response
    if result.user is None:
        return _login_form("用户名或密码不正确。")
    user = result.user
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


STAFF_BLUEPRINTS = frozenset(
    {"auth", "staff", "staff_import", "staff_settings", "share_staff", "word", "staff_proposals"}
)
"""Blueprints whose pages carry staff data (drafts, accounts, audit, forms with tokens)."""


def _no_store(response: Response) -> Response:
    """Staff pages are kept by no browser or proxy cache: a shared office computer's back button, or a
    proxy, must not show them to the next person. (Public pages are the same for everyone.)"""
    if request.blueprint in STAFF_BLUEPRINTS:
        response.headers["Cache-Control"] = "no-store"
    return response


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie session, named ``__Host-session`` on https: a browser then accepts it only
    with Secure, Path=/ and no Domain, so no other host (a sibling subdomain) and no plain-http page can
    set or overwrite it. Https is the site URL's scheme, or the request's own (behind trusted proxies,
    X-Forwarded-Proto through ProxyFix)."""

    def _https(self, app: Flask) -> bool:
        site = str(app.config.get("CASEBOOK_SITE_URL") or "")
        return site.startswith("https://") or (has_request_context() and request.is_secure)

    def get_cookie_name(self, app: Flask) -> str:
        name = super().get_cookie_name(app)
        return f"__Host-{name}" if self._https(app) else name

    def get_cookie_secure(self, app: Flask) -> bool:
        return self._https(app) or super().get_cookie_secure(app)

    def get_cookie_path(self, app: Flask) -> str:
        return "/" if self._https(app) else super().get_cookie_path(app)

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None if self._https(app) else super().get_cookie_domain(app)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """A session this request changed is always sent; an unchanged one is refreshed (its expiry moved
        on) by page loads (GET) only. A background POST (the editor's preview, autosave, an upload) that
        left before a form's redirect would otherwise answer after it with the session as it was then,
        overwriting what the redirect stored — the 已提交审核 message of the page it leads to."""
        if session.modified:
            return True
        refresh = bool(session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"])
        return refresh and has_request_context() and request.method == "GET"


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
    app.session_interface = SessionCookie()
    csrf.init_app(app)
    app.before_request(load_user)
    app.before_request(csrf_guard)
    app.after_request(_no_store)
    app.register_error_handler(OperationalError, busy)
    app.jinja_env.globals["current_user"] = current_user
    app.register_blueprint(bp)
