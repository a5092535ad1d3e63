"""Security headers on every response; the page's Content-Security-Policy from what it rendered.

Templates call ``csp_allow``/``csp_use`` (and the ``prose`` filter for stored body HTML) while they
render; ``csp.Sources`` collects that in ``g`` and the after-request hook turns it into the header.
A page served from the page cache keeps the header it was stored with (see ``init_app``).

Referrer-Policy is ``same-origin``: this site's own requests keep their full referrer, which
Flask-WTF's CSRF check requires over https, while other sites get none — not the JS-SDK host or
the video players (which read nothing from it), and not WeChat's picture servers (mmbiz.qpic.cn),
which refuse pictures whose referrer is another site but serve them without one.
"""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, g, request
from markupsafe import Markup

from .csp import HSTS, PERMISSIONS_POLICY, WECHAT_JSSDK, Sources

_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="(https?://[^"]+)"')
CSP = "Content-Security-Policy"


def page_sources() -> Sources:
    """This request's collected CSP sources."""
    sources: Sources | None = g.get("csp_sources")
    if sources is None:
        sources = g.csp_sources = Sources()
    return sources


def csp_allow(directive: str, url: str | None) -> str:
    """Template global: this page loads ``url`` (its origin is allowed under ``directive``); renders nothing."""
    page_sources().allow(directive, url)
    return ""


def csp_use(feature: str) -> str:
    """Template global: this page uses a named feature (``csp.FEATURES``); renders nothing."""
    page_sources().use(feature)
    return ""


def prose(html: str | None) -> Markup:
    """Filter for stored, sanitized body HTML: output as is, its outside pictures allowed by the page's CSP."""
    text = html or ""
    sources = page_sources()
    for url in _IMG_SRC.findall(text):
        sources.allow("img-src", url.replace("&amp;", "&"))
    return Markup(text)  # sanitized by nh3 at sync time: trusted as |safe trusted it before


def _https() -> bool:
    site: str = current_app.config.get("CASEBOOK_SITE_URL") or ""
    return site.startswith("https://") or request.is_secure


def _security_headers(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "text/html" and CSP not in headers:  # a cached page brings its own
        headers[CSP] = page_sources().header()
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")  # frame-ancestors 'self' for browsers without CSP 2
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if _https():
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    """The template helpers and the header hook. Call after ``pagecache.init_app``: Flask runs
    after-request hooks last-registered first, so the headers are set before the cache stores a page."""
    app.jinja_env.globals.update(csp_allow=csp_allow, csp_use=csp_use, WECHAT_JSSDK=WECHAT_JSSDK)
    app.jinja_env.filters["prose"] = prose
    app.after_request(_security_headers)
