"""Real chromium: an autosaved copy restored after a crash does not overwrite a save made meanwhile.

The copy in localStorage was typed on top of an older version of the entry; restoring it must
submit that older version as the form's base, so the server shows a conflict with both texts
instead of silently replacing the other person's save.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from casebook import create_app
from casebook.catalog import sync
from casebook.db import db
from casebook.staff import accounts

from .conftest import PLACES, TOPICS
from .test_browser import launched_chromium

PASSWORD = "浏览器 测试 密码"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("autosave")
    content = base / "content"
    for folder in ("interviews", "salons", "cases", "media"):
        (content / folder).mkdir(parents=True)
    (content / "topics.yml").write_text(TOPICS, encoding="utf-8")
    (content / "places.yml").write_text(PLACES, encoding="utf-8")
    app = create_app({"CONTENT_DIR": content, "DATA_DIR": base / "data", "SITE_URL": "http://127.0.0.1"})
    with app.app_context():
        sync(db.session, content)
        accounts.add_user(db.session, "编辑甲", "editor", PASSWORD)
        accounts.add_user(db.session, "编辑乙", "editor", PASSWORD)
        db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", content
    httpd.shutdown()


@pytest.fixture(scope="module")
def chromium(server: tuple[str, Path]) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def _login(page: Any, url: str, name: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(url + "/staff/")


@pytest.mark.browser
def test_restored_autosave_conflicts_with_a_save_made_meanwhile(chromium: Any, server: tuple[str, Path]) -> None:
    url, content = server
    edit_url = url + "/staff/edit/case/louyuan-zidong"
    first = chromium.new_context().new_page()
    _login(first, url, "编辑甲")
    first.goto(url + "/staff/new/case?topic=louyuan")
    first.fill("input[name=slug]", "louyuan-zidong")
    first.fill("input[name=title]", "楼院自治")
    first.fill("textarea[name=body]", "第一段。")
    first.click("button[value=save]")
    first.wait_for_url("**/staff/edit/case/louyuan-zidong?saved=1")

    # 编辑甲 keeps typing; the copy is autosaved, then the browser crashes before saving
    first.goto(edit_url)
    first.fill("textarea[name=body]", "第一段。\n\n甲的补充。")
    first.wait_for_function("(localStorage.getItem('casebook:case/louyuan-zidong') || '').includes('甲的补充')")

    # meanwhile 编辑乙 saves a change of their own
    second = chromium.new_context().new_page()
    _login(second, url, "编辑乙")
    second.goto(edit_url)
    second.fill("textarea[name=body]", "第一段。\n\n乙的修改。")
    second.click("button[value=save]")
    second.wait_for_url("**/staff/edit/case/louyuan-zidong?saved=1")

    # 编辑甲 comes back, takes the autosaved copy and saves it
    first.goto(edit_url)
    first.wait_for_selector(".restore-banner:not([hidden])")
    first.click(".restore-yes")
    assert "甲的补充" in first.input_value("textarea[name=body]")
    first.click("button[value=save]")
    first.wait_for_selector("#conflict")
    assert "甲的补充" in first.input_value("textarea[name=body]")  # their own text is kept in the form
    assert "乙的修改" in first.inner_text("#conflict")  # and the other version is shown
    saved = (content / "cases" / "louyuan-zidong.md").read_text(encoding="utf-8")
    assert "乙的修改" in saved and "甲的补充" not in saved
