"""The Content-Security-Policy of a page: one strict policy, widened only by what that page shows.

Every page may run scripts from this site only (no inline script or event handler: they live in
``static/``), may be framed only by this site, and frames nothing. A template that shows something
from elsewhere says so while it renders — ``allow(directive, url)`` for an outside cover or picture,
a video file or a video player, ``use(feature)`` for the WeChat JS-SDK or the editor's live preview —
so only that page's header names that host. Pure: no Flask (``headers.py`` keeps one ``Sources`` per
request and writes the header).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .video import BILI_PLAYER, QQ_PLAYER

WECHAT_JSSDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
"""WeChat's JS-SDK, loaded by pages with a share card when a 公众号 is configured."""

BASE: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    # style attributes (the 公众号 export, the card's print styles) need 'unsafe-inline'; styles run no code
    "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'",),
    "media-src": ("'self'",),
    "frame-src": ("'none'",),
    "connect-src": ("'self'",),
    "font-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'self'",),
}
"""Every page's policy before ``allow``/``use`` widen it; directives in this order."""

_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def origin(url: str | None) -> str | None:
    """``https://host[:port]`` of an http(s) URL, else None. Only plain host names pass, so nothing
    taken from content (a ``;``, a space, a ``*``) can add a directive or a wildcard to the header."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return None
    if not _HOST.fullmatch(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


FEATURES: dict[str, dict[str, tuple[str, ...]]] = {
    # the SDK itself; its usage ping (an image sent to open.weixin.qq.com with the page's address) stays
    # blocked on purpose: the share card does not depend on it
    "wechat-jssdk": {"script-src": (str(origin(WECHAT_JSSDK)),)},
    # the editor's live preview shows whatever video or picture address staff type
    "live-preview": {
        "frame-src": (str(origin(QQ_PLAYER)), str(origin(BILI_PLAYER))),
        "img-src": ("https:", "http:"),
        "media-src": ("https:", "http:"),
    },
    # the 公众号 export shows its pictures at the site's absolute address (and outside ones as they are)
    "outside-pictures": {"img-src": ("https:", "http:")},
}
"""Named widenings a template asks for with ``use``."""


class Sources:
    """What one page loads from elsewhere, collected while it renders."""

    def __init__(self) -> None:
        self._extra: dict[str, list[str]] = {}

    def _add(self, directive: str, source: str) -> None:
        if directive not in BASE:
            raise ValueError(f"unknown CSP directive {directive!r}")
        found = self._extra.setdefault(directive, [])
        if source not in found and source not in BASE[directive]:
            found.append(source)

    def allow(self, directive: str, url: str | None) -> None:
        """Let this page load ``url``'s origin under ``directive`` (nothing for a URL on this site)."""
        found = origin(url)
        if found is not None:
            self._add(directive, found)

    def use(self, feature: str) -> None:
        """Let this page use a named feature (``FEATURES``)."""
        for directive, sources in FEATURES[feature].items():
            for source in sources:
                self._add(directive, source)

    def header(self) -> str:
        """The ``Content-Security-Policy`` value."""
        parts = []
        for directive, base in BASE.items():
            extra = self._extra.get(directive, [])
            sources = [*(s for s in base if s != "'none'" or not extra), *extra]
            parts.append(" ".join([directive, *sources]))
        return "; ".join(parts)


PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
)
"""Powerful features no page uses, off for the page and anything it frames. Fullscreen, autoplay and
picture-in-picture keep their defaults: the video players' buttons need them."""

HSTS = "max-age=31536000"
"""A year of https only. No ``includeSubDomains``: the site may share its parent domain with other
sites (a district government's) that are not all on https."""
