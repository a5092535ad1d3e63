"""``/search``: the search page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from .. import queries, searching, stored_files
from ..db import db
from ..search import FACETS, AnyIndex, IndexMissing, ParsedQuery, highlight, matching_topics, term_query
from ..web import page_title
from .files import content_files

bp = Blueprint("search", __name__)


@bp.app_template_filter("highlight")
def highlight_query(text: str, query: ParsedQuery) -> Markup:
    """``text`` escaped, the query's positive words in ``<mark>``."""
    return Markup(highlight(text, [term.text for term in query.positive]))


@bp.app_template_global()
def word_query(query: ParsedQuery, position: int) -> str:
    """The query for the ``position``-th positive word alone, with the query's exclusions."""
    return term_query(query.positive[position], query.negative)


def search_index() -> AnyIndex:
    index: AnyIndex = current_app.extensions["casebook.search"]
    return index


@bp.get("/search")
def page() -> ResponseReturnValue:
    glossary = stored_files.glossary(content_files())
    index = search_index()
    try:
        result = searching.run(index, request.args, glossary)
    except IndexMissing:
        return render_template("search/unavailable.html", title=page_title("搜索")), 503
    suggestions: list[str] = []
    if result.total == 0 and result.query.positive:
        searching.record_miss(db.session, result.query.text, current_app.config["CASEBOOK_TIMEZONE"])
        suggestions = searching.suggestions(index, result, glossary)
    filtered_away = 0
    if result.total == 0 and any(request.args.get(f) for f in FACETS):
        filtered_away = searching.run(index, {"q": request.args.get("q", "")}, glossary).total
    topics = queries.topic_map(db.session)
    return render_template(
        "search/results.html",
        result=result,
        partial=searching.fallback(index, result, request.args, glossary),
        found_topics=matching_topics(result.query, topics.values()) if result.page == 1 else [],
        q=request.args.get("q", ""),
        topics=topics,
        suggestions=suggestions,
        filtered_away=filtered_away,
        title=page_title(f"搜索：{result.query.text}" if result.query.text else "搜索"),
    )
