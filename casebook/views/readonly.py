"""A reader instance (``CASEBOOK_INSTANCE=reader``) refuses staff work with a page linking the writer.

Readers serve the public site from the database. They accept what residents post (征集 proposals,
评议 ratings) and staff login/logout (database only); every other write, and every staff page (the
editor, settings, imports and exports need the writer's content folder), gets one Chinese page with
a link to the same path on the writer (``CASEBOOK_WRITER_URL``), status 503.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue

ACCEPTED = frozenset({"auth.login", "auth.logout", "proposals.propose", "projects.rate", "static"})
"""Endpoints a reader serves for every method: the public forms and staff login/logout."""
STAFF_BLUEPRINTS = frozenset({"staff", "staff_import", "staff_proposals", "staff_settings", "share_staff", "word"})
"""Blueprints of staff pages: refused on a reader even for GET."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writer_link(writer_url: str | None) -> str | None:
    """The same path (and query) on the writer, or None when the writer's address is not set."""
    if not writer_url:
        return None
    query = request.query_string.decode("utf-8", "replace")
    return writer_url.rstrip("/") + request.path + (f"?{query}" if query and request.method in SAFE_METHODS else "")


def refuse_on_reader() -> ResponseReturnValue | None:
    """``before_request`` on a reader: the read-only page for staff pages and writes, else nothing."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in ACCEPTED:
        return None
    staff_page = endpoint.split(".", 1)[0] in STAFF_BLUEPRINTS
    if not staff_page and request.method in SAFE_METHODS:
        return None
    link = writer_link(current_app.config.get("CASEBOOK_WRITER_URL"))
    return render_template("errors/read_only.html", writer_link=link), 503


def init_app(app: Flask) -> None:
    """Install the refusal on a reader; a writer (the default) is unchanged."""
    if app.config.get("CASEBOOK_INSTANCE") == "reader":
        app.before_request(refuse_on_reader)
