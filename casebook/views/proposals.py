"""征集 pages: the public proposal form of a year, its thank-you page, the public list and its CSV.

The form is open between the year's ``open`` and ``close`` days (Beijing days, from ``year.yml``);
before and after it says when collection opens or closed and links the public list. A post goes
through CSRF (an expired token brings the form back filled in), the honeypot, the per-address
limits, the field checks and the similar-proposal check, each refusal keeping everything typed.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from .. import stored_files
from ..content.proposal_files import YearSettings
from ..db import db
from ..participation import limits
from ..participation import proposals as service
from ..staff.models import utcnow
from ..web import local_today, page_title
from .files import content_files
from .guards import client_address, recoverable

bp = Blueprint("proposals", __name__, url_prefix="/projects")
DONE_KEY = "proposal_done"
"""The session key holding the reference of the proposal just saved (for the thank-you page)."""


def _settings_or_404(year: int) -> YearSettings:
    found = service.year_settings(db.session, year)
    if found is None:
        abort(404)
    return found


def _places() -> dict[str, tuple[str, ...]]:
    return stored_files.places(content_files())


def _rules() -> list[limits.Rule]:
    config = current_app.config
    return [
        limits.Rule(limits.HOUR, config["CASEBOOK_PROPOSAL_PER_HOUR"]),
        limits.Rule(limits.DAY, config["CASEBOOK_PROPOSAL_PER_DAY"]),
    ]


def _form(
    settings: YearSettings,
    draft: service.Draft | None = None,
    *,
    errors: dict[str, str] | None = None,
    message: str = "",
    similar: list[service.Similar] | None = None,
    code: int = 200,
) -> ResponseReturnValue:
    state = settings.state(local_today())
    found = similar or []
    html = render_template(
        "projects/propose.html",
        settings=settings,
        state=state,
        draft=draft or service.Draft(),
        errors=errors or {},
        message=message,
        similar=[s for s in found if s.proposal.published],
        similar_hidden=sum(1 for s in found if not s.proposal.published),
        places=_places(),
        retention=current_app.config["CASEBOOK_PROPOSAL_RETENTION_DAYS"],
        per_hour=current_app.config["CASEBOOK_PROPOSAL_PER_HOUR"],
        title=page_title(f"{settings.year}年民生实事征集"),
    )
    response = current_app.make_response((html, code))
    response.headers["Cache-Control"] = "no-store"  # the page may hold what a resident typed
    return response


def _recover(reason: str) -> ResponseReturnValue:
    year = int((request.view_args or {}).get("year", 0))
    settings = _settings_or_404(year)
    return _form(settings, service.Draft.from_form(request.form), message=reason, code=400)


@bp.route("/<int(max=9999):year>/propose", methods=["GET", "POST"])
@recoverable(_recover, public=True)
def propose(year: int) -> ResponseReturnValue:
    settings = _settings_or_404(year)
    if request.method == "GET":
        return _form(settings)
    draft = service.Draft.from_form(request.form)
    if settings.state(local_today()) != "open":
        return _form(settings, draft, message="征集不在进行中，建议没有提交。您填写的内容都在下面。", code=409)
    if limits.is_robot(request.form):  # dropped as if accepted
        session[DONE_KEY] = ""
        return redirect(url_for("proposals.done", year=year))
    source = limits.address_key(current_app.config["SECRET_KEY"], client_address())
    now = utcnow()
    refusal = limits.refused(db.session, service.FORM, source, _rules(), time.time())
    if refusal is not None:
        response = _form(settings, draft, message=refusal.message, code=429)
        return response
    errors = service.check(draft, settings, _places())
    if errors:
        message = "建议还没有提交：请按红字提示修改。您填写的内容都在下面，没有丢失。"
        return _form(settings, draft, errors=errors, message=message, code=422)
    if not request.form.get("confirm_similar"):
        similar = service.similar(db.session, year, draft.street, draft.title, draft.problem)
        if similar:
            return _form(settings, draft, similar=similar)
    proposal = service.submit(db.session, draft, year, now)
    limits.record(db.session, service.FORM, source, time.time())
    db.session.commit()
    session[DONE_KEY] = proposal.reference
    return redirect(url_for("proposals.done", year=year))


@bp.get("/<int(max=9999):year>/propose/done")
def done(year: int) -> ResponseReturnValue:
    settings = _settings_or_404(year)
    reference = session.get(DONE_KEY, "")  # none (a robot, a bookmark): thanks without a number
    html = render_template(
        "projects/propose_done.html",
        settings=settings,
        reference=reference,
        title=page_title(f"{settings.year}年民生实事征集"),
    )
    response = current_app.make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page_number() -> int:
    text = request.args.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 6 else 1


@bp.get("/<int(max=9999):year>/proposals")
def listing(year: int) -> ResponseReturnValue:
    settings = _settings_or_404(year)
    result = service.public_list(db.session, year, _page_number(), request.args.get("ref", "")[:20])
    return render_template(
        "projects/proposals.html",
        settings=settings,
        state=settings.state(local_today()),
        result=result,
        title=page_title(f"{year}年民生实事征集的建议"),
    )


@bp.get("/<int(max=9999):year>/proposals.csv")
def listing_csv(year: int) -> ResponseReturnValue:
    _settings_or_404(year)
    return Response(
        service.csv_text(db.session, year).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=minsheng-zhengji-{year}.csv"},
    )


@bp.app_template_global()
def proposal_year(year: int) -> YearSettings | None:
    """The year's collection settings, for links from the board (None without ``year.yml``)."""
    return service.year_settings(db.session, year)


@bp.app_template_global()
def proposal_years() -> list[tuple[YearSettings, str]]:
    """Every year with a collection window and its state today (``before``/``open``/``after``)."""
    today = local_today()
    return [(settings, settings.state(today)) for settings in service.all_years(db.session).values()]
