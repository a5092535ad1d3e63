"""Public pages: home, topics, entries, lists, tags, streets, media."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import learning_board, project_board, queries
from .. import media as media_files
from ..db import db
from ..models import EntryRow
from ..pagecache import entry_graph, published_uploads
from ..web import KIND_NAMES, LIST_ENDPOINT, PART_NAMES, page_title
from .auth import current_user
from .files import content_files, send_found

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    graph = entry_graph()
    return render_template(
        "public/home.html",
        topics=list(graph.topics.values()),
        topic_index=graph.topics,
        progress=graph.progress(),
        latest=graph.latest(),
        targets=queries.PART_TARGET,
        projects=project_board.latest_year(db.session),
        uptake=learning_board.uptake_counts(db.session),
        title=page_title(),
    )


@bp.get("/topics/<slug>")
def topic(slug: str) -> ResponseReturnValue:
    graph = entry_graph()
    row = graph.topics.get(slug) or abort(404)
    return render_template(
        "public/topic.html",
        topic=row,
        parts=graph.topic_parts(slug, queries.PART_LIMIT),
        part_list=queries.PARTS,
        targets=queries.PART_TARGET,
        projects=project_board.topic_projects(db.session, slug),
        uptake=learning_board.topic_uptake(db.session, slug),
        title=page_title(row.label),
    )


def _entry_or_404(kind: str, slug: str) -> EntryRow:
    entry = queries.get_entry(db.session, kind, slug)
    if entry is None:
        abort(404)
    return entry


def _show(kind: str, slug: str) -> ResponseReturnValue:
    entry = _entry_or_404(kind, slug)
    graph = entry_graph()
    around = graph.surroundings(entry.id)
    return render_template(
        "public/entry.html",
        entry=entry,
        topic=graph.topics.get(entry.topic),
        previous=around.previous,
        following=around.following,
        related=around.related,
        learned=learning_board.for_entry(db.session, entry.key),
        title=page_title(entry.title),
    )


def _list(kind: str, scope: str | None = None) -> ResponseReturnValue:
    """A kind's list page; cases are two: 微案例 (``scope`` local) and 微分享 (national)."""
    filters = queries.clean_filters(request.args)
    if scope is not None:
        filters["scope"] = scope
    facets = tuple(f for f in queries.FILTERS if f != "scope")
    result = queries.listing(
        db.session, filters, kind=kind, page=request.args.get("page", 1, type=int) or 1, facet_names=facets
    )
    heading = PART_NAMES[scope] if scope is not None else KIND_NAMES[kind]
    return render_template(
        "public/list.html",
        listing=result,
        kind=kind,
        fixed=("scope",) if scope is not None else (),
        topics=queries.topic_map(db.session),
        heading=heading,
        title=page_title(heading),
    )


def _other_scope(scope: str) -> ResponseReturnValue | None:
    """An old link to the other list (``/cases/?scope=national``): a permanent redirect there,
    with the other arguments kept; ``None`` when the link is for this list."""
    asked = request.args.get("scope", "").strip()
    if not asked or asked == scope:
        return None
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "scope"}
    target = LIST_ENDPOINT[asked if asked in ("local", "national") else scope]
    return redirect(url_for(target, **args), 301)


@bp.get("/interviews/")
def interviews() -> ResponseReturnValue:
    return _list("interview")


@bp.get("/salons/")
def salons() -> ResponseReturnValue:
    return _list("salon")


@bp.get("/cases/")
def cases() -> ResponseReturnValue:
    """微案例: this district's own cases."""
    return _other_scope("local") or _list("case", "local")


@bp.get("/shares/")
def shares() -> ResponseReturnValue:
    """微分享: cases from elsewhere in the country (still ``kind: case`` files, entries at ``/cases/<slug>``)."""
    return _other_scope("national") or _list("case", "national")


@bp.get("/interviews/<slug>")
def interview(slug: str) -> ResponseReturnValue:
    return _show("interview", slug)


@bp.get("/salons/<slug>")
def salon(slug: str) -> ResponseReturnValue:
    return _show("salon", slug)


@bp.get("/cases/<slug>")
def case(slug: str) -> ResponseReturnValue:
    return _show("case", slug)


def _grouped(filters: dict[str, str], heading: str) -> ResponseReturnValue:
    result = queries.listing(
        db.session, filters, page=request.args.get("page", 1, type=int) or 1, facet_names=("topic",)
    )
    if result.total == 0:
        abort(404)
    return render_template(
        "public/list.html",
        listing=result,
        kind=None,
        heading=heading,
        topics=queries.topic_map(db.session),
        title=page_title(heading),
    )


@bp.get("/tags/<tag>")
def tag(tag: str) -> ResponseReturnValue:
    return _grouped({"tag": tag}, f"标签：{tag}")


@bp.get("/streets/<street>")
def street(street: str) -> ResponseReturnValue:
    return _grouped({"street": street}, street)


@bp.get("/media/<path:path>")
def media(path: str) -> ResponseReturnValue:
    """A picture under content/media, typed by its extension only (never sniffed); nothing else."""
    if "\x00" in path or "" in path.split("/"):  # no NUL (resolving one raises), no empty segment (a//b)
        abort(404)
    media_type = media_files.media_type_for(path)
    hidden = any(part.startswith(".") for part in path.split("/"))
    if media_type is None or hidden:
        abort(404)
    found = content_files().find(f"media/{path}")  # the folder: a link leaving media/ is not found
    if found is None:
        abort(404)
    # an uploaded picture is public once a published text uses it; before that, staff only (404 for others)
    upload = media_files.upload_key(found.rel.removeprefix("media/"))  # the file's own path, not the URL's
    staff = upload is not None and current_user() is not None
    if upload is not None and not staff and upload not in published_uploads():
        abort(404)
    response = send_found(found, media_type, max_age=86400)
    if staff:  # it may be a draft's picture: no shared cache (proxy, CDN) may keep it for others
        response.cache_control.public = False
        response.cache_control.private = True
    return response
