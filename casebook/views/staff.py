"""The staff area: dashboard, editor with preview, read-only view, uploads. Routes of the ``staff``
blueprint (``staff_common``); the review loop is in ``staff_review``, accounts and the audit log in
``staff_accounts``, settings in ``staff_settings`` (``create_app`` imports the route modules before it
registers the blueprint). Thin: ``casebook.staff`` services do the work.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flask import Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from .. import catalog, content, queries
from ..content.lint import lint_body
from ..db import db
from ..render import render_markdown
from ..staff import dashboard as staff_dashboard
from ..staff import diffs, editing, review
from ..staff import preview as staff_preview
from ..staff.kinds import PROJECT_GROUPS, PROJECT_ROWS, kind_of, row_indexes
from ..staff.models import audit
from .auth import current_user, recoverable, require
from .staff_common import EDIT_KINDS, bp, flash_outcome, is_reviewer, kind_or_404, me
from .workspace import workspace

__all__ = ["bp"]
logger = logging.getLogger(__name__)
PREVIEW_LIMIT = 400_000
UPLOAD_SLOTS = threading.BoundedSemaphore(2)
"""Pictures decoded at once per process: a 50-megapixel PNG needs ~200 MB while it is resized."""


# --- dashboard ---------------------------------------------------------------------------------


@bp.get("/")
@require("editor")
def dashboard() -> ResponseReturnValue:
    board = staff_dashboard.dashboard(db.session, me().name)
    return render_template(
        "staff/dashboard.html",
        my_drafts=board.my_drafts,
        waiting=board.waiting,
        returned_to_me=board.returned_to_me,
        needs_changes=board.needs_changes,
        recent=board.recent,
        topics=board.topics,
        matrix=board.matrix,
        problems=board.problems,
        misses=board.misses,
        miss_days=board.miss_days,
        title="工作台",
    )


@bp.get("/entries")
@require("editor")
def entries() -> ResponseReturnValue:
    status = request.args.get("status", "")
    needs_changes = set(review.open_returns(db.session))
    rows = staff_dashboard.all_items(db.session, status, needs_changes)
    return render_template(
        "staff/entries.html", rows=rows, status=status, needs_changes=needs_changes, title="全部内容"
    )


# --- editor ------------------------------------------------------------------------------------


def _places() -> dict[str, tuple[str, ...]]:
    rules, _ = content.load_rules(Path(current_app.config["CASEBOOK_CONTENT_DIR"]))
    return rules.places


def _editor(
    kind: str,
    slug: str | None,
    values: dict[str, str],
    base: str,
    *,
    outcome: editing.Outcome | None = None,
    message: str = "",
    status: str = "draft",
    pending: bool = False,
    code: int = 200,
) -> ResponseReturnValue:
    topics = queries.topics(db.session)
    conflict = None
    if outcome is not None and outcome.conflict_text is not None:
        conflict = {
            "text": outcome.conflict_text,
            "diff": diffs.compare(kind, outcome.conflict_text, editing.form_text(kind, values)),
            "base": editing.version_of(outcome.conflict_text),
        }
    return (
        render_template(
            "staff/editor.html",
            kind=kind,
            slug=slug,
            values=values,
            base=conflict["base"] if conflict else base,
            fields=editing.fields_for(kind) if kind != "project" else [],
            rows={group: _rows(values, group) for group in PROJECT_ROWS} if kind == "project" else {},
            row_keys=PROJECT_ROWS,
            groups=PROJECT_GROUPS,
            topics=topics,
            places=_places(),
            errors=outcome.errors if outcome else {},
            conflict=conflict,
            message=message,
            status=status,
            pending=pending,
            reviewer=is_reviewer() if current_user() else False,
            kind_name=EDIT_KINDS[kind],
            hints=content.SECTION_HINTS.get(kind, ()),
            warnings=body_warnings(values.get("body", "")),
            title=("编辑：" + values.get("title", "")) if slug else f"新建{EDIT_KINDS[kind]}",
        ),
        code,
    )


def _rows(values: dict[str, str], group: str, blank: int = 2) -> list[int]:
    """Row numbers to show for a repeatable group: the filled ones, then ``blank`` empty ones."""
    used = row_indexes(values, group)
    start = (used[-1] + 1) if used else 0
    return [*used, *range(start, start + blank)]


def _posted() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in ("csrf_token", "base", "action")}


def _recover_editor(reason: str) -> ResponseReturnValue:
    kind = (request.view_args or {}).get("kind", "case")
    if kind not in EDIT_KINDS:
        abort(404)
    slug = (request.view_args or {}).get("slug")
    values = _posted()
    if slug is None and request.form.get("slug"):
        values["slug"] = request.form["slug"]
    return _editor(kind, slug, values, request.form.get("base", ""), message=reason, code=400)


@bp.route("/new/<kind>", methods=["GET", "POST"])
@recoverable(_recover_editor)
@require("editor")
def new(kind: str) -> ResponseReturnValue:
    kind_or_404(kind)
    if request.method == "GET":
        values = kind_of(kind).blank(request.args, dt.date.today().isoformat())
        values["slug"] = ""
        return _editor(kind, None, values, "")
    values = _posted()
    slug = (request.form.get("slug") or "").strip() or content.slugify(values.get("title", ""))
    outcome = editing.save(
        workspace(),
        db.session,
        kind=kind,
        slug=slug,
        form=values,
        base="",
        user=me().name,
        action=_action(),
        may_publish=is_reviewer(),
        new=True,
    )
    if not outcome.ok:
        return _editor(kind, None, values, "", outcome=outcome, code=422)
    flash_outcome(outcome)
    return redirect(url_for("staff.edit", kind=kind, slug=slug, saved=1))


def _action() -> str:
    action = request.form.get("action", "save")
    return action if action in ("save", "submit", "publish") else "save"


@bp.route("/edit/<kind>/<slug>", methods=["GET", "POST"])
@recoverable(_recover_editor)
@require("editor")
def edit(kind: str, slug: str) -> ResponseReturnValue:
    kind_or_404(kind, slug)
    ws = workspace()
    session = db.session
    text = editing.working_text(ws, session, kind, slug)
    if text is None and request.method == "GET":
        abort(404)  # (a POST goes on: save() reports the missing file and the form keeps the text)
    pending = editing.pending_revision(session, kind, slug) is not None
    file_status = editing.status_of(editing.file_text(editing.file_path(ws, session, kind, slug)) or "")
    if request.method == "GET":
        assert text is not None
        entry = editing.parse(ws, session, kind, slug, text)
        if entry is None:
            flash("这个文件有内容问题，编辑器无法读取；请先按控制台列出的问题修正文件。", "warn")
            return redirect(url_for("staff.dashboard"))
        return _editor(
            kind, slug, kind_of(kind).values(entry), editing.version_of(text), status=file_status, pending=pending
        )
    values = _posted()
    outcome = editing.save(
        ws,
        session,
        kind=kind,
        slug=slug,
        form=values,
        base=request.form.get("base", ""),
        user=me().name,
        action=_action(),
        may_publish=is_reviewer(),
        new=False,
    )
    if not outcome.ok:
        code = 409 if outcome.conflict_text is not None else 422
        return _editor(
            kind,
            slug,
            values,
            request.form.get("base", ""),
            outcome=outcome,
            status=file_status,
            pending=pending,
            code=code,
        )
    flash_outcome(outcome)
    return redirect(url_for("staff.edit", kind=kind, slug=slug, saved=1))


@bp.post("/preview")
@require("editor")
def preview() -> ResponseReturnValue:
    """The editor's form as the public page's article (for the live preview), with the 提示 it would get.

    The editor sends every field and ``kind``; a request with only ``body`` (or for a 民生实事
    project) gets the body alone, rendered by the public renderer and sanitizer.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):  # a JSON list, string or number is not a form: nothing of it is used
        data = {}
    values = {str(k): str(v)[:PREVIEW_LIMIT] for k, v in data.items() if isinstance(v, (str, int, float))}
    body = values.get("body", request.form.get("body", ""))[:PREVIEW_LIMIT]
    warnings = body_warnings(body)
    kind = values.get("kind", "")
    if kind not in content.KINDS:
        return {"html": render_markdown(body), "warnings": warnings}
    rules, _ = content.load_rules(Path(current_app.config["CASEBOOK_CONTENT_DIR"]))
    entry, notes = staff_preview.entry_from_form(kind, values, rules, dt.date.today())
    if entry is None:
        return {"html": render_markdown(body), "warnings": warnings + notes}
    html = render_template(
        "public/_article.html", entry=catalog.preview_row(entry), topic=queries.get_topic(db.session, entry.topic)
    )
    return {"html": html, "warnings": warnings + notes}


def body_warnings(body: str) -> list[str]:
    """The 提示 that ``casebook check`` would give for this body, as the editor shows them."""
    return [f"正文第 {p.line} 行：{p.message}" for p in lint_body(body.replace("\r\n", "\n"), Path("-"))]


@bp.get("/view/<kind>/<slug>")
@require("editor")
def view(kind: str, slug: str) -> ResponseReturnValue:
    """Any entry in any status, as the public would see it (the same article template), with its status badge."""
    kind_or_404(kind, slug)
    ws = workspace()
    text = editing.working_text(ws, db.session, kind, slug)
    if text is None:
        abort(404)
    entry = editing.parse(ws, db.session, kind, slug, text)
    if entry is None:
        abort(404)
    pending = editing.pending_revision(db.session, kind, slug) is not None
    returned = not pending and editing.returned_revision(db.session, kind, slug) is not None
    return render_template(
        "staff/view.html",
        returned=returned,
        entry=catalog.preview_row(entry) if kind in content.KINDS else entry,
        kind=kind,
        html=render_markdown(entry.body) if kind in ("project", "learning") else "",
        topic=queries.get_topic(db.session, entry.topic) if kind in content.KINDS else None,
        pending=pending,
        kind_name=EDIT_KINDS[kind],
        title="预览：" + (entry.title or slug),
    )


# --- review, status, history: staff_review.py; accounts, audit log: staff_accounts.py ------------


T = TypeVar("T")

# --- uploads -----------------------------------------------------------------------------------


def _stored_upload(
    too_large: str, missing: str, store: Callable[[FileStorage], T], rejected: type[Exception]
) -> T | Response:
    """The posted ``file`` handed to ``store`` in one of the upload slots, or the JSON refusal: too
    large (413), none chosen (400), the server busy (503) or ``rejected`` by ``store`` (422, its message)."""
    try:
        file = request.files.get("file")
    except RequestEntityTooLarge:
        return make_response({"error": too_large}, 413)
    if file is None or not file.filename:
        return make_response({"error": missing}, 400)
    if not UPLOAD_SLOTS.acquire(timeout=60):
        return make_response({"error": "服务器正忙，请稍后再上传"}, 503)
    try:
        return store(file)
    except rejected as exc:
        return make_response({"error": str(exc)}, 422)
    finally:
        UPLOAD_SLOTS.release()


@bp.post("/upload")
@require("editor")
def upload() -> ResponseReturnValue:
    from ..images import MAX_BYTES, ImageRejected, store_upload

    alt = (request.form.get("alt") or "").strip()[:200]
    media = Path(current_app.config["CASEBOOK_CONTENT_DIR"]) / "media"
    stored = _stored_upload(
        "文件太大：图片不能超过 15 MB",
        "请选择一张图片",
        lambda file: store_upload(file.read(MAX_BYTES + 1), file.filename or "", media, alt=alt),
        ImageRejected,
    )
    if isinstance(stored, Response):
        return stored
    audit(db.session, me().name, "upload", stored.path, stored.original_name)
    db.session.commit()
    return {
        "path": stored.path,
        "url": url_for("public.media", path=stored.path),
        "markdown": stored.markdown,
        "name": stored.original_name,
        "width": stored.width,
        "height": stored.height,
    }


@bp.post("/upload-attachment")
@require("editor")
def upload_attachment() -> ResponseReturnValue:
    """A PDF, DOCX or XLSX for an entry's attachments: checked by content, stored, its line returned."""
    from ..attachments import AttachmentRejected, size_label, store

    limit = int(current_app.config["CASEBOOK_ATTACHMENT_MAX_BYTES"])
    media = Path(current_app.config["CASEBOOK_CONTENT_DIR"]) / "media"
    received = _stored_upload(
        f"文件太大：附件不能超过 {size_label(limit)}",
        "请选择一个 PDF、Word（.docx）或 Excel（.xlsx）文件",
        lambda file: (store(file.read(limit + 1), file.filename or "", media, max_bytes=limit), file.filename or ""),
        AttachmentRejected,
    )
    if isinstance(received, Response):
        return received
    stored, name = received
    audit(db.session, me().name, "upload", stored.path, name[:200])
    db.session.commit()
    return {
        "path": stored.path,
        "title": stored.title,
        "line": stored.line,
        "type": stored.ext,
        "size": size_label(stored.size),
    }
