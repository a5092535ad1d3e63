"""Community pages: ``/communities/<社区名>``, named exactly as in places.yml; every entry and
民生实事 project of the community, its interviews first."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from .. import communities, learning_board, stored_files
from ..db import db
from ..pagecache import entry_graph
from ..web import KIND_NAMES, page_title
from .files import content_files

bp = Blueprint("communities", __name__, url_prefix="/communities")


@bp.get("/<name>")
def community(name: str) -> ResponseReturnValue:
    places = stored_files.places(content_files())
    found = communities.community(db.session, places, name)
    if found is None:
        abort(404)
    return render_template(
        "public/community.html",
        community=found,
        topic_index=entry_graph().topics,
        kind_names=KIND_NAMES,
        community_learning=learning_board.for_community(db.session, found.name),
        title=page_title(found.name, found.street),
    )
