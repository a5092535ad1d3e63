"""Read-only JSON API: search, topics, entries, and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .. import queries, searching, stored_files
from ..content import KINDS
from ..content.schema import Field, api_fields
from ..db import db
from ..models import EntryRow, TopicRow
from ..search import Hit, IndexMissing
from ..web import KIND_ENDPOINT, absolute, entry_url, media_url, site_url
from .downloads import download_url
from .files import content_files
from .openapi import spec
from .search import search_index

bp = Blueprint("api", __name__, url_prefix="/api")


def _page_args() -> tuple[int, int]:
    return (
        searching.bounded_int(request.args.get("page"), 1, 1, 10_000),
        searching.bounded_int(request.args.get("per_page"), 20, 1, searching.MAX_PER_PAGE),
    )


def _topic_json(topic: TopicRow, progress: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "number": topic.number,
        "title": topic.title,
        "label": topic.label,
        "summary": topic.summary,
        "example": topic.example,
        "url": absolute("public.topic", slug=topic.slug),
        "parts": progress or dict.fromkeys(queries.PART_TARGET, 0),
    }


_EMPTY: dict[str, Any] = {"text": "", "list": [], "bool": False}


def _api_value(spec: Field, row: EntryRow) -> Any:
    """A declared field's value on a catalog row, as the API shows it (see ``openapi.field_schema``)."""
    if spec.type == "chapters":
        return [{"at": c.time, "seconds": c.at, "title": c.title} for c in row.chapter_list]
    if spec.type == "attachments":
        return [
            {"title": a["title"], "type": a["file"].rsplit(".", 1)[-1], "url": site_url() + download_url(a["file"])}
            for a in row.value(spec.key) or ()
        ]
    value = row.value(spec.key)
    if value is None and spec.applies_to(row.kind):  # absent from ``extra``: the type's empty value
        value = spec.default if spec.default is not None else _EMPTY.get(spec.type)
    if spec.type == "date" and value is not None:
        return value if isinstance(value, str) else value.isoformat()
    if spec.type == "cover":
        cover = media_url(value)
        return (site_url() + cover) if cover and cover.startswith("/") else cover
    return value


def _entry_json(row: EntryRow, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": row.kind,
        "slug": row.slug,
        "url": absolute(KIND_ENDPOINT[row.kind], slug=row.slug),
    }
    data |= {spec.key: _api_value(spec, row) for spec in api_fields(full)}
    if full:
        data["html"] = row.body_html
    return data


@bp.get("/search")
def search() -> ResponseReturnValue:
    glossary = stored_files.glossary(content_files())
    try:
        result = searching.run(search_index(), request.args, glossary)
    except IndexMissing:
        return jsonify(error="search index not built yet"), 503
    if result.total == 0 and result.query.positive:
        searching.record_miss(db.session, result.query.text, current_app.config["CASEBOOK_TIMEZONE"])
    answer: dict[str, Any] = {
        "query": result.query.text,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "results": [_hit_json(hit) for hit in result.hits],
        "facets": result.facets,
    }
    partial = searching.fallback(search_index(), result, request.args, glossary)
    if partial is not None:  # the exact answer stays as it is (total 0); entries with some of the words beside it
        answer["partial"] = {
            "words": partial.word_counts,
            "total": partial.total,
            "page": partial.page,
            "results": [_hit_json(hit) | {"words": hit.words} for hit in partial.hits],
        }
    return jsonify(answer)


def _hit_json(hit: Hit) -> dict[str, Any]:
    """One search result; a case (``kind`` stays ``case``) also says which: ``scope`` local (微案例)
    or national (微分享)."""
    data = {
        "kind": hit.kind,
        "slug": hit.slug,
        "title": hit.title,
        "url": entry_url(hit, external=True),
        "topic": hit.topic,
        "date": hit.date.isoformat(),
        "snippet": hit.snippet,
    }
    if hit.kind == "case":
        data["scope"] = hit.scope
    return data


@bp.get("/topics")
def topics() -> ResponseReturnValue:
    progress = queries.topic_progress(db.session)
    items = [_topic_json(t, progress.get(t.slug)) for t in queries.topics(db.session)]
    page, per_page = _page_args()
    start = (page - 1) * per_page
    return jsonify(total=len(items), page=page, per_page=per_page, results=items[start : start + per_page])


@bp.get("/topics/<slug>")
def topic(slug: str) -> ResponseReturnValue:
    row = queries.get_topic(db.session, slug)
    if row is None:
        abort(404)
    parts = queries.topic_entries(db.session, slug)
    data = _topic_json(row, {part: total for part, (_, total) in parts.items()})
    data["entries"] = {part: [_entry_json(e) for e in items] for part, (items, _) in parts.items()}
    return jsonify(data)


@bp.get("/entries")
def entries() -> ResponseReturnValue:
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        return jsonify(error=f"kind must be one of {', '.join(KINDS)}"), 400
    page, per_page = _page_args()
    listing = queries.listing(
        db.session, queries.clean_filters(request.args), kind=kind, page=page, facet_names=(), per_page=per_page
    )
    return jsonify(
        total=listing.total, page=listing.page, per_page=per_page, results=[_entry_json(e) for e in listing.entries]
    )


@bp.get("/entries/<kind>/<slug>")
def entry(kind: str, slug: str) -> ResponseReturnValue:
    row = queries.get_entry(db.session, kind, slug) if kind in KINDS else None
    if row is None:
        abort(404)
    return jsonify(_entry_json(row, full=True))


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(spec(site_url()))


@bp.errorhandler(404)
def not_found(_: Exception) -> ResponseReturnValue:
    return jsonify(error="not found"), 404
