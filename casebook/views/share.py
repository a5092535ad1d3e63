"""Public sharing: the share page and A4 card of a topic, QR codes, the JS-SDK config, view counting.

``init_app`` registers this blueprint, the ``?from=`` view counter (an ``after_request`` hook, so
pages served from the page cache are counted too) and the template helpers ``share_meta`` and
``wechat_enabled`` used by ``templates/_share.html``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from .. import project_board, queries
from ..content import KIND_DIRS
from ..db import db
from ..entry_graph import Topic
from ..models import EntryRow, TopicRow
from ..pagecache import entry_graph
from ..pdf import PdfBusy, Source, html_to_pdf
from ..project_rows import ProjectRow
from ..render import shorten
from ..share.counter import ViewCounter, source_of
from ..share.qr import qr_png, qr_svg
from ..share.token_store import token_store
from ..web import KIND_ENDPOINT, absolute, media_url, page_title, site_url, url_for
from ..wechat import WeChatClient, WeChatError
from .files import content_files

logger = logging.getLogger(__name__)

bp = Blueprint("share", __name__)

COUNTED: dict[str, str] = {
    "public.topic": "topic",
    "share.topic_share": "topic",
    "share.topic_card": "topic",
    **{f"public.{kind}": kind for kind in KIND_DIRS},
    "projects.project": "project",
}
"""Endpoints counted against a topic, an entry or a project (by their ``slug``, unique across years for
projects); other public pages count as ``page``."""
PAGE_BLUEPRINTS = frozenset({"public", "search", "projects"})
NOT_COUNTED = frozenset({"public.media", "projects.board_csv"})
QR_MAX_AGE = 86400
CARD_TITLE_LIMIT, CARD_DESCRIPTION_LIMIT = 32, 60
"""Characters of a share card's title and description (the rest is cut with …)."""


def _entry_title_or_404(kind: str, slug: str) -> str:
    title = queries.published_title(db.session, kind, slug)
    if title is None:
        abort(404)
    return title


def project_or_404(year: int, slug: str) -> ProjectRow:
    """The published project ``slug`` of ``year``; 404 when there is none (or it is another year's)."""
    row = project_board.get_project(db.session, slug)
    if row is None or row.year != year:
        abort(404)
    return row


def topic_share_url(slug: str, source: str | None = None) -> str:
    """The absolute share page of a topic, optionally tagged with ``?from=``."""
    return absolute("share.topic_share", slug=slug, **({"from": source} if source else {}))


def entry_share_url(kind: str, slug: str, source: str | None = None) -> str:
    return absolute(KIND_ENDPOINT[kind], slug=slug, **({"from": source} if source else {}))


def project_share_url(year: int, slug: str, source: str | None = None) -> str:
    """The absolute page of a 民生实事 project, optionally tagged with ``?from=``."""
    return absolute("projects.project", year=year, slug=slug, **({"from": source} if source else {}))


def share_meta(
    topic: TopicRow | Topic | None = None,
    entry: EntryRow | None = None,
    page: str = "",
    project: ProjectRow | None = None,
) -> dict[str, Any]:
    """What share affordances and og:* tags need for a topic page (``page`` = ``share``/``card``), an entry
    or a 民生实事 project."""
    if project is not None:
        cover = None
        meta: dict[str, Any] = {
            "title": project.title,
            "description": project.excerpt or f"{project.year}年民生实事：{project.title}（{project.lead}）",
            "url": project_share_url(project.year, project.slug),
            "qr_svg": url_for("share.project_qr_svg", year=project.year, slug=project.slug),
            "qr_png": url_for("share.project_qr_png", year=project.year, slug=project.slug),
            "qr_target": project_share_url(project.year, project.slug, "qr"),
            "type": "article",
        }
    elif entry is not None:
        cover = media_url(entry.cover)
        url = entry_share_url(entry.kind, entry.slug)
        meta = {
            "title": entry.title,
            "description": entry.summary or entry.excerpt,
            "url": url,
            "qr_svg": url_for("share.entry_qr_svg", kind_dir=KIND_DIRS[entry.kind], slug=entry.slug),
            "qr_png": url_for("share.entry_qr_png", kind_dir=KIND_DIRS[entry.kind], slug=entry.slug),
            "qr_target": entry_share_url(entry.kind, entry.slug, "qr"),
            "type": "article",
        }
    elif topic is not None:
        cover = media_url(topic.cover)
        url = topic_share_url(topic.slug) if page in ("share", "card") else absolute("public.topic", slug=topic.slug)
        meta = {
            "title": topic.label,
            "description": topic.summary or f"{topic.label}：一谈、微沙龙、微案例、微分享。",
            "url": url,
            "share_page": None if page == "share" else url_for("share.topic_share", slug=topic.slug),
            "card": url_for("share.topic_card", slug=topic.slug),
            "booklet": url_for("share.topic_booklet_pdf", slug=topic.slug),
            "qr_svg": url_for("share.topic_qr_svg", slug=topic.slug),
            "qr_png": url_for("share.topic_qr_png", slug=topic.slug),
            "qr_target": topic_share_url(topic.slug, "qr"),
            "type": "website",
        }
    else:
        raise ValueError("share_meta needs a topic or an entry")
    # WeChat's share card shows about this much; a longer text is cut there without a mark
    meta["title"] = shorten(meta["title"], CARD_TITLE_LIMIT)
    meta["description"] = shorten(meta["description"] or "", CARD_DESCRIPTION_LIMIT)
    if cover and "://" not in cover:
        cover = site_url() + cover
    meta["image"] = cover or absolute("static", filename="share-cover.png")
    meta["site_name"] = current_app.config["CASEBOOK_SITE_NAME"]
    return meta


def wechat_client() -> WeChatClient | None:
    """The configured 公众号 client, or None when AppID/AppSecret are not set."""
    app_id = current_app.config.get("CASEBOOK_WECHAT_APP_ID")
    secret = current_app.config.get("CASEBOOK_WECHAT_APP_SECRET")
    if not app_id or not secret:
        return None
    return WeChatClient(
        app_id,
        secret,
        cache_dir=current_app.config["CASEBOOK_DATA_DIR"],
        api_base=current_app.config["CASEBOOK_WECHAT_API_BASE"],
        store=token_store(db.engine),
    )


def wechat_enabled() -> bool:
    config = current_app.config
    return bool(config.get("CASEBOOK_WECHAT_APP_ID") and config.get("CASEBOOK_WECHAT_APP_SECRET"))


@bp.get("/topics/<slug>/share")
def topic_share(slug: str) -> ResponseReturnValue:
    graph = entry_graph()
    topic = graph.topics.get(slug) or abort(404)
    return render_template(
        "share/topic_share.html",
        topic=topic,
        parts=graph.topic_parts(slug, queries.PART_LIMIT),
        part_list=queries.PARTS,
        meta=share_meta(topic, page="share"),
        title=page_title(topic.label),
    )


def _card(slug: str, pdf: bool = False) -> tuple[Topic, str]:
    """A topic and its A4 card's HTML (``pdf``: without the buttons and script of the page)."""
    graph = entry_graph()
    topic = graph.topics.get(slug) or abort(404)
    html = render_template(
        "share/card.html",
        topic=topic,
        parts=graph.topic_parts(slug, queries.PART_LIMIT),
        part_list=queries.PARTS,
        meta=share_meta(topic, page="card"),
        qr=qr_svg(topic_share_url(slug, "qr"), "扫码阅读").decode("utf-8"),
        title=page_title(topic.label, "打印卡片"),
        pdf=pdf,
    )
    return topic, html


@bp.get("/topics/<slug>/card")
def topic_card(slug: str) -> ResponseReturnValue:
    return _card(slug)[1]


def _pdf(html: str, filename: str) -> Response:
    """``html`` as an inline PDF named ``filename`` (Chinese names by RFC 5987); 503 while another renders."""
    files = content_files()

    def media(rest: str) -> bytes | None:  # in the folder or the database, as /media/ serves it
        found = files.find(f"media/{rest}")
        return None if found is None else found.read()

    sources: dict[str, Source] = {"/media/": media, "/static/": Path(current_app.static_folder or "static")}
    try:
        body = html_to_pdf(html, site_url(), sources)
    except PdfBusy:
        response = Response("正在生成其他 PDF，请稍后再试。", status=503, mimetype="text/plain")
        response.headers["Retry-After"] = "30"
        return response
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=\"topic.pdf\"; filename*=UTF-8''{quote(filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/topics/<slug>/card.pdf")
def topic_card_pdf(slug: str) -> ResponseReturnValue:
    """The A4 card as a PDF, for browsers (WeChat's among them) that cannot print a page."""
    topic, html = _card(slug, pdf=True)
    return _pdf(html, f"第{topic.number}期 {topic.title} 卡片.pdf")


@bp.get("/topics/<slug>.pdf")
def topic_booklet_pdf(slug: str) -> ResponseReturnValue:
    """The whole loop of a topic as a booklet: cover, contents, every published entry with its pictures."""
    topic = entry_graph().topics.get(slug) or abort(404)
    html = render_template(
        "pdf/booklet.html",
        topic=topic,
        parts=queries.topic_articles(db.session, slug),
        part_list=queries.PARTS,
        meta=share_meta(topic, page="share"),
        qr=qr_svg(topic_share_url(slug, "qr"), "扫码阅读").decode("utf-8"),
        title=page_title(topic.label),
    )
    return _pdf(html, f"第{topic.number}期 {topic.title}.pdf")


def _image(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = QR_MAX_AGE
    return response


@bp.get("/topics/<slug>/qr.svg")
def topic_qr_svg(slug: str) -> ResponseReturnValue:
    topic = db.get_or_404(TopicRow, slug)
    return _image(qr_svg(topic_share_url(slug, "qr"), f"{topic.label} 二维码"), "image/svg+xml")


@bp.get("/topics/<slug>/qr.png")
def topic_qr_png(slug: str) -> ResponseReturnValue:
    db.get_or_404(TopicRow, slug)
    return _image(qr_png(topic_share_url(slug, "qr")), "image/png")


_KIND_OF_DIR = {folder: kind for kind, folder in KIND_DIRS.items()}


def _entry_kind(kind_dir: str) -> str:
    kind = _KIND_OF_DIR.get(kind_dir)
    if kind is None:
        abort(404)
    return kind


@bp.get("/<any(interviews, salons, cases):kind_dir>/<slug>/qr.svg")
def entry_qr_svg(kind_dir: str, slug: str) -> ResponseReturnValue:
    kind = _entry_kind(kind_dir)
    title = _entry_title_or_404(kind, slug)
    return _image(qr_svg(entry_share_url(kind, slug, "qr"), f"{title} 二维码"), "image/svg+xml")


@bp.get("/<any(interviews, salons, cases):kind_dir>/<slug>/qr.png")
def entry_qr_png(kind_dir: str, slug: str) -> ResponseReturnValue:
    kind = _entry_kind(kind_dir)
    _entry_title_or_404(kind, slug)
    return _image(qr_png(entry_share_url(kind, slug, "qr")), "image/png")


@bp.get("/projects/<int(max=9999):year>/<slug>/qr.svg")
def project_qr_svg(year: int, slug: str) -> ResponseReturnValue:
    row = project_or_404(year, slug)
    return _image(qr_svg(project_share_url(year, slug, "qr"), f"{row.title} 二维码"), "image/svg+xml")


@bp.get("/projects/<int(max=9999):year>/<slug>/qr.png")
def project_qr_png(year: int, slug: str) -> ResponseReturnValue:
    project_or_404(year, slug)
    return _image(qr_png(project_share_url(year, slug, "qr")), "image/png")


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return a.scheme in ("http", "https") and (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


@bp.get("/api/wechat/jssdk")
def jssdk() -> ResponseReturnValue:
    """``wx.config`` values for a page of this site; never the secret or the tokens."""
    client = wechat_client()
    if client is None:
        return jsonify(error="未配置微信公众号（CASEBOOK_WECHAT_APP_ID / CASEBOOK_WECHAT_APP_SECRET）"), 404
    url = request.args.get("url", "")
    if len(url) > 2000 or not _same_origin(url, site_url()):
        return jsonify(error="url 必须是本站页面的完整地址"), 400
    try:
        config = client.js_config(url)
    except WeChatError as exc:
        logger.warning("WeChat JS-SDK config unavailable, pages show the default share card: %s", exc)
        return jsonify(error="微信接口暂不可用，分享时将显示默认卡片"), 503
    response = jsonify(config.as_json())
    response.cache_control.no_store = True
    return response


def _count(response: Response) -> Response:
    """Count a served public page by ``?from=`` source; never fails the response."""
    try:
        endpoint = request.endpoint or ""
        if request.method != "GET" or response.status_code != 200 or endpoint in NOT_COUNTED:
            return response
        kind = COUNTED.get(endpoint)
        if kind is not None:
            slug = str((request.view_args or {}).get("slug", ""))
        elif request.blueprint in PAGE_BLUEPRINTS:
            kind, slug = "page", endpoint
        else:
            return response
        counter: ViewCounter = current_app.extensions["casebook.views"]
        counter.hit(kind, slug, source_of(request.args.get("from")))
    except Exception:
        logger.exception("view counting failed; page served anyway")
    return response


def init_app(app: Flask) -> None:
    """Register the blueprint, the view counter and the template helpers."""
    from ..share import models  # noqa: F401  (the view_count table, before create_all)

    engine = None

    def get_engine() -> Any:
        nonlocal engine
        if engine is None:
            with app.app_context():
                engine = db.engine
        return engine

    app.extensions["casebook.views"] = ViewCounter(get_engine)
    app.register_blueprint(bp)
    app.after_request(_count)
    app.jinja_env.globals.update(share_meta=share_meta, wechat_enabled=wechat_enabled)
