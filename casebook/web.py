"""Shared delivery helpers: absolute URLs, template filters and globals, error pages, the query limit."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, abort, current_app, render_template, request
from flask import url_for as flask_url_for
from werkzeug.exceptions import HTTPException

from .content import KIND_DIRS, KIND_LABELS, LOOP_PARTS
from .content.project_model import ADJUSTMENT_OUTCOMES
from .content.schema import (
    KIND_HEADINGS,
    PART_LABELS,
    PROJECT_LABELS,
    PROJECT_PART_LABELS,
    SCOPE_LABELS,
    STATUS_LABELS,
    VALUE_LABELS,
)
from .media import SIZES, srcset_for
from .render import chinese_date, headings, shorten, video_embed

logger = logging.getLogger(__name__)

KIND_ENDPOINT = {kind: f"public.{kind}" for kind in KIND_DIRS}
KIND_NAMES = {kind: KIND_HEADINGS[kind] for kind in KIND_DIRS}
"""List-page heading of each entry kind (from the one label table, ``content/schema.py``)."""
PART_NAMES = PART_LABELS
LIST_ENDPOINT = {
    "interview": "public.interviews",
    "salon": "public.salons",
    "local": "public.cases",
    "national": "public.shares",
}
"""The list page of each loop part: 微案例 (local cases) at ``/cases/``, 微分享 (national) at ``/shares/``."""
_warned: set[str] = set()
URL_MEMO_SIZE = 20_000
"""Built URLs remembered per process: a page builds ~30, and building one costs more than a lookup."""
QUERY_LIMIT = 6000
"""Bytes of query string the app reads; a longer one gets the Chinese 414 page. The longest the site
itself makes (200 Chinese characters in the search box, percent-encoded, plus every filter) is about
2,100 bytes, and anything gunicorn's old 4,094-byte line limit let through is still answered as
before (a search reads its first 200 characters); gunicorn (``server.py``) now passes request lines
of up to 8,190 bytes, so 6,000–8,100 bytes (~670–900 pasted Chinese characters) get this page."""


def url_for(endpoint: str, **values: Any) -> str:
    """``flask.url_for`` for a path on this site, remembered per script root (forgotten past URL_MEMO_SIZE).

    Routes never change while the app runs, so the same endpoint and arguments always give the same
    path. Anything special (``_external``, ``_anchor``, …) or unhashable goes to Flask every time.
    """
    if any(name.startswith("_") for name in values):
        return flask_url_for(endpoint, **values)
    try:
        key = (request.script_root, endpoint, *values.items())
        memo: dict[Any, str] = current_app.extensions["casebook.urls"]
        found = memo.get(key)
    except TypeError:  # an unhashable argument
        return flask_url_for(endpoint, **values)
    if found is None:
        found = flask_url_for(endpoint, **values)
        if len(memo) >= URL_MEMO_SIZE:
            memo.clear()
        memo[key] = found
    return found


def site_url() -> str:
    """The public base URL: CASEBOOK_SITE_URL, or this request's own host (with a warning)."""
    configured: str | None = current_app.config["CASEBOOK_SITE_URL"]
    if configured:
        return configured
    host = request.host_url.rstrip("/")
    if host not in _warned:
        _warned.add(host)
        logger.warning("CASEBOOK_SITE_URL is not set; absolute links use the request host %s", host)
    return host


def absolute(endpoint: str, **values: Any) -> str:
    """An absolute URL on the public site."""
    return site_url() + url_for(endpoint, **values)


def entry_url(entry: Any, external: bool = False) -> str:
    """URL of an entry row or search hit (``/cases/<slug>``; a project's ``/projects/<year>/<slug>``)."""
    if entry.kind == "project":
        url = url_for("projects.project", year=int(entry.year), slug=entry.slug)
    elif entry.kind == "learning":
        url = url_for("learning.record", slug=entry.slug)
    else:
        url = url_for(KIND_ENDPOINT[entry.kind], slug=entry.slug)
    return site_url() + url if external else url


def part_key(entry: Any) -> str:
    """interview / salon / local / national: the loop part an entry row fills."""
    part: int = entry.part
    return LOOP_PARTS[part]


def part_name(entry: Any) -> str:
    """一谈 / 微沙龙 / 微案例 / 微分享: the loop part an entry row fills."""
    return PART_NAMES[LOOP_PARTS[entry.part]]


def kind_label(item: Any, names: Mapping[str, str] = KIND_LABELS) -> str:
    """What an entry (row, search hit or staff item dict) is called: 微分享 for a national case,
    else its kind's name in ``names`` (default the short names: 一谈, 微沙龙, 微案例, 民生实事)."""
    if isinstance(item, Mapping):
        kind, scope = item["kind"], item.get("scope")
    else:
        kind, scope = item.kind, getattr(item, "scope", None)
    return PART_LABELS["national"] if kind == "case" and scope == "national" else names[kind]


def media_url(path: str | None) -> str | None:
    """A cover value as a URL: https URLs unchanged, media files under ``/media/``."""
    if not path:
        return None
    return path if "://" in path else url_for("public.media", path=path)


def media_srcset(path: str | None) -> str | None:
    """``srcset`` for a cover that is an uploaded picture (its 800 px copy first), else None."""
    if not path or "://" in path:
        return None
    url = url_for("public.media", path=path)
    return srcset_for(path, url.removesuffix(path))


TITLE_LIMIT = 60


def page_title(*parts: str) -> str:
    """``第1期·无主管楼院治理｜中原区社区治理案例库``: the page's own title first, at most
    ``TITLE_LIMIT`` characters (a longer one is cut with …; tabs and phones show little more)."""
    return shorten("｜".join([*(p for p in parts if p), current_app.config["CASEBOOK_SITE_NAME"]]), TITLE_LIMIT)


def with_query(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = {k: v for k, v in request.args.items()}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC timestamp in the configured time zone (CASEBOOK_TIMEZONE, default Beijing time)."""
    if value is None:
        return "—"
    zone = ZoneInfo(current_app.config["CASEBOOK_TIMEZONE"])
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).strftime(fmt)


def local_today() -> dt.date:
    """Today in the configured time zone (CASEBOOK_TIMEZONE, default Beijing time)."""
    return dt.datetime.now(ZoneInfo(current_app.config["CASEBOOK_TIMEZONE"])).date()


def _error(exc: HTTPException | Exception) -> tuple[str, int]:
    code = exc.code if isinstance(exc, HTTPException) and exc.code else 500
    if code >= 500:
        logger.exception("server error on %s", request.path, exc_info=exc)
    template = "errors/404.html" if code == 404 else "errors/error.html"
    return render_template(template, code=code), code


def _refuse_long_query() -> None:
    """A query string past QUERY_LIMIT (a pasted paragraph) is answered with the 414 page, not read."""
    if len(request.query_string) > QUERY_LIMIT:
        abort(414)


def _close_uploads(exc: BaseException | None) -> None:
    """Close the temporary files of an uploaded form now, also when the request was refused
    (expired token, too large) before any view read them: Werkzeug's ``Request.close`` closes every
    parsed file (all of a repeated field, which ``files.values()`` would miss) and parses nothing."""
    request.close()


def init_app(app: Flask) -> None:
    """Register filters, globals, error pages and the query limit (security headers: ``headers.py``)."""
    app.jinja_env.filters["cndate"] = chinese_date
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["toc"] = headings
    app.extensions["casebook.urls"] = {}
    app.jinja_env.globals.update(
        url_for=url_for,
        KIND_LABELS=KIND_LABELS,
        KIND_ENDPOINT=KIND_ENDPOINT,
        KIND_NAMES=KIND_NAMES,
        PART_NAMES=PART_NAMES,
        SCOPE_NAMES=SCOPE_LABELS,
        LIST_ENDPOINT=LIST_ENDPOINT,
        kind_label=kind_label,
        STATUS_LABELS=STATUS_LABELS,
        VALUE_LABELS=VALUE_LABELS,
        PROJECT_LABELS=PROJECT_LABELS,
        PROJECT_PART_LABELS=PROJECT_PART_LABELS,
        ADJUSTMENT_OUTCOMES=ADJUSTMENT_OUTCOMES,
        entry_url=entry_url,
        media_url=media_url,
        media_srcset=media_srcset,
        MEDIA_SIZES=SIZES,
        part_name=part_name,
        part_key=part_key,
        page_title=page_title,
        with_query=with_query,
        video_embed=video_embed,
        absolute=absolute,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.before_request(_refuse_long_query)  # registered first: before the page cache or a session is looked at
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(Exception, _error)
    app.teardown_request(_close_uploads)

    @app.context_processor
    def _site() -> dict[str, Any]:
        return {"site_name": app.config["CASEBOOK_SITE_NAME"], "icp": app.config["CASEBOOK_ICP"]}
