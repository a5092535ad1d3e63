"""Two real servers on one PostgreSQL database, with the search index in it (CASEBOOK_SEARCH=postgres).

Each ``casebook serve`` (gunicorn, two workers) has its own data folder; they share the content
folder (one machine) and the database. A staff save through one is on the other's pages and in
its search at the next request; a server SIGKILLed and started again serves at once, with no index
to build; twenty wrong passwords sent at once across both are counted exactly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from . import pgkit
from .proofkit import library
from .proofkit.procs import PASSWORD, Server, Site
from .proofkit.web import Browser, form_on

pytestmark = pgkit.needs_postgres


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Site, Server, Server]]:
    monkeypatch.setenv("CASEBOOK_SEARCH", "postgres")
    first = library.site(tmp_path)
    library.write_cases(first, 6)
    second = Site(first.content, tmp_path / "data-second", tmp_path)
    first.add_user("bianji", "reviewer")
    one, two = Server(first, tmp_path / "one.log"), Server(second, tmp_path / "two.log")
    one.start()
    two.start()
    try:
        yield first, one, two
    finally:
        one.stop()
        two.stop()


def test_a_save_on_one_server_is_on_the_other_at_its_next_request(servers: tuple[Site, Server, Server]) -> None:
    site, one, two = servers
    other = Browser(two.base)
    assert "/cases/p0001" not in other.get("/search", q="yzqdianti").text
    editor = Browser(one.base)
    editor.login("bianji", PASSWORD)
    form = form_on(editor.get("/staff/edit/case/p0001").text, form_id="editor")
    body = form.value("body").rstrip() + "\n\n楼院加装电梯，居民议事会定下了 yzqdianti 方案。"
    reply = editor.post("/staff/edit/case/p0001", form.filled(("action", "publish"), body=body))
    assert reply.status == 302 and "saved=1" in reply.location, reply.text[:500]
    page = other.get("/cases/p0001")
    assert page.status == 200 and "yzqdianti 方案" in page.text
    found = other.get("/search", q="yzqdianti")
    assert "/cases/p0001" in found.text and "<mark>yzqdianti</mark>" in found.text
    assert not (site.data / "search").exists() and not (two.site.data / "search").exists()


def test_a_killed_server_serves_search_at_once_after_a_restart(servers: tuple[Site, Server, Server]) -> None:
    _, _, two = servers
    two.kill()
    started = time.monotonic()
    two.start()
    ready = time.monotonic() - started
    found = Browser(two.base).get("/search", q="案例")
    assert found.status == 200 and "/cases/p0000" in found.text
    assert ready < 60, f"the restart took {ready:.1f} s"


def test_twenty_wrong_passwords_at_once_across_both_servers_are_counted_exactly(
    servers: tuple[Site, Server, Server],
) -> None:
    _, one, two = servers
    browsers = [Browser((one, two)[n % 2].base) for n in range(20)]
    forms = [form_on(b.get("/login").text, "/login").filled(name="bianji", password="wrong password") for b in browsers]
    start = threading.Barrier(len(browsers))

    def attempt(n: int) -> int:
        start.wait()
        return browsers[n].post("/login", forms[n]).status

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        statuses = sorted(pool.map(attempt, range(len(browsers))))
    assert statuses == [200] * 5 + [429] * 15  # five checked against the password, the rest refused
    owner = Browser(two.base)
    form = form_on(owner.get("/login").text, "/login")
    assert owner.post("/login", form.filled(name="bianji", password=PASSWORD)).status == 429  # locked here
