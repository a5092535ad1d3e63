"""Bringing material in: ``/staff/import`` (a file → a draft in the editor), ``/staff/convert``
(rich or plain text pasted into the editor → Markdown, and the 整理格式 button), and the
import report of a draft."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from .. import content, convert, importing, queries
from ..db import db
from ..staff import queries as staff_queries
from ..staff.models import AuditEvent, audit
from .auth import current_user, recoverable, require
from .workspace import workspace

bp = Blueprint("staff_import", __name__, url_prefix="/staff")
UPLOAD_LIMIT = importing.MAX_FILE_BYTES + 1024 * 1024
"""A request to /staff/import may carry a 50 MB file (the app's default cap is lower)."""
CONVERT_LIMIT = 4_000_000
"""Characters of pasted HTML or text: Word puts ~50 KB of markup on the clipboard per page."""
PASTE_PICTURES = 20
"""Pictures stored from one paste (a 公众号 article), fetched within 20 seconds."""
FIELDS = ("kind", "topic", "title", "scope", "slug")


def _user() -> str:
    user = current_user()
    assert user is not None
    return user.name


def _form(
    values: dict[str, str], errors: dict[str, list[str]] | None = None, message: str = "", code: int = 200
) -> ResponseReturnValue:
    topics = queries.topics(db.session)
    return (
        render_template(
            "staff/import.html",
            values=values,
            errors=errors or {},
            message=message,
            topics=topics,
            max_mb=importing.MAX_FILE_BYTES // 1024 // 1024,
            title="导入材料",
        ),
        code,
    )


def _typed() -> dict[str, str]:
    return {key: (request.form.get(key) or "").strip() for key in FIELDS}


def _recover(reason: str) -> ResponseReturnValue:
    return _form(_typed(), message=reason + " 文件需要重新选择。", code=400)


@bp.route("/import", methods=["GET", "POST"])
@recoverable(_recover)
@require("editor")
def upload() -> ResponseReturnValue:
    if request.method == "GET":
        return _form({"kind": request.args.get("kind", "interview"), "topic": request.args.get("topic", "")})
    values = _typed()
    file = request.files.get("file")
    data = file.read(importing.MAX_FILE_BYTES + 1) if file is not None else b""
    if len(data) > importing.MAX_FILE_BYTES:
        return _form(values, {"file": [importing.too_big(len(data))]}, code=413)
    result = importing.import_upload(
        workspace(),
        db.session,
        data=data,
        filename=(file.filename if file is not None else "") or "",
        kind=values["kind"],
        topic=values["topic"],
        title=values["title"],
        scope=values["scope"],
        slug=values["slug"],
        user=_user(),
        hosts=current_app.config["CASEBOOK_IMPORT_IMAGE_HOSTS"],
        today=dt.date.today(),
    )
    if not result.ok:
        again = "未导入。请改正后重新选择文件再提交（浏览器不会保留已选的文件）。" if data else "未导入。"
        return _form(values, result.errors, again, code=422)
    flash(result.message, "ok")
    if result.index_warning:
        flash(result.index_warning, "warn")
    return redirect(url_for("staff.edit", kind=result.kind, slug=result.slug, saved=1, imported=result.event_id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    if request.endpoint == "staff_import.convert":
        return {"error": "粘贴的内容太大，请分几次粘贴"}, 413
    return _form({}, {"file": [f"文件太大：导入的文件最大 {importing.MAX_FILE_BYTES // 1024 // 1024} MB。"]}, code=413)


def _report_event(event_id: int) -> AuditEvent:
    event = staff_queries.audit_event(db.session, event_id)
    if event is None or event.action != "import":
        abort(404)
    return event


@bp.get("/import/report/<int(max=9223372036854775807):event_id>")
@require("editor")
def report(event_id: int) -> ResponseReturnValue:
    event = _report_event(event_id)
    kind, _, slug = event.target.partition("/")
    return render_template(
        "staff/import_report.html", event=event, kind=kind, slug=slug, lines=event.detail.splitlines(), title="导入报告"
    )


@bp.get("/import/report/<int(max=9223372036854775807):event_id>.json")
@require("editor")
def report_json(event_id: int) -> ResponseReturnValue:
    event = _report_event(event_id)
    return {"target": event.target, "report": event.detail.splitlines(), "url": url_for(".report", event_id=event_id)}


@bp.post("/convert")
@require("editor")
def convert_paste() -> ResponseReturnValue:
    """Pasted rich text ``{"html"}``, plain text ``{"text"}`` or a body to tidy ``{"tidy"}`` → Markdown."""
    data: Any = request.get_json(silent=True)
    if not isinstance(data, dict):
        return {"error": "请求格式不对"}, 400
    for key in ("html", "text", "tidy"):
        value = data.get(key)
        if isinstance(value, str):
            break
    else:
        return {"error": "没有可转换的内容"}, 400
    if len(value) > CONVERT_LIMIT:
        return {"error": "粘贴的内容太大，请分几次粘贴"}, 413
    if key == "tidy":
        return {"markdown": convert.tidy(value), "report": []}
    places = content.load_rules(Path(current_app.config["CASEBOOK_CONTENT_DIR"]))[0].places
    try:
        if key == "text":
            result = convert.from_text(value, places=places, extract_meta=False)
        else:
            result = convert.from_html(value, places=places, extract_meta=False)
    except convert.ConvertError as exc:  # the editor then pastes the plain text, as a paste would
        return {"error": exc.message}, 422
    markdown, notes = result.markdown, result.report
    if result.pictures:
        hosts = frozenset(current_app.config["CASEBOOK_IMPORT_IMAGE_HOSTS"])
        media = Path(current_app.config["CASEBOOK_CONTENT_DIR"]) / "media"
        rules = importing.PictureRules(hosts, limit=PASTE_PICTURES, budget=20.0)
        markdown, more, stored = importing.store_pictures(result, media, rules)
        notes = [*notes, *more]
        if stored:
            audit(db.session, _user(), "upload", stored[0].path, f"粘贴时保存 {len(stored)} 张图片")
            db.session.commit()
    return {"markdown": markdown, "report": notes}


def _raise_limit() -> None:
    """Let /staff/import take a 50 MB file (an attachment upload its own limit); runs before the CSRF check."""
    if request.endpoint == "staff_import.upload":
        request.max_content_length = UPLOAD_LIMIT
    elif request.endpoint == "staff.upload_attachment":  # an attachment may be CASEBOOK_ATTACHMENT_MAX_MB
        limit = int(current_app.config["CASEBOOK_ATTACHMENT_MAX_BYTES"]) + 1024 * 1024
        request.max_content_length = max(limit, int(current_app.config["MAX_CONTENT_LENGTH"]))


def init_app(app: Flask) -> None:
    """Register the blueprint and its larger request limit."""
    app.before_request_funcs.setdefault(None, []).insert(0, _raise_limit)
    app.register_blueprint(bp)
