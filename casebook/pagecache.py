"""A per-process cache of rendered public pages, keyed by the catalog generation in the database.

Pages only change when the catalog does, and every change bumps the generation stored in the
database, so each server process checks one small row per request and reuses what it already
rendered for that generation. Nothing here is shared state: a process that never saw a page
simply renders it, and all processes agree because the generation lives in the database.

The entry map of ``entry_graph`` (what topic, share, home and entry pages compute from every
published entry) and the set of uploads published texts use (``catalog.uploads``, which ``/media/``
checks) are kept here too, per process and generation, whether or not pages are cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf

from .catalog import generation
from .catalog.uploads import PublishedUploads
from .db import db
from .entry_graph import EntryGraph, GraphCache
from .participation import ratings

CACHEABLE = frozenset(
    {
        "public.home",
        "public.topic",
        "public.interviews",
        "public.salons",
        "public.cases",
        "public.shares",
        "public.interview",
        "public.salon",
        "public.case",
        "public.tag",
        "public.street",
        "meta.feed",
        "meta.sitemap",
        "meta.robots",
        "projects.years",
        "projects.board",
        "projects.board_csv",
        "projects.project",
        "projects.year_feed",
        "projects.project_feed_xml",
        "projects.ratings_csv",
        "communities.community",
        "share.topic_share",  # the page a 公众号 post links to: the busiest page right after a post
        "share.topic_card",
        "share.topic_card_pdf",  # a PDF renders in seconds: once per catalog generation and URL
        "share.topic_booklet_pdf",
    }
)
PARTICIPATION = "projects."
"""Pages of these endpoints also show residents' posts (ratings): their cache key includes the
participation counter (``participation.ratings.stamp``), which a post bumps without touching the
catalog generation (so the rest of the cache and the entry map stay)."""
CSRF_HOLE = b"__casebook-csrf-token__"
"""A cached page never holds one visitor's CSRF token: a page that rendered a public form (the rating
form on a project page) is stored with this marker in place of its token, and each visitor served
the cached copy gets a token of their own session in its place."""
_Key = tuple[int, int, str, str]
_Entry = tuple[bytes, int, list[tuple[str, str]]]


class PageCache:
    """Least-recently-used rendered responses, bounded by count and bytes."""

    def __init__(self, max_pages: int = 512, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_pages, self.max_bytes = max_pages, max_bytes
        self._pages: OrderedDict[_Key, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: _Key) -> _Entry | None:
        with self._lock:
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
            return found

    def put(self, key: _Key, value: _Entry) -> None:
        size = len(value[0])
        if size > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._pages:
                return
            self._pages[key] = value
            self._bytes += size
            while len(self._pages) > self.max_pages or self._bytes > self.max_bytes:
                _, (body, _, _) = self._pages.popitem(last=False)
                self._bytes -= len(body)


def current_generation() -> int:
    """The catalog generation this request reads (one small query, at most once per request)."""
    if "catalog_generation" not in g:
        g.catalog_generation = generation(db.session)
    value: int = g.catalog_generation
    return value


def entry_graph() -> EntryGraph:
    """This process's map of the published entries and topics, for the catalog generation of this request."""
    graphs: GraphCache = current_app.extensions["casebook.entry_graph"]
    return graphs.get(db.session, current_generation())


def published_uploads() -> frozenset[str]:
    """``"<year>/<16 hex>"`` of the uploads a published text uses, for this request's catalog generation."""
    uploads: PublishedUploads = current_app.extensions["casebook.published_uploads"]
    return uploads.get(db.session, current_generation())


def init_app(app: Flask) -> None:
    """Serve cached copies of public GET pages; store fresh ones; keep the entry map."""
    cache = PageCache()
    app.extensions["casebook.pagecache"] = cache
    app.extensions["casebook.entry_graph"] = GraphCache()
    app.extensions["casebook.published_uploads"] = PublishedUploads()

    @app.before_request
    def _serve_cached() -> ResponseReturnValue | None:
        if request.method != "GET" or request.endpoint not in CACHEABLE or not app.config["CASEBOOK_PAGE_CACHE"]:
            return None
        posts = ratings.stamp(db.session) if (request.endpoint or "").startswith(PARTICIPATION) else 0
        key = (current_generation(), posts, request.host_url, request.full_path)
        g.page_cache_key = key
        found = cache.get(key)
        if found is None:
            return None
        body, status, headers = found
        if CSRF_HOLE in body:
            body = body.replace(CSRF_HOLE, generate_csrf().encode())
        return Response(body, status=status, headers=headers)

    @app.after_request
    def _store(response: Response) -> Response:
        key = g.pop("page_cache_key", None)
        if key is not None and response.status_code == 200 and not response.direct_passthrough:
            headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("set-cookie", "content-length")]
            body = response.get_data()
            token = g.get("csrf_token")
            if token:
                body = body.replace(str(token).encode(), CSRF_HOLE)
            cache.put(key, (body, response.status_code, headers))
        return response
