"""Accounts, login, throttling, sessions, CSRF and the user CLI — through HTTP and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from casebook.cli import main
from casebook.db import db
from casebook.staff.models import AuditEvent, User

from .staffkit import PASSWORD, add_user, login, staff_client, token


def test_no_account_exists_after_install(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        assert db.session.query(User).count() == 0
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_login_with_chinese_password_and_rotated_session(app: Flask, client: FlaskClient) -> None:
    add_user(app, "李 审核".replace(" ", ""), "reviewer", "我的 密码 有空格")
    client.get("/login")
    before = client.get_cookie("__Host-session")
    login(client, "李审核", "我的 密码 有空格")
    after = client.get_cookie("__Host-session")
    assert after is not None and (before is None or before.value != after.value)
    page = client.get("/staff/")
    assert page.status_code == 200 and "待审核" in page.get_data(as_text=True)
    cookie = client.get_cookie("__Host-session")
    assert cookie is not None and cookie.http_only and cookie.secure and cookie.same_site == "Lax"


def test_unknown_user_and_wrong_password_get_the_same_reply(app: Flask, client: FlaskClient) -> None:
    add_user(app, "zhang", "editor")
    replies = []
    for name in ("zhang", "nobody"):
        other = client.application.test_client()
        response = other.post("/login", data={"name": name, "password": "wrong password", "csrf_token": token(other)})
        body = response.get_data(as_text=True).replace(name, "NAME")
        body = body.replace(token(other), "")
        replies.append((response.status_code, body.split('name="csrf_token" value="')[0]))
    assert replies[0] == replies[1]
    assert replies[0][0] == 200 and "用户名或密码不正确" in replies[0][1]


def test_sixth_attempt_in_a_minute_is_throttled_even_with_the_right_password(app: Flask) -> None:
    add_user(app, "wang", "editor")
    client = app.test_client()
    for _ in range(5):
        r = client.post("/login", data={"name": "wang", "password": "nope nope", "csrf_token": token(client)})
        assert r.status_code == 200
    r = client.post("/login", data={"name": "WANG", "password": PASSWORD, "csrf_token": token(client)})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 300
    assert "尝试次数过多" in r.get_data(as_text=True)
    # a name that does not exist is throttled the same way
    for _ in range(6):
        r = client.post("/login", data={"name": "ghost", "password": "x" * 9, "csrf_token": token(client)})
    assert r.status_code == 429


def test_throttle_is_shared_by_server_processes(app: Flask, tmp_path: Path, content_dir: Path) -> None:
    """Two separate processes, one database: 3 + 2 failures, the 6th attempt is refused."""
    add_user(app, "chen", "editor")
    script = textwrap.dedent(
        f"""
        import re, sys
        from casebook import create_app
        app = create_app({{"CONTENT_DIR": {str(content_dir)!r}, "DATA_DIR": {str(tmp_path / "instance")!r}}})
        codes = []
        for password in sys.argv[1:]:
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            tok = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            r = client.post("/login", data={{"name": "chen", "password": password, "csrf_token": tok}})
            codes.append(r.status_code)
        print(",".join(map(str, codes)))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    wrong = ["wrong-one"] * 3
    first = subprocess.run([sys.executable, "-c", script, *wrong], capture_output=True, text=True, env=env)
    second = subprocess.run(
        [sys.executable, "-c", script, *wrong[:2], PASSWORD], capture_output=True, text=True, env=env
    )
    assert first.stdout.strip() == "200,200,200", first.stderr
    # failures 4 and 5 are counted with the first process's 3; the 6th attempt is refused although the
    # password is right (only failures count since issue 13: a success would not have)
    assert second.stdout.strip() == "200,200,429", second.stderr


def test_next_only_accepts_same_site_paths(app: Flask) -> None:
    add_user(app, "zhao", "editor")
    for target, expected in [
        ("/staff/entries", "/staff/entries"),
        ("https://evil.example/", "/staff/"),
        ("//evil.example/x", "/staff/"),
        ("/\\evil.example", "/staff/"),
        ("javascript:alert(1)", "/staff/"),
    ]:
        client = app.test_client()
        r = client.post(
            "/login", data={"name": "zhao", "password": PASSWORD, "next": target, "csrf_token": token(client)}
        )
        assert r.headers["Location"] == expected, target


def test_disabled_user_is_out_at_the_next_request(app: Flask, runner: CliRunner, client: FlaskClient) -> None:
    add_user(app, "sun", "editor")
    login(client, "sun")
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        user = db.session.query(User).filter_by(name="sun").one()
        user.active = False
        user.session_version += 1
        db.session.commit()
    assert client.get("/staff/").status_code == 302
    r = client.post("/login", data={"name": "sun", "password": PASSWORD, "csrf_token": token(client)})
    assert r.status_code == 200 and "用户名或密码不正确" in r.get_data(as_text=True)


def test_roles_guard_pages(app: Flask) -> None:
    add_user(app, "ed", "editor")
    add_user(app, "rv", "reviewer")
    add_user(app, "ad", "admin")
    expectations = {
        "ed": {"/staff/": 200, "/staff/review": 403, "/staff/users": 403, "/staff/audit": 403},
        "rv": {"/staff/": 200, "/staff/review": 200, "/staff/users": 403, "/staff/settings/glossary": 200},
        "ad": {"/staff/users": 200, "/staff/audit": 200},
    }
    for name, pages in expectations.items():
        client = app.test_client()
        login(client, name)
        for url, code in pages.items():
            assert client.get(url).status_code == code, (name, url)


def test_post_without_csrf_token_changes_nothing(app: Flask, client: FlaskClient) -> None:
    add_user(app, "ad", "admin")
    add_user(app, "victim", "editor")
    login(client, "ad")
    r = client.post("/staff/users/victim/disable")
    assert r.status_code == 400 and "页面已过期" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(User).filter_by(name="victim").one().active
    # logout is a POST too: a GET does not log out
    assert client.get("/logout").status_code == 405


def test_admin_manages_accounts_in_the_staff_area(app: Flask, client: FlaskClient) -> None:
    add_user(app, "ad", "admin")
    login(client, "ad")
    tok = token(client, "/staff/users")
    r = client.post("/staff/users", data={"name": "新同事", "role": "editor", "password": "short", "csrf_token": tok})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "至少 8 个字符" in html and 'value="新同事"' in html
    r = client.post(
        "/staff/users", data={"name": "新同事", "role": "editor", "password": "足够长的密码123", "csrf_token": tok}
    )
    assert r.status_code == 302
    client.post("/staff/users/新同事/role", data={"role": "reviewer", "csrf_token": tok})
    client.post("/staff/users/新同事/disable", data={"csrf_token": tok})
    with app.app_context():
        user = db.session.query(User).filter_by(name="新同事").one()
        assert (user.role, user.active) == ("reviewer", False)
        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions == ["login", "user-add", "user-role", "user-disable"]
    assert "停用账号" in client.get("/staff/audit").get_data(as_text=True)


def test_user_cli(runner: CliRunner) -> None:
    r = runner.invoke(main, ["user", "add", "刘书记", "--role", "editor"], input="一个足够长的 密码2026\n")
    assert r.exit_code == 0, r.output
    assert (
        runner.invoke(main, ["user", "add", "刘书记", "--role", "editor"], input="一个足够长的 密码2026\n").exit_code
        == 1
    )
    assert runner.invoke(main, ["user", "add", "x", "--role", "boss"], input="一个足够长的 密码2026\n").exit_code == 1
    short = runner.invoke(main, ["user", "add", "y", "--role", "editor"], input="short\n")
    assert short.exit_code == 1 and "至少 8" in short.output
    assert runner.invoke(main, ["user", "role", "刘书记", "admin"]).exit_code == 0
    assert runner.invoke(main, ["user", "disable", "刘书记"]).exit_code == 0
    listing = runner.invoke(main, ["user", "list"]).output
    assert "刘书记\tadmin\t已停用" in listing and "\ny\t" not in listing
    assert runner.invoke(main, ["user", "enable", "刘书记"]).exit_code == 0
    assert runner.invoke(main, ["user", "passwd", "刘书记"], input="另一个 很长的 密码！\n").exit_code == 0
    assert runner.invoke(main, ["user", "passwd", "nobody"], input="另一个 很长的 密码！\n").exit_code == 1
    assert "刘书记\tadmin\t在用" in runner.invoke(main, ["user", "list"]).output


def test_logout_ends_the_session_even_for_a_copied_cookie(app: Flask) -> None:
    client = staff_client(app, "zhou", "editor")
    cookie = client.get_cookie("__Host-session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("__Host-session", cookie.value, domain=cookie.domain, secure=True)
    assert copy.get("/staff/").status_code == 200
    client.post("/logout", data={"csrf_token": token(client, "/staff/")})
    assert client.get("/staff/").status_code == 302
    assert copy.get("/staff/").status_code == 302  # the copied cookie names a login that no longer exists


def test_failed_logins_are_in_the_audit_log(app: Flask, client: FlaskClient) -> None:
    client.post("/login", data={"name": "mallory", "password": "guess guess", "csrf_token": token(client)})
    with app.app_context():
        events = [(e.user, e.action) for e in db.session.query(AuditEvent)]
    assert events == [("mallory", "login-failed")]
