"""The content files a view reads (``stored_files``): the app's store and sending one file."""

from __future__ import annotations

import io

from flask import Response, current_app, send_file

from ..stored_files import ContentFiles, Found


def content_files() -> ContentFiles:
    """This server's store: the content folder (writer) or the database copies (reader)."""
    files: ContentFiles = current_app.extensions["casebook.files"]
    return files


def send_found(found: Found, mimetype: str, max_age: int) -> Response:
    """``found`` as a conditional response (ETag, Last-Modified, ranges), never sniffed by the browser."""
    if found.path is not None:
        response = send_file(found.path, mimetype=mimetype, max_age=max_age, conditional=True)
    else:
        response = send_file(
            io.BytesIO(found.data or b""),
            mimetype=mimetype,
            max_age=max_age,
            conditional=True,
            etag=found.etag or False,
            last_modified=found.modified,
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
