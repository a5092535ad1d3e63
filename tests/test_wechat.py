"""WeChat JS-SDK: the signature, the shared token cache against a fake WeChat API, and /api/wechat/jssdk.

The fake API is a real HTTP server on 127.0.0.1 in a thread; nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from casebook import create_app
from casebook.db import db
from casebook.wechat import WeChatClient, WeChatError, jsapi_signature

from . import pgkit
from .conftest import WriteEntry

APP_ID, SECRET = "wx1234567890abcdef", "s3cr3t-app-secret-value"


class FakeWeChat:
    """Counts calls per path; ``mode`` decides the answers."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.mode = "ok"
        self.invalid_once = False
        self.tokens = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = fake.answer(url.path, query)
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            self.calls[path] += 1
        if path == "/cgi-bin/token":
            time.sleep(0.2)  # widen the window in which concurrent callers could race
            if self.mode == "bad_secret" or query.get("secret") != SECRET:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            with self.lock:
                self.tokens += 1
                return {"access_token": f"TOKEN-{self.tokens}", "expires_in": 7200}
        if path == "/cgi-bin/ticket/getticket":
            if self.invalid_once:
                self.invalid_once = False
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            if query.get("access_token") != f"TOKEN-{self.tokens}" or query.get("type") != "jsapi":
                return {"errcode": 40001, "errmsg": "invalid credential"}
            return {"errcode": 0, "errmsg": "ok", "ticket": f"TICKET-for-{query['access_token']}", "expires_in": 7200}
        return {"errcode": -1, "errmsg": "system error"}


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_signature_matches_wechats_published_example() -> None:
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    args = (ticket, "Wm3WZYTPz0wzccnW", 1414587457)
    expected = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    assert jsapi_signature(*args, "http://mp.weixin.qq.com?params=value") == expected
    # The fragment is not signed; nothing in the URL is escaped.
    assert jsapi_signature(*args, "http://mp.weixin.qq.com?params=value#top") == expected
    assert jsapi_signature(*args, "http://mp.weixin.qq.com?params=value&x=1") != expected


def _ticket_worker(cache_dir: str, base: str, go: Any, out: Any) -> None:
    client = WeChatClient(APP_ID, SECRET, Path(cache_dir), api_base=base)
    go.wait(timeout=120)  # all processes start asking at the same moment
    results: list[str] = []

    def one() -> None:
        results.append(client.jsapi_ticket())

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(results)


def _tickets_from_processes(worker: Callable[..., None], where: str, base: str) -> list[str]:
    """Four processes running ``worker(where, base, go, out)``, started together: every ticket they got."""
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Barrier(4), ctx.Queue()
    workers = [ctx.Process(target=worker, args=(where, base, go, out)) for _ in range(4)]
    for w in workers:
        w.start()
    tickets = [t for _ in workers for t in out.get(timeout=120)]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    return tickets


def test_many_processes_cause_one_token_fetch(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    tickets = _tickets_from_processes(_ticket_worker, str(tmp_path), fake_wechat.base)
    assert len(tickets) == 24 and set(tickets) == {"TICKET-for-TOKEN-1"}
    assert fake_wechat.calls["/cgi-bin/token"] == 1
    assert fake_wechat.calls["/cgi-bin/ticket/getticket"] == 1
    # The cache file holds the token, so only the owner may read it.
    assert (tmp_path / "wechat-cache.json").stat().st_mode & 0o077 == 0


def _database_ticket_worker(url: str, base: str, go: Any, out: Any) -> None:
    from sqlalchemy import create_engine

    from casebook.share.token_store import DatabaseTokenStore

    engine = create_engine(url)
    client = WeChatClient(APP_ID, SECRET, api_base=base, store=DatabaseTokenStore(engine))
    go.wait(timeout=120)  # all processes ("servers" with no shared folder) start asking at the same moment
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(client.jsapi_ticket())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    out.put(results)


@pgkit.needs_postgres  # the database store is PostgreSQL's
def test_servers_sharing_postgresql_cause_one_token_fetch(fake_wechat: FakeWeChat, app: Flask) -> None:
    """Several servers, each with its own data folder, share one token through the database row."""
    tickets = _tickets_from_processes(_database_ticket_worker, os.environ["CASEBOOK_DATABASE_URL"], fake_wechat.base)
    assert len(tickets) == 24 and set(tickets) == {"TICKET-for-TOKEN-1"}
    assert fake_wechat.calls["/cgi-bin/token"] == 1
    assert fake_wechat.calls["/cgi-bin/ticket/getticket"] == 1
    with app.app_context():
        from casebook.share.token_store import token_store

        store = token_store(db.engine)
        assert store is not None
        with store.locked() as (state, _):
            assert state["ticket"] == "TICKET-for-TOKEN-1" and state["app_id"] == APP_ID


@pgkit.needs_postgres  # the database store is PostgreSQL's
def test_a_refusal_kept_in_postgresql_holds_back_every_server(fake_wechat: FakeWeChat, app: Flask) -> None:
    from sqlalchemy import create_engine

    from casebook.share.token_store import DatabaseTokenStore

    fake_wechat.mode = "bad_secret"
    engines = [create_engine(os.environ["CASEBOOK_DATABASE_URL"]) for _ in range(2)]
    try:
        first, second = (
            WeChatClient(APP_ID, SECRET, api_base=fake_wechat.base, store=DatabaseTokenStore(e)) for e in engines
        )
        with pytest.raises(WeChatError, match="token fetch failed"):
            first.jsapi_ticket()
        with pytest.raises(WeChatError, match="waiting before asking again"):
            second.jsapi_ticket()  # another server: the failure's time is in the shared row
    finally:
        for engine in engines:
            engine.dispose()
    assert fake_wechat.calls["/cgi-bin/token"] == 1


def _concurrently(fn: Callable[[], str], n: int = 8) -> list[str]:
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(fn())) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_expiry_causes_one_refresh(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    now = [1_000_000.0]
    client = WeChatClient(APP_ID, SECRET, tmp_path, api_base=fake_wechat.base, clock=lambda: now[0])
    assert set(_concurrently(client.jsapi_ticket)) == {"TICKET-for-TOKEN-1"}
    now[0] += 6000  # still more than the refresh margin before 7200 s
    assert set(_concurrently(client.jsapi_ticket)) == {"TICKET-for-TOKEN-1"}
    assert fake_wechat.calls["/cgi-bin/token"] == 1
    now[0] += 1000  # within 300 s of expiry: refreshed once, by one caller
    assert set(_concurrently(client.jsapi_ticket)) == {"TICKET-for-TOKEN-2"}
    assert fake_wechat.calls["/cgi-bin/token"] == 2
    assert fake_wechat.calls["/cgi-bin/ticket/getticket"] == 2


def test_invalid_token_forces_one_refresh_and_retry(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    client = WeChatClient(APP_ID, SECRET, tmp_path, api_base=fake_wechat.base)
    fake_wechat.invalid_once = True
    assert client.jsapi_ticket() == "TICKET-for-TOKEN-2"
    assert fake_wechat.calls["/cgi-bin/token"] == 2
    assert fake_wechat.calls["/cgi-bin/ticket/getticket"] == 2


def test_refusal_is_remembered_briefly_and_never_shows_the_secret(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    fake_wechat.mode = "bad_secret"
    now = [1_000_000.0]
    client = WeChatClient(APP_ID, SECRET, tmp_path, api_base=fake_wechat.base, clock=lambda: now[0])
    with pytest.raises(WeChatError) as first:
        client.jsapi_ticket()
    assert "40125" in str(first.value) and SECRET not in str(first.value)
    with pytest.raises(WeChatError):
        client.jsapi_ticket()
    assert fake_wechat.calls["/cgi-bin/token"] == 1  # backing off, not hammering WeChat
    fake_wechat.mode = "ok"
    now[0] += 120
    assert client.jsapi_ticket() == "TICKET-for-TOKEN-1"


def test_unreachable_wechat_raises_a_clean_error(tmp_path: Path) -> None:
    client = WeChatClient(APP_ID, SECRET, tmp_path, api_base="http://127.0.0.1:9", timeout=2)
    with pytest.raises(WeChatError) as caught:
        client.jsapi_ticket()
    assert SECRET not in str(caught.value) and "unreachable" in str(caught.value)


def _app(content_dir: Path, tmp_path: Path, base: str | None, **extra: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "CONTENT_DIR": content_dir,
        "DATA_DIR": tmp_path / "instance",
        "SITE_URL": "https://cases.example.org",
        **extra,
    }
    if base is not None:
        config.update(WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=SECRET, WECHAT_API_BASE=base)
    return create_app(config)


def _synced(app: Flask, content_dir: Path) -> Flask:
    from casebook.catalog import sync
    from casebook.db import db

    with app.app_context():
        sync(db.session, content_dir)
        db.session.commit()
    return app


def test_jssdk_endpoint_signs_pages_of_this_site(fake_wechat: FakeWeChat, content_dir: Path, tmp_path: Path) -> None:
    client = _app(content_dir, tmp_path, fake_wechat.base).test_client()
    page = "https://cases.example.org/topics/louyuan/share?from=singlemessage"
    response = client.get("/api/wechat/jssdk", query_string={"url": page + "#top"})
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"appId", "timestamp", "nonceStr", "signature"}
    assert data["appId"] == APP_ID
    assert data["signature"] == jsapi_signature("TICKET-for-TOKEN-1", data["nonceStr"], data["timestamp"], page)
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert SECRET not in body and "TOKEN-1" not in body and "TICKET" not in body


@pytest.mark.parametrize(
    "url",
    ["https://evil.example.com/topics/louyuan", "http://cases.example.org/topics/louyuan", "/topics/louyuan", ""],
)
def test_jssdk_refuses_urls_off_the_site(fake_wechat: FakeWeChat, content_dir: Path, tmp_path: Path, url: str) -> None:
    client = _app(content_dir, tmp_path, fake_wechat.base).test_client()
    response = client.get("/api/wechat/jssdk", query_string={"url": url})
    assert response.status_code == 400
    assert "本站" in response.get_json()["error"]
    assert fake_wechat.calls.total() == 0


def test_jssdk_is_404_when_wechat_is_not_configured(client: Any) -> None:
    response = client.get("/api/wechat/jssdk", query_string={"url": "https://cases.example.org/"})
    assert response.status_code == 404
    assert "未配置" in response.get_json()["error"]


def test_pages_load_the_sdk_only_when_configured(
    fake_wechat: FakeWeChat, content_dir: Path, tmp_path: Path, write_entry: WriteEntry
) -> None:
    write_entry("case", "c1", summary="一个案例。", scope="local")
    plain = _synced(_app(content_dir, tmp_path / "a", None), content_dir).test_client()
    configured = _synced(_app(content_dir, tmp_path / "b", fake_wechat.base), content_dir).test_client()
    for path in ("/topics/louyuan/share", "/topics/louyuan", "/cases/c1"):
        without = plain.get(path).get_data(as_text=True)
        assert "jweixin" not in without and 'id="share-data"' not in without
        page = configured.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert '<script src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js" defer></script>' in html
        assert 'id="share-data"' in html and 'data-api="/api/wechat/jssdk"' in html
        assert SECRET not in html and APP_ID not in html  # the page itself carries no credentials
    assert fake_wechat.calls.total() == 0  # rendering a page never calls WeChat


def test_wechat_failure_degrades_to_the_default_card(
    fake_wechat: FakeWeChat, content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_wechat.mode = "bad_secret"
    client = _synced(_app(content_dir, tmp_path, fake_wechat.base), content_dir).test_client()
    with caplog.at_level(logging.WARNING, logger="casebook.views.share"):
        response = client.get("/api/wechat/jssdk", query_string={"url": "https://cases.example.org/topics/louyuan"})
    assert response.status_code == 503
    assert "默认卡片" in response.get_json()["error"]
    assert SECRET not in response.get_data(as_text=True)
    assert any("default share card" in r.getMessage() and "40125" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    page = client.get("/topics/louyuan/share")
    assert page.status_code == 200 and "复制链接" in page.get_data(as_text=True)


def test_unreachable_wechat_degrades_too(content_dir: Path, tmp_path: Path) -> None:
    client = _app(content_dir, tmp_path, "http://127.0.0.1:9").test_client()
    response = client.get("/api/wechat/jssdk", query_string={"url": "https://cases.example.org/"})
    assert response.status_code == 503


def test_an_unwritable_cache_folder_degrades_cleanly(fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    client = WeChatClient(APP_ID, SECRET, blocker, api_base=fake_wechat.base)
    with pytest.raises(WeChatError, match="token cache unavailable"):
        client.jsapi_ticket()
    assert fake_wechat.calls.total() == 0
