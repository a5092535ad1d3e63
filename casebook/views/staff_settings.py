"""Staff settings: the search glossary and the streets/communities as forms, and background job status.

A save writes the YAML file (atomically, under the content lock, refused when the file changed
since the form was loaded), then *enqueues* what must follow — a search index rebuild for the
glossary, a sync for places — and the page follows that job until it has taken effect.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from .. import content, jobs
from ..content.wordlists import leading_comments
from ..db import db
from ..job_models import Job
from ..staff import editing
from ..staff import queries as staff_queries
from ..staff import settings as staff_settings
from ..staff.models import audit, utcnow
from .auth import current_user, recoverable, require
from .workspace import workspace

bp = Blueprint("staff_settings", __name__, url_prefix="/staff")
BLANK_ROWS = 3
"""Empty rows always on the form, so rows can be added without JavaScript."""
STUCK_AFTER = dt.timedelta(minutes=2)
"""A job queued this long has found no runner: say so."""
Rows = staff_settings.Rows
CONFLICT = "保存冲突：在您编辑期间，这个文件已被他人修改。"
IN_USE = "未保存：下列名称已被条目使用；删除或改名后，这些条目的街道/社区会被清空。确认无误请勾选“仍然保存”。"


@dataclass(frozen=True)
class Setting:
    file: str
    label: str
    columns: tuple[tuple[str, str, str], tuple[str, str, str]]
    """(form field, label, hint) of the name column and of the list column."""
    job: str
    """The job kind that makes a change take effect."""
    busy: str
    """What the page says while that job is queued or running."""


SETTINGS = {
    "glossary": Setting(
        "glossary.yml",
        "搜索词表",
        (("term", "词语", "一个词"), ("synonyms", "同义词", "可填多个，用逗号、顿号、分号或空格隔开")),
        "rebuild-search",
        "已保存，索引重建中",
    ),
    "places": Setting(
        "places.yml",
        "街道与社区",
        (("street", "街道", "一个街道名称"), ("communities", "社区", "可填多个，用逗号、顿号、分号或空格隔开")),
        "sync",
        "已保存，内容同步中",
    ),
}


def _setting(name: str) -> Setting:
    if name not in SETTINGS:
        abort(404)
    return SETTINGS[name]


def _root() -> Path:
    return Path(current_app.config["CASEBOOK_CONTENT_DIR"])


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _read(name: str, text: str) -> tuple[Rows, list[content.Problem]]:
    """The form rows of a file's text, and the file's problems."""
    return staff_settings.read_rows(name, text, _root() / SETTINGS[name].file)


MAX_ROWS = 20_000
"""Rows a settings form takes; a longer form is refused whole (the YAML view takes any size)."""


def _posted_rows(name: str) -> Rows:
    first, second = (field for field, _, _ in SETTINGS[name].columns)
    pairs = itertools.zip_longest(request.form.getlist(first), request.form.getlist(second), fillvalue="")
    return [(a.strip(), b.strip()) for a, b in pairs]


def _page(
    name: str,
    rows: Rows,
    *,
    base: str,
    errors: dict[int, list[str]] | None = None,
    message: str = "",
    code: int = 200,
    other: Rows | None = None,
    other_text: str = "",
    in_use: list[str] | None = None,
    file_problems: list[str] | None = None,
) -> tuple[str, int]:
    setting = SETTINGS[name]
    while rows and rows[-1] == ("", ""):
        rows = rows[:-1]
    return (
        render_template(
            "staff/settings_form.html",
            name=name,
            setting=setting,
            rows=[*rows, *[("", "")] * BLANK_ROWS],
            errors=errors or {},
            base=base,
            message=message,
            other=other,
            other_text=other_text,
            in_use=in_use or [],
            file_problems=file_problems or [],
            job=jobs.latest(db.session, setting.job),
            title=setting.label,
        ),
        code,
    )


def _recover(reason: str) -> ResponseReturnValue:
    name = (request.view_args or {}).get("name", "glossary")
    _setting(name)
    if "text" in request.form:
        return _yaml_page(name, request.form.get("text", ""), [], reason, 400, base=request.form.get("base", ""))
    return _page(name, _posted_rows(name), base=request.form.get("base", ""), message=reason, code=400)


@bp.route("/settings/<name>", methods=["GET", "POST"])
@recoverable(_recover)
@require("reviewer")
def page(name: str) -> ResponseReturnValue:
    setting = _setting(name)
    path = _root() / setting.file
    if request.method == "GET":
        text = _text(path)
        rows, problems = _read(name, text)
        shown = [p.display(_root()) for p in problems]
        return _page(name, rows, base=editing.version_of(text), file_problems=shown)
    if "text" in request.form:  # the advanced view posts the raw YAML
        return _save_yaml(name)
    rows = _posted_rows(name)
    base = request.form.get("base")
    if len(rows) > MAX_ROWS:  # refused whole, never cut short
        message = (
            f"未保存：表格最多 {MAX_ROWS} 行，这次有 {len(rows)} 行。"
            "请分几次整理，或用页面下方的“高级：直接编辑 YAML 文件”。"
        )
        return _page(name, rows, base=base or "", code=422, message=message)
    with workspace().locked():  # one writer at a time, also against entry saves in other processes
        current = _text(path)
        version = editing.version_of(current)
        if base is not None and base != version:
            message = (
                "保存冲突：在您编辑期间，这个文件已被他人修改。您填写的内容仍在下方；请对照对方的版本合并后再保存。"
            )
            theirs, _ = _read(name, current)
            return _page(name, rows, base=version, message=message, code=409, other=theirs, other_text=current)
        new_text, errors = staff_settings.render_rows(name, rows, leading_comments(current))
        if errors:
            numbers = "、".join(f"第 {n + 1} 行" for n in sorted(errors) if n >= 0)
            message = f"未保存：请按提示修改{numbers or '表格'}。"
            return _page(name, rows, base=version, errors=errors, code=422, message=message)
        in_use = staff_settings.removed_in_use(db.session, path, current, new_text) if name == "places" else []
        if in_use and not request.form.get("confirm"):
            message = (
                "未保存：下列名称已被条目使用，删除或改名后，这些条目的街道/社区会被清空。确认无误请勾选“仍然保存”。"
            )
            return _page(name, rows, base=version, code=422, message=message, in_use=in_use)
        if new_text == current:
            flash(f"{setting.label}没有改动。", "ok")
            return redirect(url_for("staff_settings.page", name=name))
        content.write_atomic(path, new_text)
        audit(db.session, _me(), "settings", setting.file, f"{len(_read(name, new_text)[0])} 行")
        db.session.commit()
    return _saved(name)


def _saved(name: str) -> ResponseReturnValue:
    """After a committed save: queue the job that makes it take effect, then show the page."""
    setting = SETTINGS[name]
    try:
        jobs.enqueue(db.engine, setting.job, created_by=_me())
    except SQLAlchemyError:
        current_app.logger.exception("could not queue %s after saving %s", setting.job, setting.file)
        flash(f"{setting.label}已保存，但后台任务没能排队；请运行 casebook sync 使它生效。", "warn")
    else:
        jobs.wake()  # the page now says 已保存 and follows the job
    return redirect(url_for("staff_settings.page", name=name))


def _me() -> str:
    user = current_user()
    assert user is not None
    return user.name


# --- the advanced view: the YAML text itself -------------------------------------------------------


def _yaml_page(
    name: str,
    text: str,
    problems: list[str],
    message: str = "",
    code: int = 200,
    *,
    base: str,
    other: str | None = None,
) -> tuple[str, int]:
    setting = SETTINGS[name]
    return (
        render_template(
            "staff/settings_file.html",
            name=name,
            filename=setting.file,
            label=setting.label,
            text=text,
            problems=problems,
            message=message,
            base=base,
            other=other,
            job=jobs.latest(db.session, setting.job),
            setting=setting,
            title=setting.label,
        ),
        code,
    )


@bp.get("/settings/<name>/yaml")
@require("reviewer")
def yaml_page(name: str) -> ResponseReturnValue:
    setting = _setting(name)
    text = _text(_root() / setting.file)
    return _yaml_page(name, text, [], base=editing.version_of(text))


def _save_yaml(name: str) -> ResponseReturnValue:
    setting = SETTINGS[name]
    path = _root() / setting.file
    text = request.form.get("text", "").replace("\r\n", "\n")
    base = request.form.get("base")
    with workspace().locked():
        current = _text(path)
        version = editing.version_of(current)
        if base is not None and base != version:
            message = CONFLICT + "您的文本仍在下方，请对照对方的版本合并后再保存。"
            return _yaml_page(name, text, [], message, 409, base=version, other=current)
        _, problems = _read(name, text)
        errors = [p.display(_root()) for p in problems if not p.is_warning]
        if errors:
            return _yaml_page(name, text, errors, code=422, base=version)
        content.write_atomic(path, text if text.endswith("\n") else text + "\n")
        audit(db.session, _me(), "settings", setting.file, "YAML")
        db.session.commit()
    for problem in problems:
        flash(problem.display(_root()), "warn")
    return _saved(name)


# --- job status --------------------------------------------------------------------------------------


@bp.post("/settings/<name>/rerun")
@require("reviewer")
def rerun(name: str) -> ResponseReturnValue:
    """Queue the setting's job again (after it failed)."""
    setting = _setting(name)
    jobs.enqueue(db.engine, setting.job, created_by=_me())
    jobs.wake()
    flash(f"已重新排队：{jobs.kind_label(setting.job)}。", "ok")
    return redirect(url_for("staff_settings.page", name=name))


@bp.app_template_global()
def job_status(job: Job, busy: str = "") -> dict[str, Any]:
    """What staff see of a job: its state in words, progress, message; ``busy`` replaces the running words."""
    stuck = job.state == "queued" and utcnow() - job.created_at > STUCK_AFTER
    if job.state == "done":
        headline = "已生效" if busy else f"{jobs.kind_label(job.kind)}：已完成"
    elif job.state == "failed":
        headline = "未能生效" if busy else f"{jobs.kind_label(job.kind)}：失败"
    else:
        headline = busy or f"{jobs.kind_label(job.kind)}：{job.state_name}"
    return {
        "id": job.id,
        "kind": job.kind,
        "label": jobs.kind_label(job.kind),
        "state": job.state,
        "state_name": job.state_name,
        "headline": headline,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "stuck": "任务排队已超过 2 分钟仍未开始：服务器的后台任务可能没有运行。"
        "请用 casebook serve 启动网站，或在服务器上运行 casebook jobs work。"
        if stuck
        else "",
    }


@bp.get("/jobs/<int(max=9223372036854775807):job_id>")
@require("editor")
def job_json(job_id: int) -> ResponseReturnValue:
    """A job's status for polling (settings.js)."""
    job = staff_queries.job(db.session, job_id)
    if job is None:
        abort(404)
    busy = next((s.busy for s in SETTINGS.values() if s.job == job.kind), "")
    return job_status(job, busy if request.args.get("saved") else "")


@bp.app_template_global()
def recent_jobs(limit: int = 6) -> list[Job]:
    """Running, queued and recent jobs, for the dashboard."""
    return jobs.recent(db.session, limit)
