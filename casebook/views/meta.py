"""Machine-facing pages: Atom feed, sitemap, robots.txt, health check, the 公众号 domain check file."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from .. import communities, learning_board, project_board, queries
from ..content import KINDS
from ..db import db
from ..web import absolute, site_url

logger = logging.getLogger(__name__)
bp = Blueprint("meta", __name__)

FEED_SIZE = 30


@bp.get("/feed.xml")
def feed() -> ResponseReturnValue:
    entries: list[Any] = queries.latest(db.session, FEED_SIZE, cards=False)
    entries += project_board.latest(db.session, FEED_SIZE)
    entries = sorted(entries, key=lambda e: (e.date, e.kind == "project"), reverse=True)[:FEED_SIZE]
    body = render_template("meta/feed.xml", entries=entries, topics=queries.topic_map(db.session), base=site_url())
    return Response(body, mimetype="application/atom+xml")


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    entries = queries.sitemap_entries(db.session)
    learning = learning_board.sitemap_rows(db.session)
    names = sorted({*communities.sitemap_names(db.session), *(row.community for row in learning)})
    body = render_template(
        "meta/sitemap.xml",
        entries=entries,
        topics=queries.topics(db.session),
        projects=project_board.sitemap_rows(db.session),
        project_years=[y.year for y in project_board.years(db.session)],
        communities=names,
        learning=learning,
        base=site_url(),
    )
    return Response(body, mimetype="application/xml")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers that ask for the old address get the site's icon (an SVG) instead of a 404."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    text = f"User-agent: *\nDisallow: /staff/\nSitemap: {absolute('meta.sitemap')}\n"
    return Response(text, mimetype="text/plain")


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        counts = queries.entry_counts(db.session)
        problems = queries.problem_count(db.session)
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", message="database unreachable"), 503
    return jsonify(status="ok", entries={k: counts.get(k, 0) for k in KINDS}, problems=problems)


VERIFY_NAME = re.compile(r"MP_verify_[A-Za-z0-9]{1,64}\.txt")
"""The name the 公众号 platform gives its domain check file (JS接口安全域名, 网页授权域名)."""


def init_verify_file(app: Flask) -> None:
    """Serve ``CASEBOOK_WECHAT_VERIFY_FILE`` at ``/<its name>``: only that name, only a file named like
    ``MP_verify_*.txt`` (a mistyped setting must not publish some other file). A missing or unreadable
    file is a warning here and a 404 until it can be read; the file is read on each request, so a new
    download replaces it without a restart."""
    configured = app.config.get("CASEBOOK_WECHAT_VERIFY_FILE")
    if not configured:
        return
    path = Path(str(configured)).expanduser().resolve()
    if not VERIFY_NAME.fullmatch(path.name):
        logger.warning(
            "CASEBOOK_WECHAT_VERIFY_FILE=%s is not served: the 公众号 check file is named MP_verify_<letters>.txt",
            configured,
        )
        return
    try:
        path.read_bytes()
    except OSError as exc:
        logger.warning(
            "CASEBOOK_WECHAT_VERIFY_FILE=%s cannot be read (%s): /%s answers 404 until it can", path, exc, path.name
        )

    def wechat_verify() -> ResponseReturnValue:
        try:
            data = path.read_bytes()
        except OSError as exc:
            logger.warning("CASEBOOK_WECHAT_VERIFY_FILE=%s cannot be read (%s)", path, exc)
            abort(404)
        return Response(data, mimetype="text/plain")

    app.add_url_rule(f"/{path.name}", "wechat_verify", wechat_verify, methods=["GET"])
