"""The staff area: dashboard, editor with preview, review, history, accounts, audit log (settings: staff_settings)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

import yaml
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from .. import catalog, content
from ..content.lint import lint_body
from ..db import db
from ..models import EntryRow, ProblemRow, SearchMiss, TopicRow
from ..project_rows import ProjectRow
from ..render import render_markdown
from ..staff import accounts, diffs, editing, review
from ..staff import preview as staff_preview
from ..staff.kinds import PROJECT_GROUPS, PROJECT_ROWS, kind_of, row_indexes
from ..staff.models import AuditEvent, Revision, User, action_name, audit
from ..web import KIND_NAMES
from .auth import current_user, recoverable, require
from .workspace import workspace

bp = Blueprint("staff", __name__, url_prefix="/staff")
logger = logging.getLogger(__name__)
STATUS_NAMES = {"draft": "草稿", "submitted": "待审核", "published": "已发布"}
EDIT_KINDS = {**KIND_NAMES, "project": "民生实事"}
"""Everything the editor can write: entries and 民生实事 projects."""
PREVIEW_LIMIT = 400_000
UPLOAD_SLOTS = threading.BoundedSemaphore(2)
"""Pictures decoded at once per process: a 50-megapixel PNG needs ~200 MB while it is resized."""


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def _kind_or_404(kind: str, slug: str | None = None) -> str:
    """404 for an unknown kind, or a slug no entry can have (it would only become a bad file name)."""
    if kind not in EDIT_KINDS or (slug is not None and not content.SLUG_RE.match(slug)):
        abort(404)
    return kind


def _is_reviewer() -> bool:
    return accounts.can(_me().role, "reviewer")


@bp.record_once
def _staff_globals(state: Any) -> None:
    state.app.jinja_env.globals.update(
        STATUS_NAMES=STATUS_NAMES, ROLE_NAMES=accounts.ROLE_NAMES, EDIT_KINDS=EDIT_KINDS, action_name=action_name
    )


# --- dashboard ---------------------------------------------------------------------------------


@bp.get("/")
@require("editor")
def dashboard() -> ResponseReturnValue:
    session = db.session
    me = _me()
    mine = select(Revision.kind, Revision.slug).where(Revision.author == me.name)
    my_drafts = session.scalars(
        select(EntryRow)
        .where(EntryRow.status != "published", EntryRow.id.in_(_keyed(mine)))
        .order_by(EntryRow.date.desc())
        .limit(50)
    ).all()
    my_projects = select(Revision.slug).where(Revision.author == me.name, Revision.kind == "project")
    my_drafts = [
        *my_drafts,
        *session.scalars(
            select(ProjectRow).where(ProjectRow.status != "published", ProjectRow.slug.in_(my_projects)).limit(50)
        ),
    ]
    waiting = _waiting(session)
    returns = review.open_returns(session)
    returned_to_me = [
        {"kind": c.kind, "slug": c.slug, "title": review.title_of(session, c), "comment": c}
        for c in returns.values()
        if c.addressed_to == me.name
    ]
    recent = session.scalars(select(Revision).order_by(Revision.id.desc()).limit(15)).all()
    topics = session.scalars(select(TopicRow).order_by(TopicRow.number)).all()
    matrix: dict[str, dict[int, dict[str, int]]] = {}
    for topic, part, status, count in session.execute(
        select(EntryRow.topic, EntryRow.part, EntryRow.status, func.count()).group_by(
            EntryRow.topic, EntryRow.part, EntryRow.status
        )
    ):
        matrix.setdefault(topic, {}).setdefault(part, {})[status] = count
    problems = session.scalars(select(ProblemRow).order_by(ProblemRow.path, ProblemRow.line).limit(200)).all()
    misses = session.scalars(select(SearchMiss).order_by(SearchMiss.count.desc()).limit(20)).all()
    return render_template(
        "staff/dashboard.html",
        my_drafts=my_drafts,
        waiting=waiting,
        returned_to_me=returned_to_me,
        needs_changes=set(returns),
        recent=recent,
        topics=topics,
        matrix=matrix,
        problems=problems,
        misses=misses,
        title="工作台",
    )


def _keyed(stmt: Any) -> Any:
    """Entry ids whose (kind, slug) appear in ``stmt``."""
    sub = stmt.subquery()
    return select(EntryRow.id).join(sub, (EntryRow.kind == sub.c.kind) & (EntryRow.slug == sub.c.slug))


def _waiting(session: Any) -> list[dict[str, Any]]:
    """Submitted entries and pending edits of published ones, oldest first (曾退回: returned since last published)."""
    items: list[dict[str, Any]] = []
    for row in session.scalars(select(EntryRow).where(EntryRow.status == "submitted").order_by(EntryRow.id)):
        items.append({"kind": row.kind, "slug": row.slug, "title": row.title, "what": "新内容待发布"})
    for project in session.scalars(select(ProjectRow).where(ProjectRow.status == "submitted").order_by(ProjectRow.id)):
        items.append({"kind": "project", "slug": project.slug, "title": project.title, "what": "新项目待发布"})
    pending = session.scalars(select(Revision).where(Revision.state == "pending").order_by(Revision.id))
    for rev in pending:
        items.append({"kind": rev.kind, "slug": rev.slug, "title": rev.title, "what": f"{rev.author} 的修改待发布"})
    returned_before = review.reworked_keys(session)
    for item in items:
        item["returned_before"] = (item["kind"], item["slug"]) in returned_before
    return items


@bp.get("/entries")
@require("editor")
def entries() -> ResponseReturnValue:
    status = request.args.get("status", "")
    needs_changes = set(review.open_returns(db.session))
    rows: list[Any] = []
    for model in (EntryRow, ProjectRow):
        stmt = select(model).order_by(model.date.desc(), model.id.desc())
        if status in STATUS_NAMES:
            stmt = stmt.where(model.status == status)
        rows.extend(db.session.scalars(stmt.limit(500)))
    if status == "returned":  # 需修改: returned to their editors, not reworked yet
        rows = [row for row in rows if (row.kind, row.slug) in needs_changes]
    rows.sort(key=lambda row: row.date, reverse=True)
    return render_template(
        "staff/entries.html", rows=rows[:500], status=status, needs_changes=needs_changes, title="全部内容"
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
    topics = db.session.scalars(select(TopicRow).order_by(TopicRow.number)).all()
    conflict = None
    if outcome is not None and outcome.conflict_text is not None:
        conflict = {
            "text": outcome.conflict_text,
            "diff": diffs.compare(kind, outcome.conflict_text, _text_from_values(kind, slug or "new", values)),
            "base": editing.version_of(outcome.conflict_text),
        }
    return (
        render_template(
            "staff/editor.html",
            kind=kind,
            slug=slug,
            values=values,
            base=conflict["base"] if conflict else base,
            fields=editing.fields_for(kind) if kind in content.KINDS else [],
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
            reviewer=_is_reviewer() if current_user() else False,
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


def _text_from_values(kind: str, slug: str, values: dict[str, str]) -> str:
    """The user's form as file-like text, for showing a conflict diff."""
    meta = kind_of(kind).front_matter(values, "draft")
    meta.pop("status", None)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n{values.get('body', '').strip()}\n"


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
    _kind_or_404(kind)
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
        user=_me().name,
        action=_action(),
        may_publish=_is_reviewer(),
        new=True,
    )
    if not outcome.ok:
        return _editor(kind, None, values, "", outcome=outcome, code=422)
    _flash(outcome)
    return redirect(url_for("staff.edit", kind=kind, slug=slug, saved=1))


def _action() -> str:
    action = request.form.get("action", "save")
    return action if action in ("save", "submit", "publish") else "save"


def _flash(outcome: editing.Outcome) -> None:
    if outcome.message:
        flash(outcome.message, "ok")
    if outcome.index_warning:
        flash(outcome.index_warning, "warn")


@bp.route("/edit/<kind>/<slug>", methods=["GET", "POST"])
@recoverable(_recover_editor)
@require("editor")
def edit(kind: str, slug: str) -> ResponseReturnValue:
    _kind_or_404(kind, slug)
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
        user=_me().name,
        action=_action(),
        may_publish=_is_reviewer(),
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
    _flash(outcome)
    return redirect(url_for("staff.edit", kind=kind, slug=slug, saved=1))


@bp.post("/preview")
@require("editor")
def preview() -> ResponseReturnValue:
    """The editor's form as the public page's article (for the live preview), with the 提示 it would get.

    The editor sends every field and ``kind``; a request with only ``body`` (or for a 民生实事
    project) gets the body alone, rendered by the public renderer and sanitizer.
    """
    data = request.get_json(silent=True) or {}
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
        "public/_article.html", entry=catalog.preview_row(entry), topic=db.session.get(TopicRow, entry.topic)
    )
    return {"html": html, "warnings": warnings + notes}


def body_warnings(body: str) -> list[str]:
    """The 提示 that ``casebook check`` would give for this body, as the editor shows them."""
    return [f"正文第 {p.line} 行：{p.message}" for p in lint_body(body.replace("\r\n", "\n"), Path("-"))]


@bp.get("/view/<kind>/<slug>")
@require("editor")
def view(kind: str, slug: str) -> ResponseReturnValue:
    """Any entry in any status, as the public would see it (the same article template), with its status badge."""
    _kind_or_404(kind, slug)
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
        html=render_markdown(entry.body) if kind == "project" else "",
        topic=db.session.get(TopicRow, entry.topic) if kind != "project" else None,
        pending=pending,
        kind_name=EDIT_KINDS[kind],
        title="预览：" + entry.title,
    )


# --- review, status, history: in staff_review.py (routes of this blueprint; create_app imports it) ---


# --- uploads -----------------------------------------------------------------------------------


@bp.post("/upload")
@require("editor")
def upload() -> ResponseReturnValue:
    from ..images import MAX_BYTES, ImageRejected, store_upload

    try:
        file = request.files.get("file")
    except RequestEntityTooLarge:
        return {"error": "文件太大：图片不能超过 15 MB"}, 413
    if file is None or not file.filename:
        return {"error": "请选择一张图片"}, 400
    alt = (request.form.get("alt") or "").strip()[:200]
    media = Path(current_app.config["CASEBOOK_CONTENT_DIR"]) / "media"
    if not UPLOAD_SLOTS.acquire(timeout=60):
        return {"error": "服务器正忙，请稍后再上传"}, 503
    try:
        stored = store_upload(file.read(MAX_BYTES + 1), file.filename, media, alt=alt)
    except ImageRejected as exc:
        return {"error": exc.message}, 422
    finally:
        UPLOAD_SLOTS.release()
    audit(db.session, _me().name, "upload", stored.path, stored.original_name)
    db.session.commit()
    return {
        "path": stored.path,
        "url": url_for("public.media", path=stored.path),
        "markdown": stored.markdown,
        "name": stored.original_name,
        "width": stored.width,
        "height": stored.height,
    }


# --- accounts and audit ------------------------------------------------------------------------


def _users_page(message: str = "", form: dict[str, str] | None = None, code: int = 200) -> tuple[str, int]:
    users = db.session.scalars(select(User).order_by(User.name_key)).all()
    return (
        render_template(
            "staff/users.html",
            users=users,
            roles=accounts.ROLES,
            message=message,
            form=form or {},
            title="账号管理",
        ),
        code,
    )


def _recover_users(reason: str) -> ResponseReturnValue:
    return _users_page(reason, {k: v for k, v in request.form.items() if k != "password"}, 400)


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
        return _users_page(str(exc), {k: v for k, v in request.form.items() if k != "password"}, 422)
    audit(db.session, _me().name, "user-add", user.name, user.role)
    db.session.commit()
    flash(f"已添加用户 {user.name}（{accounts.ROLE_NAMES[user.role]}）。", "ok")
    return redirect(url_for("staff.users"))


@bp.post("/users/<path:name>/<change>")  # a name may contain "/"
@require("admin")
def user_change(name: str, change: str) -> ResponseReturnValue:
    session = db.session
    try:
        if change == "disable":
            if accounts.name_key(name) == _me().name_key:
                raise accounts.AccountError("不能停用自己的账号")
            user = accounts.set_active(session, name, False)
            detail = "停用"
        elif change == "enable":
            user = accounts.set_active(session, name, True)
            detail = "启用"
        elif change == "role":
            if accounts.name_key(name) == _me().name_key:
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
    audit(session, _me().name, f"user-{change}", user.name, detail)
    session.commit()
    flash(f"{user.name}：{detail}。", "ok")
    return redirect(url_for("staff.users"))


@bp.get("/audit")
@require("admin")
def audit_log() -> ResponseReturnValue:
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 1_000_000)  # huge offsets overflow SQLite
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).offset((page - 1) * 100).limit(101))
    rows = list(events)
    return render_template("staff/audit.html", events=rows[:100], page=page, more=len(rows) > 100, title="操作记录")


@bp.app_template_global()
def flashed() -> list[tuple[str, str]]:
    messages: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    return messages
