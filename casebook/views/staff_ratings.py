"""Moderation of residents' rating comments (评议意见), editors and above. Routes of the ``staff``
blueprint; thin: ``participation.ratings`` lists and moderates, every decision is audited."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..db import db
from ..participation import ratings
from ..staff.models import audit, utcnow
from .auth import require
from .staff_common import bp, me


@bp.get("/ratings")
@require("editor")
def ratings_page() -> ResponseReturnValue:
    return render_template(
        "staff/ratings.html",
        waiting=ratings.waiting(db.session),
        tallies=ratings.tallies(db.session),
        state_labels=ratings.STATE_LABELS,
        title="群众评议",
    )


@bp.post("/ratings/<int(max=2147483647):rating_id>")
@require("editor")
def rating_moderate(rating_id: int) -> ResponseReturnValue:
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject"):
        flash("请选择“通过”或“不通过”。", "error")
        return redirect(url_for("staff.ratings_page"))
    try:
        rating = ratings.moderate(db.session, rating_id, decision == "approve", me().name, utcnow())
    except ratings.NotWaiting:
        db.session.rollback()
        flash("这条意见已不在待审核列表中（可能已由其他同事处理，或已被评议人修改）。", "error")
        return redirect(url_for("staff.ratings_page"))
    label = ratings.STATE_LABELS[rating.comment_state]
    audit(db.session, me().name, f"rating-{decision}", rating.project, f"意见 #{rating.id}：{label}")
    db.session.commit()
    flash(f"意见 #{rating.id}（{rating.project}）：{label}。", "ok")
    return redirect(url_for("staff.ratings_page"))
