"""Security headers (issue 13, finding 3), through the HTTP client on a realistic library.

Every page carries a strict Content-Security-Policy (no inline script or handler anywhere: the
rendered pages are scanned), the WeChat JS-SDK and video player hosts appear only on pages that
use them, outside pictures only where a page shows them, HSTS only for https, a Permissions-Policy,
nosniff and a Referrer-Policy — on cached pages exactly as on fresh ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casebook import create_app, indexing
from casebook.catalog import sync
from casebook.csp import Sources, origin
from casebook.db import db

from .conftest import DEMO
from .staffkit import staff_client

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
QQ, BILI, MP4_HOST = "https://v.qq.com", "https://player.bilibili.com", "https://video.example.org"
JSSDK = "https://res.wx.qq.com"
PICTURES, BODY_PICTURES = "https://pics.example.org", "https://img.example.net"
VIDEO_HOSTS = (QQ, BILI, MP4_HOST)

EXTRA_ENTRIES = {
    "interviews/bili.md": "video: https://www.bilibili.com/video/BV1xx411c7mD?p=2",
    "interviews/txsp.md": "video: https://v.qq.com/x/page/m0012abcd3e.html",
    "salons/mp4.md": f"video: {MP4_HOST}/clip.mp4",
    "cases/waitu.md": f"cover: {PICTURES}/yard.jpg",
}
PAGE_CACHE_ENDPOINTS = ("/", "/topics/dianti-jiazhuang", "/interviews/bili", "/topics/dianti-jiazhuang/share")


def extra_entry(field: str, slug: str) -> str:
    body = f"正文。\n\n![外链图片]({BODY_PICTURES}/a.png)\n" if slug == "waitu" else "正文。\n"
    return f"---\ntitle: 外部资源 {slug}\ntopic: dianti-jiazhuang\ndate: 2023-05-01\n{field}\n---\n{body}"


def build(tmp_path: Path, **config: Any) -> Flask:
    content = tmp_path / "content"
    if not content.exists():
        import shutil

        shutil.copytree(DEMO, content)
        for path, field in EXTRA_ENTRIES.items():
            (content / path).write_text(extra_entry(field, Path(path).stem), encoding="utf-8")
    app = create_app({"TESTING": True, "CONTENT_DIR": content, "DATA_DIR": tmp_path / "data", **config})
    with app.app_context():
        sync(db.session, content)
        db.session.commit()
        indexing.rebuild(db.session, app.extensions["casebook.search"], content)
    return app


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield build(tmp_path_factory.mktemp("headers"), SITE_URL="https://cases.example.org")


@pytest.fixture(scope="module")
def wechat_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    yield build(
        tmp_path_factory.mktemp("headers-wechat"),
        SITE_URL="https://cases.example.org",
        WECHAT_APP_ID="wx0123456789abcdef",
        WECHAT_APP_SECRET="s" * 32,
    )


@pytest.fixture(scope="module")
def editor(library: Flask) -> FlaskClient:
    return staff_client(library, "审核老李", "reviewer")


PUBLIC_PAGES = {
    "home": "/",
    "topic": "/topics/dianti-jiazhuang",
    "interview": "/interviews/dianti-liuan",
    "salon": "/salons/dianti-yishi",
    "case": "/cases/dianti-liuan-qihao",
    "list": "/cases/?topic=dianti-jiazhuang",
    "tag": "/tags/加装电梯",
    "search": "/search?q=电梯",
    "project board": "/projects/2023",
    "project": "/projects/2023/jiazhuang-dianti",
    "share page": "/topics/dianti-jiazhuang/share",
    "card": "/topics/dianti-jiazhuang/card",
    "video (bilibili)": "/interviews/bili",
    "video (腾讯视频)": "/interviews/txsp",
    "video (mp4)": "/salons/mp4",
    "outside pictures": "/cases/waitu",
    "login": "/login",
    "404": "/cases/no-such-entry",
    "414": "/search?q=" + "长" * 2000,
}
STAFF_PAGES = {
    "dashboard": "/staff/",
    "editor (new)": "/staff/new/case?topic=dianti-jiazhuang",
    "editor (video)": "/staff/edit/interview/bili",
    "staff view": "/staff/view/interview/bili",
    "review": "/staff/review/case/fenlei-caogao",
    "gzh export": "/topics/dianti-jiazhuang/gzh",
    "entry export": "/interviews/bili/gzh",
    "history": "/staff/history/interview/dianti-liuan",
    "stats": "/staff/stats/",
    "entries": "/staff/entries",
}


def policy(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive → sources."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    found: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in found, f"{words[0]} twice in {header}"
            found[words[0]] = words[1:]
    return found


def assert_strict(csp: dict[str, list[str]], where: str) -> None:
    assert csp["default-src"] == ["'self'"], where
    assert csp["script-src"][0] == "'self'", where
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "https:", "http:", "data:"} & set(csp["script-src"]), where
    assert csp["object-src"] == ["'none'"], where
    assert csp["base-uri"] == ["'self'"], where
    assert csp["form-action"] == ["'self'"], where
    assert csp["frame-ancestors"] == ["'self'"], where
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"], where
    assert csp["connect-src"] == ["'self'"], where


class InlineCode(HTMLParser):
    """Inline scripts, event-handler attributes and ``javascript:`` URLs in an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.found.append(f"<script> without src: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "data") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"script text: {data.strip()[:60]}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_every_public_page_has_a_strict_policy_and_no_inline_code(library: Flask, name: str) -> None:
    response = library.test_client().get(PUBLIC_PAGES[name])
    assert response.mimetype == "text/html", name
    assert_strict(policy(response), name)
    assert inline_code(response.get_data(as_text=True)) == [], name


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_every_staff_page_has_a_strict_policy_and_no_inline_code(editor: FlaskClient, name: str) -> None:
    response = editor.get(STAFF_PAGES[name])
    assert response.status_code == 200, (name, response.status_code)
    assert_strict(policy(response), name)
    assert inline_code(response.get_data(as_text=True)) == [], name


def test_no_template_holds_an_inline_script_or_handler() -> None:
    """Templates no listed page renders are held to the same rule, by reading their source."""
    handler = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.DOTALL)
    inline_script = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(TEMPLATES).as_posix()
        assert not handler.search(text), f"{where}: an inline event handler"
        assert not inline_script.search(text), f"{where}: an inline <script>"
        assert "javascript:" not in text.lower(), f"{where}: a javascript: URL"


def test_video_player_hosts_appear_only_on_pages_that_embed_them(library: Flask) -> None:
    client = library.test_client()
    expected = {
        "/interviews/bili": ("frame-src", BILI),
        "/interviews/txsp": ("frame-src", QQ),
        "/salons/mp4": ("media-src", MP4_HOST),
    }
    for url, (directive, host) in expected.items():
        csp = policy(client.get(url))
        assert host in csp[directive], (url, csp)
        others = [h for h in VIDEO_HOSTS if h != host]
        assert not any(h in str(csp) for h in others), (url, csp)
    for name, url in PUBLIC_PAGES.items():
        if url in expected:
            continue
        header = client.get(url).headers["Content-Security-Policy"]
        assert not any(h in header for h in VIDEO_HOSTS), (name, header)
        assert "frame-src 'none'" in header, name


def test_the_editor_allows_both_players_for_its_live_preview_and_other_staff_pages_do_not(editor: FlaskClient) -> None:
    for url in ("/staff/new/case?topic=dianti-jiazhuang", "/staff/edit/interview/bili"):
        csp = policy(editor.get(url))
        assert QQ in csp["frame-src"] and BILI in csp["frame-src"], url
    for url in ("/staff/", "/staff/entries", "/staff/history/interview/dianti-liuan", "/topics/dianti-jiazhuang/gzh"):
        header = editor.get(url).headers["Content-Security-Policy"]
        assert QQ not in header and BILI not in header, url
    assert BILI in policy(editor.get("/staff/view/interview/bili"))["frame-src"]  # the staff preview shows the player


def test_the_jssdk_host_appears_only_where_the_share_card_is_set(library: Flask, wechat_library: Flask) -> None:
    sdk = f'<script src="{JSSDK}/open/js/jweixin-1.6.0.js"'
    client = wechat_library.test_client()
    entries = {"interview", "salon", "case", "video (bilibili)", "video (腾讯视频)", "video (mp4)", "outside pictures"}
    with_card = {"topic", "project", "share page", *entries}  # the pages with a share bar
    for name, url in PUBLIC_PAGES.items():
        response = client.get(url)
        loads_sdk = sdk in response.get_data(as_text=True)
        assert loads_sdk == (name in with_card), name
        assert (JSSDK in policy(response)["script-src"]) == loads_sdk, name  # allowed exactly where it is loaded
    plain = library.test_client()  # without a 公众号 configured no page loads the SDK or allows it
    for name, url in PUBLIC_PAGES.items():
        response = plain.get(url)
        assert sdk not in response.get_data(as_text=True), name
        assert JSSDK not in response.headers["Content-Security-Policy"], name


def test_outside_pictures_are_allowed_only_on_the_page_that_shows_them(library: Flask) -> None:
    client = library.test_client()
    csp = policy(client.get("/cases/waitu"))
    assert csp["img-src"] == ["'self'", PICTURES, BODY_PICTURES]
    for name, url in PUBLIC_PAGES.items():
        if url != "/cases/waitu":
            assert policy(client.get(url))["img-src"] == ["'self'"], name


def test_cached_pages_keep_every_header(library: Flask) -> None:
    client = library.test_client()
    for url in PAGE_CACHE_ENDPOINTS:
        fresh, cached = client.get(url), client.get(url)
        assert fresh.status_code == cached.status_code == 200
        for header in (
            "Content-Security-Policy",
            "Permissions-Policy",
            "Strict-Transport-Security",
            "Referrer-Policy",
            "X-Content-Type-Options",
        ):
            assert fresh.headers.get(header), (url, header)
            assert cached.headers.get(header) == fresh.headers.get(header), (url, header)
    assert BILI in policy(client.get("/interviews/bili"))["frame-src"]  # served from the cache by now


def test_the_other_headers_on_pages_and_pictures(library: Flask) -> None:
    client = library.test_client()
    for url in ("/", "/cases/dianti-liuan-qihao", "/api/topics", "/static/casebook.css", "/cases/no-such-entry"):
        response = client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "same-origin", url
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN", url
        permissions = response.headers["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in permissions, (url, feature)
        assert "fullscreen" not in permissions  # the video players' fullscreen button keeps working


def test_hsts_when_the_site_is_https(library: Flask) -> None:
    response = library.test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_for_a_request_that_arrived_over_https(tmp_path: Path) -> None:
    app = build(tmp_path, SITE_URL="http://cases.example.org")
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert client.get("/", base_url="https://cases.example.org").headers["Strict-Transport-Security"] == (
        "max-age=31536000"
    )


def test_hsts_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    untrusting = build(tmp_path / "a").test_client()  # no SITE_URL, no proxy to believe
    assert "Strict-Transport-Security" not in untrusting.get("/", headers=forwarded).headers
    behind_nginx = build(tmp_path / "b", PROXY_COUNT=1).test_client()
    assert "Strict-Transport-Security" not in behind_nginx.get("/").headers
    assert behind_nginx.get("/", headers=forwarded).headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Pics.Example.org/a/b.jpg?x=1", "https://pics.example.org"),
        ("http://img.example.net:8080/a.png", "http://img.example.net:8080"),
        ("https://pics.example.org;script-src */a.jpg", None),
        ("https://pics.example.org 'unsafe-inline'", None),
        ("https://pics.example.org/a b.jpg", "https://pics.example.org"),  # a space in the path is no harm
        ("https://*.example.org/a.jpg", None),
        ("https://pics.example.org:99999/a.jpg", None),
        ("data:image/png;base64,AAAA", None),
        ("javascript:alert(1)", None),
        ("/media/yard.png", None),
        ("media/yard.png", None),
        ("", None),
        (None, None),
    ],
)
def test_an_origin_taken_from_content_can_only_name_a_host(url: str | None, expected: str | None) -> None:
    assert origin(url) == expected


def test_the_policy_is_built_from_its_parts() -> None:
    sources = Sources()
    assert "frame-src 'none'" in sources.header()
    sources.allow("frame-src", "https://player.bilibili.com/player.html?bvid=BV1xx411c7mD")
    sources.allow("frame-src", "https://player.bilibili.com/player.html?bvid=BV1yy411c7mD")  # once
    sources.allow("img-src", "/media/yard.png")  # this site's own: nothing to add
    header = sources.header()
    assert "frame-src https://player.bilibili.com;" in header and "'none'" in header  # object-src keeps its 'none'
    assert "img-src 'self';" in header
    with pytest.raises(ValueError):
        sources.allow("script-src-attr", "https://x.example")
