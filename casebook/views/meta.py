"""Machine-facing pages: Atom feed, sitemap, robots.txt, health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from .. import project_board, queries
from ..content import KINDS
from ..db import db
from ..web import absolute, site_url

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
    body = render_template(
        "meta/sitemap.xml",
        entries=entries,
        topics=queries.topics(db.session),
        projects=project_board.sitemap_rows(db.session),
        project_years=[y.year for y in project_board.years(db.session)],
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
