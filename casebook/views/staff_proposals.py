"""Staff triage of 征集 proposals: the list with filters and one proposal's page with its actions.

Editors and above see and triage proposals; the phone is shown masked (138****1234). Only an admin
can ask for the full number, through a POST that writes an audit event (``proposal-phone``) — so
every look at a resident's phone is on record. Every action is audited and shown in Beijing time.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..content.proposal_files import STATUSES
from ..db import db
from ..participation import proposals as service
from ..participation import triage
from ..participation.proposal_models import Proposal
from ..staff.models import utcnow
from .guards import current_user, recoverable, require

bp = Blueprint("staff_proposals", __name__, url_prefix="/staff")


def _me() -> str:
    user = current_user()
    assert user is not None
    return user.name


def _year_arg() -> int | None:
    text = request.args.get("year", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None


@bp.get("/proposals")
@require("editor")
def index() -> ResponseReturnValue:
    filters = triage.Filters(
        year=_year_arg(),
        status=request.args.get("status", "") if request.args.get("status", "") in STATUSES else "",
        street=request.args.get("street", "")[:100],
    )
    years, streets = triage.options(db.session)
    return render_template(
        "staff/proposals.html",
        rows=triage.staff_list(db.session, filters),
        filters=filters,
        years=years,
        streets=streets,
        statuses=STATUSES,
        mask=service.mask_phone,
        title="征集建议",
    )


def _proposal_or_404(proposal_id: int) -> Proposal:
    found = triage.get(db.session, proposal_id)
    if found is None:
        abort(404)
    return found


def _page(
    proposal: Proposal, *, message: str = "", code: int = 200, phone: str = "", typed: dict[str, str] | None = None
) -> ResponseReturnValue:
    return (
        render_template(
            "staff/proposal.html",
            p=proposal,
            masked=service.mask_phone(proposal.phone),
            phone=phone,
            targets=triage.merge_targets(db.session, proposal),
            projects=triage.year_projects(db.session, proposal.year),
            history=triage.history(db.session, proposal),
            actions=triage.ACTIONS,
            message=message,
            typed=typed or {},
            merged=triage.get(db.session, proposal.merged_into) if proposal.merged_into else None,
            title=f"征集建议 {proposal.reference}",
        ),
        code,
    )


def _typed() -> dict[str, str]:
    return {key: request.form.get(key, "")[:5000] for key in ("answer", "merge_into", "project", "action")}


def _recover(reason: str) -> ResponseReturnValue:
    proposal = _proposal_or_404(int((request.view_args or {}).get("proposal_id", 0)))
    return _page(proposal, message=reason, code=400, typed=_typed())


@bp.route("/proposals/<int(max=2147483647):proposal_id>", methods=["GET", "POST"])
@recoverable(_recover)
@require("editor")
def proposal(proposal_id: int) -> ResponseReturnValue:
    found = _proposal_or_404(proposal_id)
    if request.method == "GET":
        return _page(found)
    typed = _typed()
    try:
        told = triage.act(
            db.session,
            found,
            typed["action"],
            _me(),
            utcnow(),
            answer=typed["answer"],
            merge_into=typed["merge_into"],
            project=typed["project"],
        )
    except triage.TriageError as exc:
        db.session.rollback()
        return _page(
            _proposal_or_404(proposal_id), message=f"未保存：{exc}。您填写的内容都在下面。", code=422, typed=typed
        )
    db.session.commit()
    flash(told, "ok")
    return redirect(url_for("staff_proposals.proposal", proposal_id=proposal_id))


@bp.post("/proposals/<int(max=2147483647):proposal_id>/phone")
@require("admin")
def phone(proposal_id: int) -> ResponseReturnValue:
    """The full phone number, for an admin only; the look is audited."""
    found = _proposal_or_404(proposal_id)
    number = triage.show_phone(db.session, found, _me())
    db.session.commit()
    return _page(found, phone=number or "（没有电话）")
