"""Staff-only sharing tools: view statistics with a small SVG chart, and the 公众号 export.

One blueprint (``share_staff``) so one guard protects all of it. It has no ``url_prefix``: the
statistics live under ``/staff/stats/…`` while the exports sit next to the pages they export
(``/topics/<slug>/gzh``, ``/interviews/<slug>/gzh``, …), as staff expect to find them.
Every page needs a logged-in staff user (``auth.staff_only`` on the blueprint).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from .. import project_board, queries
from ..content import KIND_DIRS
from ..db import db
from ..share import gzh, stats
from ..share.counter import SOURCE_LABELS, today
from ..staff import queries as staff_queries
from ..web import KIND_ENDPOINT, absolute, page_title, site_url
from .auth import staff_only
from .share import entry_share_url, project_or_404, project_share_url, topic_share_url

bp = Blueprint("share_staff", __name__)
bp.before_request(staff_only)

_KIND_OF_DIR = {folder: kind for kind, folder in KIND_DIRS.items()}
THEME = "gzh-theme.css"


def _theme_css() -> str:
    return (Path(current_app.static_folder or "static") / THEME).read_text(encoding="utf-8")


def _days() -> int:
    return max(7, min(request.args.get("days", 30, type=int) or 30, 366))


@bp.get("/staff/stats/")
def stats_index() -> ResponseReturnValue:
    days = _days()
    since = today() - dt.timedelta(days=days - 1)
    rows = stats.most_viewed(db.session, since)
    topics = queries.topic_map(db.session)
    titles = staff_queries.entry_titles(db.session, [(k, s) for k, s, _ in rows if k not in ("topic", "project")])
    projects = staff_queries.project_titles(db.session, [s for k, s, _ in rows if k == "project"])
    items = []
    for kind, slug, views in rows:
        if kind == "topic":
            label = topics[slug].label if slug in topics else slug
            url = url_for("share_staff.topic_stats", slug=slug)
        elif kind == "project":
            label = f"{projects[slug]}（民生实事）" if slug in projects else slug
            url = url_for("share_staff.project_stats", slug=slug)
        elif kind in KIND_DIRS:
            label = titles.get((kind, slug), slug)
            url = url_for("share_staff.entry_stats", kind_dir=KIND_DIRS[kind], slug=slug)
        else:
            continue
        items.append({"kind": kind, "slug": slug, "label": label, "views": views, "url": url})
    return render_template("share_staff/stats_index.html", items=items, days=days, title=page_title("访问统计"))


def _stats_page(kind: str, slug: str, label: str, page_url: str) -> ResponseReturnValue:
    series = stats.series(db.session, kind, slug, today(), _days())
    chart = Markup(stats.chart_svg(series, f"{label}：近{len(series.dates)}天每日访问量（按来源）"))
    return render_template(
        "share_staff/stats.html",
        label=label,
        page_url=page_url,
        series=series,
        chart=chart,
        sources=SOURCE_LABELS,
        title=page_title("访问统计", label),
    )


@bp.get("/staff/stats/topics/<slug>")
def topic_stats(slug: str) -> ResponseReturnValue:
    topic = queries.get_topic(db.session, slug)
    if topic is None:
        abort(404)
    return _stats_page("topic", slug, topic.label, absolute("public.topic", slug=slug))


@bp.get("/staff/stats/<any(interviews, salons, cases):kind_dir>/<slug>")
def entry_stats(kind_dir: str, slug: str) -> ResponseReturnValue:
    kind = _KIND_OF_DIR[kind_dir]
    entry = queries.get_entry(db.session, kind, slug)
    if entry is None:
        abort(404)
    return _stats_page(kind, slug, entry.title, absolute(KIND_ENDPOINT[kind], slug=slug))


@bp.get("/staff/stats/projects/<slug>")
def project_stats(slug: str) -> ResponseReturnValue:
    row = project_board.get_project(db.session, slug)
    if row is None:
        abort(404)
    return _stats_page("project", slug, row.title, project_share_url(row.year, slug))


CLOSING = "长按识别二维码，或点击文末“阅读原文”，查看全文和本期“一谈三微”全部内容。"


def _export(
    template: str, read_more: str, qr_png: str, sample: bool, label: str, closing: str = CLOSING, **context: Any
) -> ResponseReturnValue:
    """Render the content, number its external links, wrap it, inline the theme."""
    site = site_url()
    context["clean"] = lambda body: Markup(gzh.clean_body(body, site))
    notes = gzh.Footnotes()
    content = gzh.footnote_links(render_template(template, **context), notes)
    fragment = render_template(
        "share_staff/gzh_wrap.html",
        content=Markup(content),
        notes=notes,
        read_more=read_more,
        qr_png=qr_png,
        sample=sample,
        label=label,
        closing=closing,
    )
    article = gzh.inline_styles(fragment, _theme_css())
    if request.args.get("raw"):
        return Response(article, mimetype="text/html")
    return render_template(
        "share_staff/gzh.html",
        article=Markup(article),
        source=article,
        read_more=read_more,
        label=label,
        title=page_title("公众号导出", label),
    )


@bp.get("/topics/<slug>/gzh")
def topic_gzh(slug: str) -> ResponseReturnValue:
    topic = queries.get_topic(db.session, slug)
    if topic is None:
        abort(404)
    parts = queries.topic_entries(db.session, slug)
    sample = topic.example or any(e.sample for items, _ in parts.values() for e in items)
    return _export(
        "share_staff/gzh_topic.html",
        read_more=topic_share_url(slug, "gzh"),
        qr_png=absolute("share.topic_qr_png", slug=slug),
        sample=sample,
        label=topic.label,
        topic=topic,
        parts=parts,
        part_list=queries.PARTS,
        entry_link=lambda e: entry_share_url(e.kind, e.slug, "gzh"),
    )


@bp.get("/<any(interviews, salons, cases):kind_dir>/<slug>/gzh")
def entry_gzh(kind_dir: str, slug: str) -> ResponseReturnValue:
    kind = _KIND_OF_DIR[kind_dir]
    entry = queries.get_entry(db.session, kind, slug)
    if entry is None:
        abort(404)
    topic = queries.get_topic(db.session, entry.topic)
    return _export(
        "share_staff/gzh_entry.html",
        read_more=entry_share_url(kind, slug, "gzh"),
        qr_png=absolute("share.entry_qr_png", kind_dir=kind_dir, slug=slug),
        sample=entry.sample,
        label=entry.title,
        entry=entry,
        topic=topic,
    )


@bp.get("/projects/<int(max=9999):year>/<slug>/gzh")
def project_gzh(year: int, slug: str) -> ResponseReturnValue:
    row = project_or_404(year, slug)
    return _export(
        "share_staff/gzh_project.html",
        read_more=project_share_url(year, slug, "gzh"),
        qr_png=absolute("share.project_qr_png", year=year, slug=slug),
        sample=row.sample,
        label=row.title,
        closing="长按识别二维码，或点击文末“阅读原文”，查看这件民生实事的票决、进展和指标完成情况。",
        project=row,
    )
