"""One writer and two readers, real servers on one PostgreSQL database with the search index in it.

Each is ``casebook serve`` (gunicorn, two workers). The writer has the content folder and its data
folder; each reader (``CASEBOOK_INSTANCE=reader``) has neither: no content folder, a data folder
that does not exist. A staff save through the writer, with a new picture, is on both readers'
pages, in their search and served by them at their next request; a reader SIGKILLed and started
again serves at once, with no index to build; twenty wrong passwords sent at once across both
readers are counted exactly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from . import pgkit
from .convertkit import png
from .proofkit import library
from .proofkit.procs import PASSWORD, Server, Site
from .proofkit.web import Browser, form_on

pytestmark = pgkit.needs_postgres


WRITER_URL = "https://edit.example.org"
Servers = tuple[Site, Server, Server, Server]


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Servers]:
    monkeypatch.setenv("CASEBOOK_SEARCH", "postgres")
    site = library.site(tmp_path)
    library.write_cases(site, 6)
    site.add_user("bianji", "reviewer")
    writer = Server(site, tmp_path / "writer.log")
    writer.start()  # prepares the database and syncs: readers start on what it made
    reader_settings = (("CASEBOOK_INSTANCE", "reader"), ("CASEBOOK_WRITER_URL", WRITER_URL))
    readers = [
        Server(Site(tmp_path / "none", tmp_path / f"empty-{n}", tmp_path, reader_settings), tmp_path / f"r{n}.log")
        for n in (1, 2)
    ]
    for reader in readers:
        reader.start()
    try:
        yield site, writer, readers[0], readers[1]
    finally:
        for server in (writer, *readers):
            server.stop()
    assert not (tmp_path / "none").exists()
    assert not (tmp_path / "empty-1").exists() and not (tmp_path / "empty-2").exists()


def test_a_save_on_the_writer_is_on_both_readers_at_their_next_request(servers: Servers) -> None:
    site, writer, *readers = servers
    visitors = [Browser(reader.base) for reader in readers]
    assert all("/cases/p0001" not in v.get("/search", q="yzqdianti").text for v in visitors)
    editor = Browser(writer.base)
    editor.login("bianji", PASSWORD)
    path = "photos/louda.png"  # a picture put in the content folder by hand, first used by this save
    (site.content / "media" / "photos").mkdir()
    (site.content / "media" / path).write_bytes(png(320, 200))
    form = form_on(editor.get("/staff/edit/case/p0001").text, form_id="editor")
    body = form.value("body").rstrip() + f"\n\n![楼道](media/{path})\n\n楼院加装电梯，居民议事会定下了 yzqdianti 方案。"
    reply = editor.post("/staff/edit/case/p0001", form.filled(("action", "publish"), body=body))
    assert reply.status == 302 and "saved=1" in reply.location, reply.text[:500]
    for visitor in visitors:
        page = visitor.get("/cases/p0001")
        assert page.status == 200 and "yzqdianti 方案" in page.text and path in page.text
        found = visitor.get("/search", q="yzqdianti")
        assert "/cases/p0001" in found.text and "<mark>yzqdianti</mark>" in found.text
        served = visitor.get(f"/media/{path}")
        assert served.status == 200 and served.body == (site.content / "media" / path).read_bytes()
        refused = visitor.get("/staff/edit/case/p0001")
        assert refused.status == 503 and f'href="{WRITER_URL}/staff/edit/case/p0001"' in refused.text
    assert not (site.data / "search").exists()


def test_a_killed_reader_serves_search_at_once_after_a_restart(servers: Servers) -> None:
    _, _, _, two = servers
    two.kill()
    started = time.monotonic()
    two.start()
    ready = time.monotonic() - started
    found = Browser(two.base).get("/search", q="案例")
    assert found.status == 200 and "/cases/p0000" in found.text
    assert ready < 60, f"the restart took {ready:.1f} s"


def test_twenty_wrong_passwords_at_once_across_both_readers_are_counted_exactly(servers: Servers) -> None:
    _, _, one, two = servers
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
