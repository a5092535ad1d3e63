"""``/search``: the search page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from .. import queries, searching
from ..db import db
from ..search import FACETS, IndexMissing, SearchIndex
from ..web import page_title

bp = Blueprint("search", __name__)


def search_index() -> SearchIndex:
    index: SearchIndex = current_app.extensions["casebook.search"]
    return index


@bp.get("/search")
def page() -> ResponseReturnValue:
    content_dir = current_app.config["CASEBOOK_CONTENT_DIR"]
    index = search_index()
    try:
        result = searching.run(index, request.args, content_dir)
    except IndexMissing:
        return render_template("search/unavailable.html", title=page_title("搜索")), 503
    suggestions: list[str] = []
    if result.total == 0 and result.query.positive:
        searching.record_miss(db.session, result.query.text, current_app.config["CASEBOOK_TIMEZONE"])
        suggestions = searching.suggestions(index, result, content_dir)
    filtered_away = 0
    if result.total == 0 and any(request.args.get(f) for f in FACETS):
        filtered_away = searching.run(index, {"q": request.args.get("q", "")}, content_dir).total
    return render_template(
        "search/results.html",
        result=result,
        q=request.args.get("q", ""),
        topics=queries.topic_map(db.session),
        suggestions=suggestions,
        filtered_away=filtered_away,
        title=page_title(f"搜索：{result.query.text}" if result.query.text else "搜索"),
    )
