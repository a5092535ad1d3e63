"""Attachment downloads: ``/downloads/<file>`` sends a PDF, DOCX or XLSX that an entry lists.

A file under ``content/media/attachments/`` is public once a published entry lists it in
``attachments:`` (staff may also fetch those of unpublished ones, for preview); anything else is a
404. It always goes out as a download — ``Content-Disposition: attachment`` with the title the entry
gives it as the (Chinese) file name, its exact type and ``nosniff`` — so a browser never shows it
inline. The entry page's "附件下载" list (title, type, size) comes from ``attachment_list``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, url_for
from flask.typing import ResponseReturnValue

from ..attachments import content_disposition, size_label, type_label
from ..catalog.uploads import attachment_title
from ..db import db
from ..media import attachment_type
from .files import content_files, send_found
from .guards import current_user

bp = Blueprint("downloads", __name__)


def download_url(file: str) -> str:
    """The download address of an attachment file (a path under media/)."""
    return url_for("downloads.attachment", file=file)


@bp.get("/downloads/<path:file>")
def attachment(file: str) -> ResponseReturnValue:
    """An attachment as a download, never inline; 404 unless an entry the caller may see lists it."""
    media_type = attachment_type(file)
    parts = file.split("/")
    if media_type is None or "\x00" in file or "" in parts or any(p.startswith(".") for p in parts):  # also ".."
        abort(404)
    found = content_files().find(f"media/{file}")
    if found is None:
        abort(404)
    staff = current_user() is not None
    title = attachment_title(db.session, file, staff)
    if title is None:
        abort(404)
    response = send_found(found, media_type, max_age=3600)
    response.headers["Content-Disposition"] = content_disposition(title, file.rsplit(".", 1)[-1].lower())
    if staff:  # it may be a draft's file: no shared cache may keep it for others
        response.cache_control.public = False
        response.cache_control.private = True
    return response


def attachment_list(entry: Any) -> list[dict[str, str]]:
    """The "附件下载" list of an entry (catalog row): title, type, size and address of each file that exists."""
    files = content_files()
    found: list[dict[str, str]] = []
    for item in entry.value("attachments") or ():
        file = str(item.get("file") or "")
        size = files.size(f"media/{file}")
        if size is None:
            continue
        ext = file.rsplit(".", 1)[-1].lower()
        found.append(
            {
                "title": str(item.get("title") or ""),
                "type": type_label(ext),
                "size": size_label(size),
                "url": download_url(file),
            }
        )
    return found


def init_app(app: Flask) -> None:
    """Register the download route and the template's ``attachment_list``."""
    app.register_blueprint(bp)
    app.jinja_env.globals["attachment_list"] = attachment_list
