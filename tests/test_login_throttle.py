"""Hardening (issue 13, findings 2 and 10): the login throttle counts failures only, a lock is not
extended by attempts made while it holds, one address is limited over all names (never more strictly
than one name), X-Forwarded-For is believed only behind CASEBOOK_PROXY_COUNT proxies, and every
failed or refused attempt is in the audit log with its address."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from casebook import create_app
from casebook.db import db
from casebook.staff import accounts, throttle
from casebook.staff.models import AuditEvent

from .staffkit import PASSWORD, add_user, login, token

OFFICE = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


class Clock:
    """``time.time`` under the test's control: starts now, moves only when told."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cheap argon2 parameters: these tests verify dozens of passwords (production keeps the defaults)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("casebook: a password nobody has"))
    yield


def _client(app: Flask, address: str = OFFICE) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _post(app: Flask, name: str, password: str, address: str, via: str | None) -> TestResponse:
    client = _client(app, address)  # a new browser each time (a logged-in one has no login form)
    headers = {"X-Forwarded-For": via} if via else {}
    data = {"name": name, "password": password, "csrf_token": token(client)}
    return client.post("/login", data=data, headers=headers)


def _attempt(
    app: Flask, name: str, password: str = "wrong password", address: str = OFFICE, via: str | None = None
) -> int:
    return _post(app, name, password, address, via).status_code


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
    return events


def test_attempts_made_during_a_lock_do_not_extend_it(app: Flask, clock: Clock) -> None:
    """The audit's case: 6 wrong passwords every 5 minutes kept the account (the only admin) locked,
    because guesses made during a lock counted toward the next one."""
    add_user(app, "admin", "admin")
    assert [_attempt(app, "admin", address=ELSEWHERE) for _ in range(6)][-1] == 429  # locked for 300 s
    for _ in range(3):
        clock.advance(295)  # just before the lock ends: 6 more guesses, all refused
        assert [_attempt(app, "admin", address=ELSEWHERE) for _ in range(6)] == [429] * 6
        clock.advance(6)  # the lock has ended: the guesses made during it do not count
        assert _attempt(app, "admin", PASSWORD) == 302
        assert [_attempt(app, "admin", address=ELSEWHERE) for _ in range(6)][-1] == 429  # a new lock


def test_the_lock_still_refuses_the_right_password_while_it_holds(app: Flask, clock: Clock) -> None:
    add_user(app, "wang", "editor")
    assert [_attempt(app, "wang") for _ in range(5)] == [200] * 5
    assert _attempt(app, "wang", PASSWORD) == 429  # the 6th: the name is locked for 5 minutes
    clock.advance(299)
    assert _attempt(app, "wang", PASSWORD) == 429
    clock.advance(2)
    assert _attempt(app, "wang", PASSWORD) == 302


def test_successful_logins_do_not_count_and_clear_the_failures(app: Flask) -> None:
    add_user(app, "li", "editor")
    assert [_attempt(app, "li", PASSWORD) for _ in range(8)] == [302] * 8
    for _ in range(3):
        assert [_attempt(app, "li") for _ in range(4)] == [200] * 4
        assert _attempt(app, "li", PASSWORD) == 302  # 4 failures, then a success: the count starts again


def test_one_address_is_limited_over_all_names(app: Flask, clock: Clock) -> None:
    add_user(app, "colleague", "editor")
    for n in range(throttle.ADDRESS_LIMIT // throttle.NAME_LIMIT):  # 6 names × 5 guesses: no name locked
        assert [_attempt(app, f"name{n}") for _ in range(throttle.NAME_LIMIT)] == [200] * throttle.NAME_LIMIT
    refused = _post(app, "colleague", PASSWORD, OFFICE, None)  # the right password, from the same address
    assert refused.status_code == 429 and "这个网络地址的登录失败次数过多" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= throttle.ADDRESS_WINDOW
    assert _attempt(app, "colleague", PASSWORD, ELSEWHERE) == 302  # other addresses are not affected
    clock.advance(throttle.ADDRESS_WINDOW + 1)
    assert _attempt(app, "colleague", PASSWORD) == 302


def test_the_address_limit_is_never_stricter_than_the_name_limit(app: Flask) -> None:
    """A shared office address: one person's mistakes lock their own name first; colleagues log in."""
    assert throttle.ADDRESS_LIMIT >= throttle.NAME_LIMIT and throttle.ADDRESS_WINDOW >= throttle.NAME_WINDOW
    names = [f"staff{n}" for n in range(8)]
    for name in names:
        add_user(app, name, "editor")
    assert [_attempt(app, "staff0") for _ in range(5)] == [200] * 5
    locked = _post(app, "staff0", PASSWORD, OFFICE, None)  # staff0's own name is locked …
    assert locked.status_code == 429 and "尝试次数过多，请 5 分钟后再试" in locked.get_data(as_text=True)
    for name in names[1:]:  # … and everyone else at the same address still gets in, many times over
        for _ in range(5):
            assert _attempt(app, name, PASSWORD) == 302


def test_forwarded_for_is_ignored_without_trusted_proxies(app: Flask) -> None:
    assert app.config["CASEBOOK_PROXY_COUNT"] == 0
    for n in range(throttle.ADDRESS_LIMIT):  # a new forged address each time cannot dodge the limit
        assert _attempt(app, f"user{n % 6}", via=f"192.0.2.{n}") == 200
    assert _attempt(app, "anyone", via="192.0.2.250") == 429
    details = {e.detail for e in _events(app, "login-failed")}
    assert details == {f"来源地址 {OFFICE}"}


def test_forwarded_for_is_believed_behind_one_trusted_proxy(content_dir: Path, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "proxied", "PROXY_COUNT": 1})
    add_user(app, "wu", "editor")
    proxy = "127.0.0.1"  # every request arrives from the proxy
    for n in range(throttle.ADDRESS_LIMIT):
        assert _attempt(app, f"user{n % 6}", address=proxy, via=ELSEWHERE) == 200
    assert _attempt(app, "wu", PASSWORD, proxy, via=ELSEWHERE) == 429  # that client is limited …
    assert _attempt(app, "wu", PASSWORD, proxy, via=OFFICE) == 302  # … the others behind the same proxy are not
    assert {e.detail for e in _events(app, "login-failed")} == {f"来源地址 {ELSEWHERE}"}


def test_failed_and_refused_logins_are_audited_with_the_address(app: Flask) -> None:
    add_user(app, "ad", "admin")
    add_user(app, "zhao", "editor")
    for _ in range(5):
        _attempt(app, "zhao", address=ELSEWHERE)
    for _ in range(4):  # refused while the name is locked: one event, counted
        assert _attempt(app, "zhao", PASSWORD, ELSEWHERE) == 429
    failed = _events(app, "login-failed")
    assert [(e.user, e.detail) for e in failed] == [("zhao", f"来源地址 {ELSEWHERE}")] * 5
    refused = _events(app, "login-throttled")
    assert [(e.user, e.detail, e.times) for e in refused] == [("zhao", f"来源地址 {ELSEWHERE}；该用户名已锁定", 4)]
    admin = _client(app)
    login(admin, "ad")
    page = admin.get("/staff/audit").get_data(as_text=True)
    assert "登录失败" in page and "登录被限制" in page and f"来源地址 {ELSEWHERE}" in page and "共 4 次" in page
    assert f"来源地址 {OFFICE}" in page  # the admin's own login, with its address


def test_refusals_by_address_are_one_event_per_minute_whatever_the_names(app: Flask, clock: Clock) -> None:
    for n in range(throttle.ADDRESS_LIMIT):
        _attempt(app, f"name{n % 6}", address=ELSEWHERE)
    for n in range(20):  # a new name every time: still one row
        assert _attempt(app, f"other{n}", address=ELSEWHERE) == 429
    clock.advance(61)
    assert _attempt(app, "other0", address=ELSEWHERE) == 429
    refused = _events(app, "login-throttled")
    assert [(e.user, e.times) for e in refused] == [(throttle.MANY_NAMES, 20), ("other0", 1)]
    assert {e.detail for e in refused} == {f"来源地址 {ELSEWHERE}；该地址失败次数过多"}


def test_a_guesser_relocking_at_every_lock_end_does_not_lock_the_owner_out(app: Flask, clock: Clock) -> None:
    """The review's case: 6 guesses from one address as each lock ends (18 per 15 minutes, under the
    address limit) kept the only admin locked; a lock now holds the name at the guesser's address."""
    add_user(app, "admin", "admin")
    for _ in range(4):
        assert [_attempt(app, "admin", address=ELSEWHERE) for _ in range(6)][-1] == 429
        clock.advance(10)
        assert _attempt(app, "admin", PASSWORD, OFFICE) == 302  # the owner, from the office
        assert _attempt(app, "admin", PASSWORD, ELSEWHERE) == 429  # the guesser's address stays locked
        clock.advance(throttle.LOCKOUT - 10 + 1)


def test_guessing_spread_over_many_addresses_locks_the_name_everywhere(app: Flask, clock: Clock) -> None:
    add_user(app, "admin", "admin")
    guessers = [f"192.0.2.{n}" for n in range(1, 20)]
    per_address = throttle.NAME_LIMIT - 1  # each address stays under its own limit
    failures = 0
    for address in guessers:
        for _ in range(per_address):
            if failures < throttle.NAME_TOTAL_LIMIT:
                assert _attempt(app, "admin", address=address) == 200
                failures += 1
    locked = _post(app, "admin", PASSWORD, OFFICE, None)  # the right password, from a new address
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= throttle.LOCKOUT
    clock.advance(throttle.LOCKOUT + 1)
    assert _attempt(app, "admin", PASSWORD, OFFICE) == 302


def _parallel_attempts(app: Flask, attempts: list[tuple[str, str]]) -> list[int]:
    """``(name, address)`` attempts with a wrong password, all sent at the same moment from their
    own threads (each its own browser, request and database connection); their statuses."""
    clients = []
    for name, address in attempts:  # each browser first fetches its login form, one by one
        client = _client(app, address)
        clients.append((client, {"name": name, "password": "wrong password", "csrf_token": token(client)}))
    start = threading.Barrier(len(clients))

    def send(pair: tuple[FlaskClient, dict[str, str]]) -> int:
        client, data = pair
        start.wait()
        return client.post("/login", data=data).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(send, clients))


def test_twenty_parallel_guesses_for_one_name_are_counted_exactly(app: Flask) -> None:
    """Run on SQLite and (CASEBOOK_TEST_DATABASE=postgres) on PostgreSQL: parallel attempts take
    turns, so no more than NAME_LIMIT of them are checked against the password."""
    add_user(app, "admin", "admin")
    statuses = _parallel_attempts(app, [("admin", OFFICE)] * 20)
    assert sorted(statuses) == [200] * throttle.NAME_LIMIT + [429] * (20 - throttle.NAME_LIMIT)
    assert len(_events(app, "login-failed")) == throttle.NAME_LIMIT
    assert _attempt(app, "admin", PASSWORD) == 429  # and the lock holds for the owner at that address


def test_twenty_parallel_guesses_from_one_address_over_many_names_are_counted_exactly(app: Flask) -> None:
    below = throttle.ADDRESS_LIMIT - 5  # the address has 25 failures: 5 more are allowed
    for n in range(below):
        assert _attempt(app, f"earlier{n}") == 200
    statuses = _parallel_attempts(app, [(f"guess{n}", OFFICE) for n in range(20)])
    assert sorted(statuses) == [200] * 5 + [429] * 15
    assert len(_events(app, "login-failed")) == throttle.ADDRESS_LIMIT
