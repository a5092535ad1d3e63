"""Helpers for staff tests: accounts, CSRF tokens from real forms, logging in."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from casebook.db import db
from casebook.staff import accounts

PASSWORD = "社区 治理 password"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
BASE_RE = re.compile(r'name="base" value="([^"]*)"')
VERSION_RE = re.compile(r'name="version" value="([^"]+)"')


def add_user(app: Flask, name: str, role: str, password: str = PASSWORD) -> None:
    with app.app_context():
        accounts.add_user(db.session, name, role, password)
        db.session.commit()


def token(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url)
    match = TOKEN_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def staff_client(app: Flask, name: str, role: str) -> FlaskClient:
    """A test client logged in as a new account ``name`` with ``role``."""
    add_user(app, name, role)
    client = app.test_client()
    login(client, name)
    return client


def form_of(client: FlaskClient, url: str) -> dict[str, str]:
    """The hidden fields of the editor at ``url``: csrf_token and base."""
    html = client.get(url).get_data(as_text=True)
    token_match, base_match = TOKEN_RE.search(html), BASE_RE.search(html)
    assert token_match and base_match, html[:500]
    return {"csrf_token": token_match.group(1), "base": base_match.group(1)}


def publish_form(client: FlaskClient, kind: str, slug: str) -> dict[str, str]:
    """What the review page's publish button sends: its token and the version the reviewer saw."""
    html = client.get(f"/staff/review/{kind}/{slug}").get_data(as_text=True)
    tok, version = TOKEN_RE.search(html), VERSION_RE.search(html)
    assert tok and version, html[:1000]
    return {"csrf_token": tok.group(1), "version": version.group(1), "to": "published"}


def entry_form(**fields: str) -> dict[str, str]:
    values = {
        "title": "楼院自治的三个步骤",
        "topic": "louyuan",
        "date": "2026-11-20",
        "body": "## 做法\n\n先成立楼院党小组。",
    }
    values.update(fields)
    return values
