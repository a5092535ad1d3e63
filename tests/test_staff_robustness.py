"""Odd URLs and account edge cases in the staff area: a clear 404 or message, never a 500."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from casebook.db import db
from casebook.staff.models import User

from . import pgkit
from .staffkit import add_user, entry_form, form_of, staff_client, token


@pytest.fixture
def admin(app: Flask, resync: Callable[[], Any]) -> FlaskClient:
    resync()
    client = staff_client(app, "admin1", "admin")
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/staff/history/case/" + "a" * 300,  # longer than a file name may be
        "/staff/view/case/%00",
        "/staff/edit/case/%00",
        "/staff/review/case/" + "b" * 300,
        "/staff/edit/case/UPPER",
    ],
)
def test_impossible_slugs_are_404(admin: FlaskClient, url: str) -> None:
    assert admin.get(url).status_code == 404


def test_impossible_slugs_in_posts_are_404(admin: FlaskClient) -> None:
    tok = token(admin, "/staff/users")
    slug = "c" * 300
    assert admin.post(f"/staff/status/case/{slug}", data={"csrf_token": tok, "to": "published"}).status_code == 404
    assert admin.post(f"/staff/discard/case/{slug}", data={"csrf_token": tok}).status_code == 404


def test_huge_numbers_are_not_a_server_error(admin: FlaskClient) -> None:
    assert admin.get("/staff/audit?page=100000000000000000000").status_code == 200
    tok = token(admin, "/staff/users")
    assert admin.post("/staff/restore/100000000000000000000000", data={"csrf_token": tok}).status_code == 404


def test_accounts_with_a_slash_in_the_name_can_be_managed(app: Flask, admin: FlaskClient) -> None:
    add_user(app, "张/三", "editor")
    tok = token(admin, "/staff/users")
    action = "/staff/users/" + quote("张/三") + "/disable"
    assert f'action="{action}"' in admin.get("/staff/users").get_data(as_text=True)
    response = admin.post(action, data={"csrf_token": tok})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.name == "张/三"))
        assert user is not None and not user.active


def test_an_admin_cannot_demote_themselves(app: Flask, admin: FlaskClient) -> None:
    tok = token(admin, "/staff/users")
    response = admin.post("/staff/users/admin1/role", data={"csrf_token": tok, "role": "editor"}, follow_redirects=True)
    assert "不能修改自己的角色" in response.get_data(as_text=True)
    assert admin.get("/staff/users").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.name == "admin1")) == "admin"


def test_expired_page_links_back_only_within_the_site(admin: FlaskClient) -> None:
    foreign = admin.post("/logout", headers={"Referer": "https://evil.example/phish"})
    assert foreign.status_code == 400 and "evil.example" not in foreign.get_data(as_text=True)
    own = admin.post("/logout", headers={"Referer": "http://localhost/staff/entries?status=draft"})
    assert own.status_code == 400 and 'href="/staff/entries?status=draft"' in own.get_data(as_text=True)


@pytest.mark.skipif(pgkit.wanted(), reason="holds SQLite's write lock from a second sqlite3 connection")
def test_a_save_while_the_database_is_locked_comes_back_filled_in_and_leaves_no_file(
    app: Flask, admin: FlaskClient, content_dir: Path
) -> None:
    """A long background sync holds SQLite's write lock: the save waits, then the form comes back."""
    with app.app_context():
        engine = db.engine
        event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA busy_timeout=200"))
        engine.dispose()  # new connections wait 0.2 s instead of 10 s
        path = engine.url.database
    data = {**form_of(admin, "/staff/new/case"), **entry_form(body="锁住时写的正文。"), "slug": "locked"}
    holder = sqlite3.connect(str(path))
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        refused = admin.post("/staff/new/case", data=data)
    finally:
        holder.rollback()
        holder.close()
    html = refused.get_data(as_text=True)
    assert refused.status_code == 503 and "数据库正忙" in html and "锁住时写的正文。" in html
    assert not (content_dir / "cases" / "locked.md").exists()
    assert admin.post("/staff/new/case", data=data).status_code == 302  # once free, the same form saves
    assert "锁住时写的正文。" in (content_dir / "cases" / "locked.md").read_text(encoding="utf-8")
