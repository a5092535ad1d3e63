"""Real chromium: an autosaved copy restored after a crash does not overwrite a save made meanwhile.

The copy in localStorage was typed on top of an older version of the entry; restoring it must
submit that older version as the form's base, so the server shows a conflict with both texts
instead of silently replacing the other person's save.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import launched_chromium, login_page, prepare_app, serving, wait_until, write_content

PASSWORD = "浏览器 测试 密码"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("autosave")
    content = write_content(base / "content")
    app = prepare_app(content, base / "data", users={"编辑甲": "editor", "编辑乙": "editor"}, password=PASSWORD)
    with serving(app) as url:
        yield url, content


@pytest.fixture(scope="module")
def chromium(server: tuple[str, Path]) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.mark.browser
def test_restored_autosave_conflicts_with_a_save_made_meanwhile(chromium: Any, server: tuple[str, Path]) -> None:
    url, content = server
    edit_url = url + "/staff/edit/case/louyuan-zidong"
    first = chromium.new_context().new_page()
    login_page(first, url, "编辑甲", PASSWORD)
    first.goto(url + "/staff/new/case?topic=louyuan")
    first.fill("input[name=slug]", "louyuan-zidong")
    first.fill("input[name=title]", "楼院自治")
    first.fill("textarea[name=body]", "第一段。")
    first.click("button[value=save]")
    first.wait_for_url("**/staff/edit/case/louyuan-zidong?saved=1")

    # 编辑甲 keeps typing; the copy is autosaved, then the browser crashes before saving
    first.goto(edit_url)
    first.fill("textarea[name=body]", "第一段。\n\n甲的补充。")
    wait_until(first, "(localStorage.getItem('casebook:case/louyuan-zidong') || '').includes('甲的补充')")

    # meanwhile 编辑乙 saves a change of their own
    second = chromium.new_context().new_page()
    login_page(second, url, "编辑乙", PASSWORD)
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
