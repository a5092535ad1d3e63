"""A full disk answers 507 with one Chinese sentence, never a bare 500; a staff form comes back filled in.

Services leave nothing half-written (a save puts its file back and rolls back), so all that is
left to do here is to say so: the view's ``recover`` (the same one an expired token uses) renders
its form again from the posted values, with the message.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue

from ..db import db
from ..diskspace import DISK_FULL, is_disk_full

FORM_MESSAGE = (
    f"{DISK_FULL}，内容尚未保存（文件保持原样）。您填写的内容都在下面；请联系管理员清理服务器磁盘空间后再次提交。"
)
INSUFFICIENT_STORAGE = 507


def disk_full(exc: BaseException) -> ResponseReturnValue:
    """The reply to a request that found the disk full (507)."""
    db.session.rollback()
    current_app.logger.error("disk full at %s: %s", request.path, exc)
    view = current_app.view_functions.get(request.endpoint or "")
    recover = getattr(view, "recover", None)
    if recover is not None and request.method == "POST":
        response = current_app.make_response(recover(FORM_MESSAGE))
        response.status_code = INSUFFICIENT_STORAGE
        return response
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return {"error": f"{DISK_FULL}，未能保存；请联系管理员清理服务器磁盘空间"}, INSUFFICIENT_STORAGE
    return render_template("errors/error.html", code=INSUFFICIENT_STORAGE, disk_full=True), INSUFFICIENT_STORAGE


def _os_error(exc: OSError) -> ResponseReturnValue:
    if not is_disk_full(exc):
        raise exc  # any other OS error: the usual 500 page
    return disk_full(exc)


def init_app(app: Flask) -> None:
    """A full disk met by a write (``OSError``); the database's own "disk is full" goes through
    ``auth._busy``, the handler of ``OperationalError``."""
    app.register_error_handler(OSError, _os_error)
