"""Staff views of the review loop: the review page and list, status changes, returns with a comment,
the comment thread, history and restore. Routes of the ``staff`` blueprint (endpoints ``staff.*``);
kept apart from ``staff.py`` so neither grows past a readable size (shared helpers: ``staff_common``).
Thin: ``staff.review``, ``staff.diffs`` and ``staff.editing`` do the work.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import catalog, content, queries
from ..db import db
from ..staff import dashboard as staff_dashboard
from ..staff import diffs, editing, review
from ..staff import queries as staff_queries
from .auth import current_user, recoverable, require, safe_next
from .staff_common import STATUS_NAMES, bp, flash_outcome, is_reviewer, kind_or_404, me
from .workspace import workspace

STATUS_VERBS = {"published": "publish", "submitted": "submit", "draft": "unpublish"}
SIDE_STATES = ("superseded", "returned")
"""Revisions off the main line: edits replaced by a later one, or returned to their editor."""


def _review_page(kind: str, slug: str, *, message: str = "", comment: str = "", code: int = 200) -> ResponseReturnValue:
    """The review page; ``message`` and the typed ``comment`` come back when a form was refused."""
    if current_user() is None:  # an expired login: give the typed comment back, show nothing else
        return render_template("staff/review.html", guest=True, message=message, comment=comment, title="审核"), code
    state = review.review_state(workspace(), db.session, kind, slug)
    if state is None:
        abort(404)
    reviewer = is_reviewer()
    pending, file_status, entry = state.pending, state.file_status, state.entry
    # never published: nothing to compare with, so the page shows the whole article as it will appear
    shown_whole = not state.published and entry is not None and kind in content.KINDS
    article = catalog.preview_row(entry) if shown_whole else None
    return (
        render_template(
            "staff/review.html",
            guest=False,
            kind=kind,
            slug=slug,
            entry=entry,
            article=article,
            article_topic=queries.get_topic(db.session, article.topic) if article is not None else None,
            comparison=diffs.compare(kind, state.published, state.current) if state.published else None,
            since_return=state.since_return,
            pending=pending,
            file_status=file_status,
            thread=state.thread,
            reviewer=reviewer,
            can_publish=reviewer and (pending is not None or file_status != "published"),
            can_return=reviewer and (pending is not None or file_status == "submitted"),
            version=editing.version_of(state.current),
            message=message,
            comment=comment,
            comment_max=review.MAX_COMMENT,
            title="审核",
        ),
        code,
    )


def _recover_review(reason: str) -> ResponseReturnValue:
    args = request.view_args or {}
    kind, slug = args.get("kind", ""), args.get("slug", "")
    kind_or_404(kind, slug)
    return _review_page(kind, slug, message=reason, comment=request.form.get("comment", ""), code=400)


@bp.get("/review")
@require("reviewer")
def review_list() -> ResponseReturnValue:
    session = db.session
    waiting, returned = staff_dashboard.waiting(session), staff_dashboard.returned(session)
    return render_template("staff/review_list.html", waiting=waiting, returned=returned, title="待审核")


@bp.get("/review/<kind>/<slug>", endpoint="review")
@require("editor")
def review_page(kind: str, slug: str) -> ResponseReturnValue:
    kind_or_404(kind, slug)
    return _review_page(kind, slug)


@bp.post("/status/<kind>/<slug>")
@recoverable(_recover_review)
@require("editor")
def status(kind: str, slug: str) -> ResponseReturnValue:
    kind_or_404(kind, slug)
    to = request.form.get("to", "")
    if to not in STATUS_NAMES:
        abort(400)
    comment, problem = review.check_comment(request.form.get("comment", ""), required=False, what="意见")
    if problem:
        return _review_page(kind, slug, message=problem, comment=comment, code=422)
    if to == "published" and not request.form.get("version"):  # what the reviewer saw must be what goes live
        message = "发布时缺少审核页上的版本信息，未发布。请在审核页查看最新的差异后再发布。"
        return _review_page(kind, slug, message=message, comment=comment, code=409)
    outcome = editing.change_status(
        workspace(),
        db.session,
        kind=kind,
        slug=slug,
        to=to,
        user=me().name,
        may_publish=is_reviewer(),
        expected=request.form.get("version") or None,
    )
    if not outcome.ok and comment:  # the typed comment must not be lost
        return _review_page(kind, slug, message=_messages(outcome), comment=comment, code=409)
    if outcome.ok and comment:
        review.add_comment(db.session, kind=kind, slug=slug, user=me().name, text=comment, action=STATUS_VERBS[to])
        db.session.commit()
    _report(outcome)
    back = request.form.get("back")
    return redirect(safe_next(back) if back else url_for("staff.review", kind=kind, slug=slug))


def _messages(outcome: editing.Outcome) -> str:
    return " ".join(message for messages in outcome.errors.values() for message in messages)


def _report(outcome: editing.Outcome) -> None:
    if outcome.ok:
        flash_outcome(outcome)
    else:
        for messages in outcome.errors.values():
            for message in messages:
                flash(message, "error")


@bp.post("/discard/<kind>/<slug>")  # the old 退回 address: it now asks for a comment too
@bp.post("/return/<kind>/<slug>")  # (registered first: url_for builds this one)
@recoverable(_recover_review)
@require("reviewer")
def return_entry(kind: str, slug: str) -> ResponseReturnValue:
    kind_or_404(kind, slug)
    comment = request.form.get("comment", "")
    outcome = review.return_entry(
        workspace(),
        db.session,
        kind=kind,
        slug=slug,
        user=me().name,
        comment=comment,
        may_review=is_reviewer(),
        expected=request.form.get("version") or None,
    )
    if not outcome.ok:
        code = 422 if "comment" in outcome.errors else 409
        return _review_page(kind, slug, message=_messages(outcome), comment=comment, code=code)
    flash_outcome(outcome)
    return redirect(url_for("staff.review", kind=kind, slug=slug) + "#thread")


@bp.post("/comment/<kind>/<slug>")
@recoverable(_recover_review)
@require("editor")
def comment(kind: str, slug: str) -> ResponseReturnValue:
    kind_or_404(kind, slug)
    if editing.working_text(workspace(), db.session, kind, slug) is None:
        abort(404)
    text, problem = review.check_comment(request.form.get("comment", ""), required=True)
    if problem:
        return _review_page(kind, slug, message=problem, comment=text, code=422)
    review.add_comment(db.session, kind=kind, slug=slug, user=me().name, text=text)
    db.session.commit()
    flash("评论已发表。", "ok")
    return redirect(url_for("staff.review", kind=kind, slug=slug) + "#thread")


@bp.app_template_global()
def review_thread(kind: str, slug: str) -> review.Thread:
    """An entry's comment thread and open return, for the editor page."""
    return review.thread(db.session, kind, slug)


@bp.get("/history/<kind>/<slug>")
@require("editor")
def history(kind: str, slug: str) -> ResponseReturnValue:
    kind_or_404(kind, slug)
    revisions = editing.history(db.session, kind, slug)
    if not revisions and editing.working_text(workspace(), db.session, kind, slug) is None:
        abort(404)
    shown: list[dict[str, Any]] = []
    for n, rev in enumerate(revisions):
        side = rev.state in SIDE_STATES
        older = next((r for r in revisions[n + 1 :] if side or r.state not in SIDE_STATES), None)
        comparison = diffs.compare(kind, older.text if older else "", rev.text, with_status=True)
        shown.append({"rev": rev, "diff": comparison})
    return render_template(
        "staff/history.html", kind=kind, slug=slug, shown=shown, reviewer=is_reviewer(), title="修改历史"
    )


@bp.post("/restore/<int(max=9223372036854775807):revision_id>")  # larger ids overflow SQLite
@require("reviewer")
def restore(revision_id: int) -> ResponseReturnValue:
    outcome = editing.restore(workspace(), db.session, revision_id=revision_id, user=me().name)
    _report(outcome)
    rev = staff_queries.revision(db.session, revision_id)
    if rev is None:
        abort(404)
    return redirect(url_for("staff.history", kind=rev.kind, slug=rev.slug))
