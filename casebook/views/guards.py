"""Request guards: the current staff user, role checks, CSRF with form recovery, a busy database.

Every POST is checked for a CSRF token (Flask-WTF). A view marked with ``@recoverable(fn)``
does not lose the user's typing when its token has expired: ``fn`` renders the form again from
the posted values with a fresh token and a message, and nothing is saved.

The recovered form is the view's own page (an account list, a draft under review), so it is shown
only to someone the view's role check lets in: the role check runs first, on the CSRF failure path
as on the normal one. Someone logged out gets 401 and a page holding only what they typed (to copy);
a lower role gets 403. ``@recoverable`` therefore sits above ``@require(role)`` — or says
``public=True`` for a form anyone may see (the login form).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import RequestEntityTooLarge

from ..db import db
from ..diskspace import DISK_FULL, is_disk_full
from ..staff import accounts
from ..staff.models import User

csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
Recover = Callable[[str], ResponseReturnValue]

EXPIRED = "页面已过期（超过有效时间或已在别处退出登录），内容尚未保存。您填写的内容都在下面，请再次提交。"
LOGGED_OUT = (
    "登录已失效，内容尚未保存。您填写的文字都在下面，请先复制保存；然后重新登录，回到原来的页面粘贴后再提交"
    "（编辑器还会在这台电脑上留一份草稿，重新打开时可以恢复）。"
)
BUSY = "数据库正忙（可能正在后台同步或重建），内容尚未保存。您填写的内容都在下面，请稍后再次提交。"
NOT_KEPT = frozenset({"csrf_token", "password", "base", "version", "action"})
"""Posted fields not shown on the logged-out page: tokens, versions and passwords are no typing to keep."""
FIELD_LABELS = {"title": "标题", "body": "正文", "comment": "意见", "text": "内容", "name": "用户名", "slug": "网址名"}


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def load_user() -> None:
    """``before_request``: the account of this browser's login session, or None."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    user = accounts.session_user(db.session, uid, session.get("sid"))
    if user is None or not user.active or session.get("sv") != user.session_version:
        session.clear()
        return
    g.user = user


def client_address() -> str:
    """The client's address: ``remote_addr``, which ProxyFix sets from X-Forwarded-For only when
    CASEBOOK_PROXY_COUNT says how many proxies to believe (otherwise a client could forge it)."""
    address = (request.remote_addr or "")[:64]
    forwarded = "X-Forwarded-For" in request.headers and not current_app.config["CASEBOOK_PROXY_COUNT"]
    if forwarded and not current_app.extensions.get("casebook.warned_forwarded"):
        current_app.extensions["casebook.warned_forwarded"] = True
        current_app.logger.warning(
            "X-Forwarded-For arrives but CASEBOOK_PROXY_COUNT=0: it is ignored, and if a proxy sends it, every "
            "client shares the proxy's address %s for login limits and the audit log",
            address,
        )
    return address


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


def refusal(role: str, recoverable: bool = False) -> ResponseReturnValue | None:
    """What a view needing ``role`` answers this request when its user may not use it, else None."""
    user = current_user()
    if user is None:
        if request.method == "POST" and recoverable and not _wants_json():
            return _kept_page(), 401
        if _wants_json():
            return {"error": "登录已失效，请在新窗口中重新登录后再试；本页内容不会丢失"}, 401
        if request.method == "POST":
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not accounts.can(user.role, role):
        abort(403)
    return None


def _kept_page() -> str:
    """The logged-out answer to a form: only the text this request carried, to copy — nothing stored."""
    kept = [
        (FIELD_LABELS.get(key, key), value)
        for key, value in request.form.items(multi=True)
        if key not in NOT_KEPT and value.strip()
    ]
    back = _same_site_referrer()
    return render_template(
        "errors/logged_out.html",
        message=LOGGED_OUT,
        kept=kept,
        login=url_for("auth.login", next=back) if back else url_for("auth.login"),
    )


def require(role: str = "editor") -> Callable[[F], F]:
    """Only logged-in, active users with at least ``role``; others go to the login page."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            refused = refusal(role, getattr(guarded, "recover", None) is not None)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return wrap


def recoverable(recover: Recover, *, public: bool = False) -> Callable[[F], F]:
    """Mark a form view: on an expired token, ``recover(reason)`` re-renders its form.

    Goes above ``@require(role)``: the form is recovered only for users that role lets in.
    ``public=True`` marks a form anyone may be shown (the login form).
    """

    def mark(view: F) -> F:
        if not public and getattr(view, "required_role", None) is None:
            raise TypeError(
                f"@recoverable on {view.__name__} must sit above @require(role) (or say public=True): "
                "its recovered form must never reach someone the view refuses"
            )
        view.recover = recover  # type: ignore[attr-defined]
        view.recover_public = public  # type: ignore[attr-defined]
        return view

    return mark


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


def _view() -> Any:
    return current_app.view_functions.get(request.endpoint or "")


def _recover_for(view: Any) -> Recover | None:
    """The view's form recovery, when this request's user may see that form (after its role check)."""
    recover: Recover | None = getattr(view, "recover", None)
    if recover is None or getattr(view, "recover_public", False):
        return recover
    user, role = current_user(), getattr(view, "required_role", None)
    return recover if user is not None and role is not None and accounts.can(user.role, role) else None


def csrf_guard() -> ResponseReturnValue | None:
    """``before_request``: a POST without a valid token is refused — by the view's role check first."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    try:
        csrf.protect()
    except RequestEntityTooLarge:
        if request.accept_mimetypes.best == "application/json":
            return {"error": "文件太大：图片不能超过 15 MB"}, 413
        raise
    except CSRFError:
        view = _view()
        role: str | None = getattr(view, "required_role", None)
        if role is not None:
            refused = refusal(role, getattr(view, "recover", None) is not None)
            if refused is not None:
                return refused
        recover = _recover_for(view)
        if recover is not None:
            return recover(EXPIRED)
        if _wants_json():
            return {"error": "页面已过期，请刷新后重试"}, 400
        return render_template("errors/expired.html", back=_same_site_referrer()), 400
    return None


def busy(exc: OperationalError) -> ResponseReturnValue:
    """The database stayed locked past its timeout: a form comes back filled in, nothing is half-saved
    (services roll back and put files back); a full disk gets 507 (``disk_full``); anything else
    gets a plain 503 page."""
    if is_disk_full(exc):
        return disk_full(exc)
    if not _locked(exc):
        raise exc  # a real fault (a missing table, a lost server): the usual 500 page
    db.session.rollback()
    current_app.logger.warning("database busy at %s: %s", request.path, exc)
    recover = _recover_for(_view())
    if recover is not None and request.method == "POST":
        response = current_app.make_response(recover(BUSY))
        response.status_code = 503
        return response
    if _wants_json():
        return {"error": "数据库正忙，请稍后重试"}, 503
    return render_template("errors/error.html", code=503, busy=True), 503


DISK_FULL_FORM = (
    f"{DISK_FULL}，内容尚未保存（文件保持原样）。您填写的内容都在下面；请联系管理员清理服务器磁盘空间后再次提交。"
)
INSUFFICIENT_STORAGE = 507


def disk_full(exc: BaseException) -> ResponseReturnValue:
    """The reply to a request that found the disk full (507): services leave nothing half-written,
    so a staff form comes back filled in with the message — for a user the view's role check admits."""
    db.session.rollback()
    current_app.logger.error("disk full at %s: %s", request.path, exc)
    recover = _recover_for(_view())
    if recover is not None and request.method == "POST":
        response = current_app.make_response(recover(DISK_FULL_FORM))
        response.status_code = INSUFFICIENT_STORAGE
        return response
    if _wants_json():
        return {"error": f"{DISK_FULL}，未能保存；请联系管理员清理服务器磁盘空间"}, INSUFFICIENT_STORAGE
    return render_template("errors/error.html", code=INSUFFICIENT_STORAGE, disk_full=True), INSUFFICIENT_STORAGE


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
