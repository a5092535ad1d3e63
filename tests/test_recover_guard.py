"""Hardening (issue 13, finding 1): the CSRF guard's "recover the form" path never shows a form to
someone the view's own role check refuses — anonymous gets 401 (or the login page), a lower role 403 —
for every recoverable view; the right role with an expired token still gets the typed text back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from casebook.views import auth

from .conftest import WriteEntry
from .staffkit import TOKEN_RE, add_user, entry_form, login, staff_client, token

ACCOUNTS = {"管理员甲": "admin", "编辑乙": "editor", "审核丙": "reviewer"}
DRAFT = "草稿里还没公开的一句话。"


@pytest.fixture
def library(app: Flask, write_entry: WriteEntry, resync: Callable[[], Any]) -> Flask:
    """Three accounts and a draft in review: what a leaking page would show."""
    for name, role in ACCOUNTS.items():
        add_user(app, name, role)
    write_entry("case", "caogao", body=DRAFT, status="submitted")
    resync()
    return app


def _leaks(html: str) -> list[str]:
    return [secret for secret in (*ACCOUNTS, DRAFT, "最近登录") if secret in html]


@pytest.mark.parametrize("csrf", [None, "forged", "valid"])
def test_anonymous_posts_to_the_account_form_see_no_account(library: Flask, csrf: str | None) -> None:
    client = library.test_client()
    data = {"name": "闯入者", "role": "admin", "password": "x" * 12}
    if csrf == "valid":  # a real token of an anonymous session: the view's own role check answers
        data["csrf_token"] = token(client)
    elif csrf:
        data["csrf_token"] = csrf
    response = client.post("/staff/users", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert _leaks(html) == []
    assert "登录已失效" in html and "闯入者" in html  # only what was typed comes back, to be copied
    assert 'name="csrf_token"' not in html and "x" * 12 not in html


@pytest.mark.parametrize("csrf", [None, "forged", "valid"])
def test_an_editor_posting_to_the_account_form_gets_403(library: Flask, csrf: str | None) -> None:
    editor = library.test_client()
    login(editor, "编辑乙")
    data = {"name": "闯入者", "role": "admin", "password": "x" * 12}
    if csrf == "valid":
        data["csrf_token"] = token(editor, "/staff/")
    elif csrf:
        data["csrf_token"] = csrf
    response = editor.post("/staff/users", data=data)
    assert response.status_code == 403
    assert _leaks(response.get_data(as_text=True).replace("编辑乙", "")) == []


def test_anonymous_posts_to_the_review_form_see_no_draft(library: Flask) -> None:
    client = library.test_client()
    for data in ({"to": "published"}, {"to": "published", "csrf_token": "forged"}):
        response = client.post("/staff/status/case/caogao", data={**data, "comment": "我的意见"})
        html = response.get_data(as_text=True)
        assert response.status_code == 401
        assert _leaks(html) == [] and "我的意见" in html
    # a JSON caller gets the JSON answer of the role check
    answer = client.post("/staff/status/case/caogao", json={"to": "published"})
    assert answer.status_code == 401 and "登录已失效" in answer.get_json()["error"]


def test_an_editor_posting_to_a_reviewer_form_gets_403(library: Flask) -> None:
    editor = library.test_client()
    login(editor, "编辑乙")
    for data in ({"text": "- 网格长"}, {"text": "- 网格长", "csrf_token": "forged"}):
        response = editor.post("/staff/settings/glossary", data=data)
        assert response.status_code == 403
        assert "网格长" not in response.get_data(as_text=True)


def test_the_editor_form_is_not_shown_to_anonymous_posts(library: Flask) -> None:
    client = library.test_client()
    data = {**entry_form(body="我写的正文。"), "csrf_token": "forged", "base": ""}
    response = client.post("/staff/edit/case/caogao", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and _leaks(html) == [] and "我写的正文。" in html


def test_an_admin_with_an_expired_token_gets_the_form_back_with_the_typed_text(library: Flask) -> None:
    admin = library.test_client()
    login(admin, "管理员甲")
    response = admin.post(
        "/staff/users", data={"name": "新同事", "role": "editor", "password": "x" * 12, "csrf_token": "expired"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "页面已过期" in html
    assert 'value="新同事"' in html and "编辑乙" in html  # the admin's own page, as typed
    fresh = TOKEN_RE.search(html)
    assert fresh and fresh.group(1) != "expired"


def test_a_reviewer_with_an_expired_token_gets_the_review_form_back(library: Flask) -> None:
    reviewer = staff_client(library, "审核丁", "reviewer")
    response = reviewer.post("/staff/status/case/caogao", data={"to": "draft", "comment": "再补一段。"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "页面已过期" in html and "再补一段。" in html


def test_every_recoverable_view_declares_the_role_it_needs(library: Flask) -> None:
    recoverable = {
        endpoint: view for endpoint, view in library.view_functions.items() if getattr(view, "recover", None)
    }
    assert {"staff.users", "staff.new", "staff.edit", "staff_settings.page", "auth.login"} <= set(recoverable)
    for endpoint, view in recoverable.items():
        public = getattr(view, "recover_public", False)
        assert public or getattr(view, "required_role", None), endpoint
    public_forms = {e for e, v in recoverable.items() if getattr(v, "recover_public", False)}
    # the login form and the residents' forms (issue 15: 征集 and 评议)
    assert public_forms == {"auth.login", "proposals.propose", "projects.rate"}


def test_recoverable_refuses_a_view_without_a_role() -> None:
    def view() -> str:
        return ""

    with pytest.raises(TypeError, match="require"):
        auth.recoverable(lambda reason: reason)(view)
