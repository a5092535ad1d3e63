"""Word out for staff: ``/interviews|salons|cases/<slug>.docx``, any status, from the working text.

Like the staff preview (``/staff/view/<kind>/<slug>``), the file shows what the editor would open:
a pending revision if there is one, else the content file. ``casebook.wordout`` writes it.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app
from flask.typing import ResponseReturnValue

from .. import content, queries, wordout
from ..db import db
from ..staff import editing
from ..web import site_url
from .auth import require
from .workspace import workspace

bp = Blueprint("word", __name__)


def _download(kind: str, slug: str) -> ResponseReturnValue:
    if not content.SLUG_RE.match(slug):
        abort(404)
    ws = workspace()
    text = editing.working_text(ws, db.session, kind, slug)
    entry = editing.parse(ws, db.session, kind, slug, text) if text is not None else None
    if entry is None:
        abort(404)
    topic = queries.get_topic(db.session, entry.topic)
    data = wordout.entry_docx(
        entry,
        ws.root / "media",
        topic_label=topic.label if topic is not None else None,
        base_url=site_url(),
        author=current_app.config["CASEBOOK_SITE_NAME"],
    )
    response = Response(data, mimetype=wordout.MEDIA_TYPE)
    name = quote(wordout.download_name(entry), safe="")
    response.headers["Content-Disposition"] = f"attachment; filename=\"{slug}.docx\"; filename*=UTF-8''{name}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/interviews/<slug>.docx")
@require("editor")
def interview(slug: str) -> ResponseReturnValue:
    return _download("interview", slug)


@bp.get("/salons/<slug>.docx")
@require("editor")
def salon(slug: str) -> ResponseReturnValue:
    return _download("salon", slug)


@bp.get("/cases/<slug>.docx")
@require("editor")
def case(slug: str) -> ResponseReturnValue:
    return _download("case", slug)
