"""The JSON API of 借鉴 learning records: ``/api/learning`` and ``/api/learning/<slug>`` (routes on ``api.bp``).

Fields come from ``schema.LEARNING_FIELDS`` (those with ``api``), as the entries' do from theirs."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request
from flask.typing import ResponseReturnValue

from .. import learning_board
from ..content.schema import LEARNING_FIELDS
from ..db import db
from ..learning_rows import LearningRow
from ..web import absolute, entry_url
from .api import _page_args, bp


def learning_json(row: LearningRow, full: bool = False) -> dict[str, Any]:
    """One record as the API shows it (``openapi.LEARNING``)."""
    data: dict[str, Any] = {"kind": row.kind, "slug": row.slug, "url": absolute("learning.record", slug=row.slug)}
    for spec in LEARNING_FIELDS:
        if not spec.api:
            continue
        if spec.key == "learned_from":
            data[spec.key] = list(row.sources or ())
        elif spec.key == "date":
            data[spec.key] = row.date.isoformat()
        else:
            data[spec.key] = getattr(row, spec.key)
    data["title"] = row.title
    data["topics"] = list(row.topics or ())
    if full:
        data["sources"] = [
            {"key": e.key, "title": e.title, "url": entry_url(e, external=True)}
            for e in learning_board.sources(db.session, row)
        ]
        data["html"] = row.body_html
    return data


@bp.get("/learning")
def learning_list() -> ResponseReturnValue:
    page, per_page = _page_args()
    listing = learning_board.listing(
        db.session, learning_board.clean_filters(request.args), page=page, per_page=per_page
    )
    return jsonify(
        total=listing.total,
        page=listing.page,
        per_page=per_page,
        results=[learning_json(row) for row in listing.entries],
    )


@bp.get("/learning/<slug>")
def learning_record(slug: str) -> ResponseReturnValue:
    row = learning_board.get(db.session, slug) or abort(404)
    return jsonify(learning_json(row, full=True))
