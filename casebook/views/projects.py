"""民生实事 pages: the years, a year's board (and its CSV), one project's life."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from .. import project_board, project_feed
from ..content.project_model import PROJECT_LABEL, STAGES, milestone_label, plain_number
from ..db import db
from ..numbers import exact_text, readable_with_unit
from ..web import page_title, site_url

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.app_template_filter("plain")
def _plain(value: Decimal | int | None) -> str:
    """Exact number text without exponent or trailing zeros."""
    return "" if value is None else plain_number(Decimal(value))


@bp.app_template_filter("readable")
def _readable(value: Decimal | int | None, unit: str = "") -> str:
    """A figure with its unit as people read it (``82万平方米``); empty for None. See ``numbers.py``."""
    return readable_with_unit(value, unit)


@bp.app_template_filter("figure")
def _figure(value: Decimal | int | None, unit: str = "") -> Markup:
    """``<data value="820000">82万平方米</data>``: read in 万, the exact value kept (and in ``title``
    when it differs); the class keeps figure and unit on one line. ``—`` for None."""
    if value is None:
        return Markup("—")
    exact, shown = exact_text(value), readable_with_unit(value, unit)
    title = "" if shown == exact + unit else Markup(' title="{}"').format(exact + unit)
    return Markup('<data class="figure" value="{}"{}>{}</data>').format(exact, title, escape(shown))


@bp.app_template_filter("month_or_day")
def _month_or_day(value: str) -> str:
    return milestone_label(value)


@bp.get("/")
def years() -> ResponseReturnValue:
    return render_template(
        "projects/years.html", years=project_board.years(db.session), title=page_title(PROJECT_LABEL)
    )


def _board_or_404(year: int) -> project_board.Board:
    found = project_board.board(db.session, year, request.args)
    if found is None:
        abort(404)
    return found


@bp.get("/<int(max=9999):year>")
def board(year: int) -> ResponseReturnValue:
    result = _board_or_404(year)
    query: dict[str, Any] = dict(result.filters)
    return render_template(
        "projects/board.html",
        board=result,
        stages=STAGES,
        csv_url=url_for("projects.board_csv", year=year, **query),
        title=page_title(f"{year}年{PROJECT_LABEL}"),
    )


@bp.get("/<int(max=9999):year>.csv")
def board_csv(year: int) -> ResponseReturnValue:
    result = _board_or_404(year)
    filename = f"minsheng-shishi-{year}.csv"
    return Response(
        project_board.csv_text(result).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.get("/<int(max=9999):year>/<slug>")
def project(year: int, slug: str) -> ResponseReturnValue:
    row = project_board.get_project(db.session, slug)
    if row is None:
        abort(404)
    if row.year != year:  # the slug is unique across years: send a wrong year to the right page
        return redirect(url_for("projects.project", year=row.year, slug=slug), 301)
    evidence = [key for m in row.milestones for key in m.evidence if "://" not in key]
    entries = project_board.entries_by_key(db.session, [*row.related, *evidence])
    return render_template(
        "projects/project.html",
        project=row,
        entries=entries,
        related=[entries[key] for key in row.related if key in entries],
        topics=project_board.project_topics(db.session, row),
        recent=project_feed.recent(row),
        title=page_title(row.title, f"{row.year}年{PROJECT_LABEL}"),
    )


def _atom(body: str) -> Response:
    return Response(body, mimetype="application/atom+xml")


@bp.get("/<int(max=9999):year>/feed.xml")
def year_feed(year: int) -> ResponseReturnValue:
    found = project_feed.year_items(db.session, year)
    if found is None:
        abort(404)
    rows, items = found
    site = site_url()
    body = render_template(
        "projects/feed.xml",
        items=items,
        feed_id=project_feed.tag_uri(site, year, url_for("projects.year_feed", year=year)),
        feed_title=f"{year}年{PROJECT_LABEL}·进展",
        page_url=url_for("projects.board", year=year),
        self_url=url_for("projects.year_feed", year=year),
        updated=project_feed.feed_updated(items, rows),
        tag_uri=project_feed.tag_uri,
        base=site,
    )
    return _atom(body)


@bp.get("/<int(max=9999):year>/<slug>/feed.xml")
def project_feed_xml(year: int, slug: str) -> ResponseReturnValue:
    row = project_board.get_project(db.session, slug)
    if row is None or row.year != year:
        abort(404)
    items = project_feed.project_items(row)
    site = site_url()
    body = render_template(
        "projects/feed.xml",
        items=items,
        feed_id=project_feed.tag_uri(site, year, url_for("projects.project_feed_xml", year=year, slug=slug)),
        feed_title=f"{row.title}·进展",
        page_url=url_for("projects.project", year=year, slug=slug),
        self_url=url_for("projects.project_feed_xml", year=year, slug=slug),
        updated=project_feed.feed_updated(items, [row]),
        tag_uri=project_feed.tag_uri,
        base=site,
    )
    return _atom(body)
