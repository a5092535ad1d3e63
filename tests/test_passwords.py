"""Hardening (issue 13, finding 8): common and weak passwords are refused — the 10,000 most common
(a list shipped with its source and licence) and anything zxcvbn scores below 3 of 4 — wherever an
account is added or a password set: the staff area and the CLI. Passphrases stay accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from casebook.cli import main
from casebook.db import db
from casebook.staff import accounts, passwords
from casebook.staff.models import User

from .staffkit import PASSWORD, add_user, login, token

WEAK = ["password", "PASSWORD", "12345678", "qwertyui", "1qaz2wsx3edc", "Password1!", "aaaaaaaaaa", "一个足够长的密码"]
STRONG = [
    EXAMPLE := passwords.EXAMPLE,
    PASSWORD,
    "楼院 议事会 每月一次",
    "correct horse battery staple",
    "我爱北京天安门广场",
]


def test_the_common_list_is_the_top_of_zxcvbn_s_password_list() -> None:
    shipped = passwords.COMMON_FILE.read_bytes()
    assert shipped == "".join(f"{p}\n" for p in FREQUENCY_LISTS["passwords"][:10_000]).encode("utf-8")
    assert len(passwords.common()) == 10_000
    about = passwords.COMMON_FILE.with_suffix(".md").read_text(encoding="utf-8")
    assert "MIT" in about and "Daniel Wolf" in about and "Dropbox" in about
    assert "F['passwords'][:10000]" in about  # the command that regenerates it


@pytest.mark.parametrize("password", WEAK)
def test_common_and_weak_passwords_are_refused_with_a_reason_and_what_would_do(password: str) -> None:
    problem = passwords.problem(password)
    assert problem is not None and EXAMPLE in problem and "至少 9 个字" in problem


def test_the_reason_names_what_was_found() -> None:
    assert "最常用的一万个密码" in (passwords.problem("qwertyui") or "")
    assert "重复" in (passwords.problem("abcabcabcabc") or "")
    assert "含有用户名" in (passwords.problem("zhangsan2022", ["zhangsan"]) or "")
    assert "太短" in (passwords.problem("一个足够长的密码") or "")


@pytest.mark.parametrize("password", STRONG)
def test_passphrases_are_accepted(password: str) -> None:
    assert passwords.problem(password) is None
    accounts.check_password(password, "某人")


def test_the_account_name_is_held_against_the_password() -> None:
    assert passwords.problem("liujiayi2024!") is None
    with pytest.raises(accounts.AccountError, match="含有用户名"):
        accounts.check_password("liujiayi2024!", "liujiayi")


def test_a_long_password_is_scored_on_its_first_72_characters() -> None:
    assert passwords.problem("a" * 1000) is not None
    assert passwords.problem(PASSWORD + "a" * 1000) is None


def test_the_staff_area_refuses_weak_passwords_for_new_accounts_and_resets(app: Flask, client: FlaskClient) -> None:
    add_user(app, "ad", "admin")
    add_user(app, "xiaowang", "editor")
    login(client, "ad")
    tok = token(client, "/staff/users")
    for weak in ("password", "qwertyui", "12345678"):
        r = client.post("/staff/users", data={"name": "新同事", "role": "editor", "password": weak, "csrf_token": tok})
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and "容易被猜到" in html and EXAMPLE in html and 'value="新同事"' in html
    r = client.post("/staff/users", data={"name": "新同事", "role": "editor", "password": EXAMPLE, "csrf_token": tok})
    assert r.status_code == 302
    r = client.post("/staff/users/xiaowang/passwd", data={"password": "xiaowang123", "csrf_token": tok})
    assert "容易被猜到" in client.get(r.headers["Location"]).get_data(as_text=True)
    fresh = client.application.test_client()
    login(fresh, "xiaowang")  # the old password still works: nothing was changed
    client.post("/staff/users/xiaowang/passwd", data={"password": "楼院 议事会 每月一次", "csrf_token": tok})
    login(client.application.test_client(), "xiaowang", "楼院 议事会 每月一次")
    with app.app_context():
        assert db.session.query(User).filter_by(name="新同事").count() == 1


def test_the_cli_refuses_weak_passwords(runner: CliRunner, tmp_path: Path) -> None:
    weak = runner.invoke(main, ["user", "add", "刘书记", "--role", "editor"], input="password1\n")
    assert weak.exit_code == 1 and "容易被猜到" in weak.output and EXAMPLE in weak.output
    assert "刘书记" not in runner.invoke(main, ["user", "list"]).output
    assert runner.invoke(main, ["user", "add", "刘书记", "--role", "editor"], input=f"{EXAMPLE}\n").exit_code == 0
    refused = runner.invoke(main, ["user", "passwd", "刘书记"], input="liushuji\n")
    assert refused.exit_code == 1 and "容易被猜到" in refused.output
    assert runner.invoke(main, ["user", "passwd", "刘书记"], input="楼院 议事会 每月一次\n").exit_code == 0
