"""民生实事 pages: the years, a year's board (and its CSV), one project's life."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from .. import project_board, project_feed
from ..content.project_model import PROJECT_LABEL, STAGES, milestone_label, plain_number
from ..db import db
from ..numbers import exact_text, readable_with_unit
from ..participation import ratings
from ..project_rows import ProjectRow
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
    found = ratings.results(db.session, [(p.key, p.survey) for p in result.projects])
    return render_template(
        "projects/board.html",
        board=result,
        stages=STAGES,
        csv_url=url_for("projects.board_csv", year=year, **query),
        ratings=found,
        rating_year=ratings.year_result(found),
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
    return render_project(row)


COMMENTS_SHOWN = 10
"""Approved comments per page of a project (newest first; ``?cpage=2`` for older ones)."""
RATED_NOTES = {"new": "感谢您参与评议！您的评议已计入下面的结果；填写的意见经工作人员审核后公开显示。"}
RATED_NOTES["replaced"] = (
    "您之前已评议过这个项目：同一浏览器对同一项目只保留一份评议，刚才提交的已替换之前的评议"
    "（结果已更新；新填写的意见经审核后公开显示）。"
)


def render_project(
    row: ProjectRow, rating_form: Mapping[str, str] | None = None, message: str = "", code: int = 200
) -> tuple[str, int]:
    """A project's page; with ``rating_form``/``message`` its rating form comes back as typed, with the reason."""
    evidence = [key for m in row.milestones for key in m.evidence if "://" not in key]
    entries = project_board.entries_by_key(db.session, [*row.related, *evidence])
    cpage = min(max(1, request.args.get("cpage", 1, type=int) or 1), 100_000)
    comments, comment_total = ratings.approved_comments(
        db.session, row.key, COMMENTS_SHOWN, (cpage - 1) * COMMENTS_SHOWN
    )
    html = render_template(
        "projects/project.html",
        project=row,
        entries=entries,
        related=[entries[key] for key in row.related if key in entries],
        topics=project_board.project_topics(db.session, row),
        recent=project_feed.recent(row),
        title=page_title(row.title, f"{row.year}年{PROJECT_LABEL}"),
        rating=ratings.results(db.session, [(row.key, row.survey)])[row.key],
        rateable=row.stage in ratings.RATED_STAGES,
        comments=comments,
        comment_page=cpage,
        comment_more=comment_total > cpage * COMMENTS_SHOWN,
        comment_total=comment_total,
        rating_form=rating_form or {},
        rating_message=message,
        rated_note="" if rating_form is not None else RATED_NOTES.get(request.args.get("rated", ""), ""),
        choices=ratings.CHOICES,
        comment_limit=ratings.COMMENT_LIMIT,
        token_days=ratings.TOKEN_DAYS,
    )
    return html, code


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
