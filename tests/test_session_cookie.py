"""Hardening (issue 13, finding 7): on https the session cookie is ``__Host-session`` — Secure,
Path=/, no Domain — whether the site URL says https or the request itself is https (behind a
trusted proxy, from X-Forwarded-Proto); plain http keeps ``session``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from casebook import create_app
from casebook.db import db
from casebook.staff import accounts

from .staffkit import PASSWORD, TOKEN_RE, add_user, login, token


def _app(content_dir: Path, tmp_path: Path, **settings: Any) -> Flask:
    return create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "data", **settings})


def _set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def _login_response(app: Flask, **request: Any) -> TestResponse:
    with app.app_context():  # two apps of one test share the database on PostgreSQL
        known = accounts.find(db.session, "cookie") is not None
    if not known:
        add_user(app, "cookie", "editor")
    client = app.test_client()
    match = TOKEN_RE.search(client.get("/login", **request).get_data(as_text=True))
    assert match
    data = {"name": "cookie", "password": PASSWORD, "csrf_token": match.group(1)}
    return client.post("/login", data=data, **request)


def test_an_https_site_url_gives_a_host_prefixed_cookie(app: Flask) -> None:
    assert app.config["CASEBOOK_SITE_URL"].startswith("https://")
    response = _login_response(app)
    assert response.status_code == 302
    (cookie,) = _set_cookies(response)
    assert cookie.startswith("__Host-session=")
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes
    assert not any(a.startswith("domain=") for a in attributes)


def test_the_host_cookie_keeps_the_login_and_logout_removes_it(app: Flask) -> None:
    add_user(app, "keeper", "editor")
    client = app.test_client()
    login(client, "keeper")
    assert client.get_cookie("__Host-session") is not None and client.get_cookie("session") is None
    assert client.get("/staff/").status_code == 200
    response = client.post("/logout", data={"csrf_token": token(client, "/staff/")})
    assert any(c.startswith("__Host-session=;") for c in _set_cookies(response))
    assert client.get("/staff/").status_code == 302


def test_an_https_request_gives_a_host_prefixed_cookie_without_a_site_url(content_dir: Path, tmp_path: Path) -> None:
    app = _app(content_dir, tmp_path)
    site = "https://cases.example.org"  # Flask-WTF checks the Referer on https, as browsers send it
    response = _login_response(app, base_url=site, headers={"Referer": f"{site}/login"})
    (cookie,) = _set_cookies(response)
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Domain" not in cookie


def test_plain_http_keeps_the_plain_cookie(content_dir: Path, tmp_path: Path) -> None:
    app = _app(content_dir, tmp_path, SITE_URL="http://192.168.1.20:8000")
    response = _login_response(app)
    (cookie,) = _set_cookies(response)
    assert cookie.startswith("session=") and "Secure" not in cookie


def test_https_behind_a_trusted_proxy_comes_from_forwarded_proto(content_dir: Path, tmp_path: Path) -> None:
    headers = {"X-Forwarded-Proto": "https", "Referer": "https://localhost/login"}
    trusted = _app(content_dir, tmp_path, PROXY_COUNT=1)
    response = _login_response(trusted, headers=headers)
    assert _set_cookies(response)[0].startswith("__Host-session=")
    untrusted = _app(content_dir, tmp_path / "other", PROXY_COUNT=0)
    response = _login_response(untrusted, headers=headers)
    assert _set_cookies(response)[0].startswith("session=")  # a forged header changes nothing


def test_a_background_preview_cannot_overwrite_the_message_a_redirect_stored(app: Flask) -> None:
    """The editor's preview (a fetch) that left before 提交审核 and answers after its redirect: it must not
    send the session back as it was, or the 已提交审核 message of the next page is lost."""
    add_user(app, "racer", "editor")
    client = app.test_client()
    login(client, "racer")
    csrf = token(client, "/staff/new/case")
    before = client.get_cookie("__Host-session")
    assert before is not None
    form = {
        "csrf_token": csrf,
        "title": "赛跑的预览",
        "slug": "saipao",
        "topic": "louyuan",
        "date": "2022-03-01",
        "body": "正文。",
        "action": "save",
    }
    saved = client.post("/staff/new/case", data=form)
    assert saved.status_code == 302 and _set_cookies(saved)  # the flash travels in the new cookie
    # the preview, sent with the cookie of before the save, answers afterwards: no cookie in its answer
    client.set_cookie("__Host-session", before.value, domain=before.domain, path=before.path)
    late = client.post("/staff/preview", json={"body": "**预览**"}, headers={"X-CSRFToken": csrf})
    assert late.status_code == 200 and "<strong>预览</strong>" in late.get_json()["html"]
    assert _set_cookies(late) == []
    # a page load still refreshes the session (its expiry moves on)
    assert any(c.startswith("__Host-session=") for c in _set_cookies(client.get("/staff/")))
