"""评议 pages: a resident's rating of a project (POST), the year's ratings CSV. Routes of ``projects.bp``;
thin: ``participation.ratings`` saves and counts, ``participation.limits`` refuses floods."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import project_board
from ..db import db
from ..participation import limits, ratings
from ..project_rows import ProjectRow
from ..staff.models import utcnow
from .guards import client_address, recoverable
from .projects import _board_or_404, bp, render_project

COOKIE = "casebook_rater"
"""The browser's random rating token (HttpOnly, SameSite=Lax, Secure on https — the site URL's scheme or the
request's, as for the session cookie); only its hash is stored."""
CHOICE_MISSING = "请选择“满意”“基本满意”或“不满意”中的一项，然后再提交。您填写的意见都在下面，没有丢失。"
TOO_LONG = "意见太长：请不要超过 {limit} 个字（现在 {n} 个字）。您填写的内容都在下面，请删减后再提交。"


def _typed() -> dict[str, str]:
    return {"choice": request.form.get("choice", "")[:20], "comment": request.form.get("comment", "")[:20_000]}


def _project_or_404(year: int, slug: str) -> ProjectRow:
    row = project_board.get_project(db.session, slug)
    if row is None or row.year != year:
        abort(404)
    return row


def _recover(reason: str) -> ResponseReturnValue:
    """An expired token: the project page again, the choice and comment as typed, a fresh token."""
    args = request.view_args or {}
    row = _project_or_404(int(args.get("year", 0)), str(args.get("slug", "")))
    if row.stage not in ratings.RATED_STAGES:
        return _closed(row)
    return render_project(row, _typed(), reason, 400)


def _closed(row: ProjectRow) -> ResponseReturnValue:
    return render_template("projects/rating_closed.html", project=row, title="暂不接受评议"), 404


def _form_name(row: ProjectRow) -> str:
    """The limits' form name: one per project (``rating:`` + a short hash of its key, under 40 characters)."""
    return "rating:" + hashlib.sha256(row.key.encode()).hexdigest()[:24]


def _rules() -> tuple[limits.Rule, ...]:
    config = current_app.config
    return (
        limits.Rule(limits.HOUR, config["CASEBOOK_RATING_PER_HOUR"]),
        limits.Rule(limits.DAY, config["CASEBOOK_RATING_PER_DAY"]),
    )


@bp.post("/<int(max=9999):year>/<slug>/rate")
@recoverable(_recover, public=True)
def rate(year: int, slug: str) -> ResponseReturnValue:
    row = _project_or_404(year, slug)
    if row.stage not in ratings.RATED_STAGES:
        return _closed(row)
    typed = _typed()
    done = url_for("projects.project", year=year, slug=slug, rated="new", _anchor="rating")
    if limits.is_robot(request.form):
        return redirect(done, 303)  # dropped as if accepted: a robot learns nothing
    if typed["choice"] not in ratings.CHOICES:
        return render_project(row, typed, CHOICE_MISSING, 400)
    if limits.too_long(typed, {"comment": ratings.COMMENT_LIMIT}):
        n = len(typed["comment"].strip())
        return render_project(row, typed, TOO_LONG.format(limit=ratings.COMMENT_LIMIT, n=n), 400)
    now = time.time()
    source = limits.address_key(current_app.secret_key or "", client_address())
    refusal = limits.refused(db.session, _form_name(row), source, _rules(), now)
    if refusal is not None:
        html, _ = render_project(row, typed, refusal.message, 429)
        return html, 429, {"Retry-After": str(refusal.retry_after)}
    token = request.cookies.get(COOKIE, "")
    if not ratings.valid_token(token):
        token = ratings.new_token()
    saved = ratings.submit(db.session, row.year, row.slug, typed["choice"], typed["comment"], token, utcnow())
    limits.record(db.session, _form_name(row), source, now)
    db.session.commit()
    where = "replaced" if saved.replaced else "new"
    response = redirect(url_for("projects.project", year=year, slug=slug, rated=where, _anchor="rating"), 303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(dt.timedelta(days=ratings.TOKEN_DAYS).total_seconds()),
        path="/projects/",
        secure=request.is_secure or str(current_app.config.get("CASEBOOK_SITE_URL") or "").startswith("https://"),
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/<int(max=9999):year>/ratings.csv")
def ratings_csv(year: int) -> ResponseReturnValue:
    result = _board_or_404(year)
    found = ratings.results(db.session, [(p.key, p.survey) for p in result.projects])
    return Response(
        ratings.csv_text(result.projects, found).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=minsheng-shishi-{year}-pingyi.csv"},
    )
