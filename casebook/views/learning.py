"""借鉴 learning records: ``/learning/`` (the table and the street × topic matrix) and one record's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from .. import learning_board, queries, stored_files
from ..content.schema import LEARNING_LABELS, LEARNING_TYPES
from ..db import db
from ..web import page_title
from .files import content_files

bp = Blueprint("learning", __name__, url_prefix="/learning")


@bp.get("/")
def index() -> ResponseReturnValue:
    filters = learning_board.clean_filters(request.args)
    listing = learning_board.listing(db.session, filters, page=request.args.get("page", 1, type=int) or 1)
    places = stored_files.places(content_files())
    return render_template(
        "learning/index.html",
        listing=listing,
        matrix=learning_board.matrix(db.session, list(places)),
        topics=queries.topic_map(db.session),
        labels=LEARNING_LABELS,
        types=LEARNING_TYPES,
        title=page_title("借鉴学习"),
    )


@bp.get("/<slug>")
def record(slug: str) -> ResponseReturnValue:
    row = learning_board.get(db.session, slug) or abort(404)
    return render_template(
        "learning/record.html",
        record=row,
        sources=learning_board.sources(db.session, row),
        topics=queries.topic_map(db.session),
        title=page_title(row.title, "借鉴学习"),
    )
