"""Keyboard only, in Debian's chromium: an editor logs in, opens the editor from the dashboard, writes a
new case with Tab and typing, saves it and submits it for review; a reviewer returns it with a
comment, the editor submits it again, the reviewer publishes it. Every control reached by Tab shows a
visible focus ring (a :focus-visible outline of at least 2 px)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import launched_chromium, prepare_app, serving, write_content

PASSWORD = "键盘操作 审核流程 2026!"
STAFF = {"编辑小王": "editor", "审核老李": "reviewer"}
TOPICS = "- slug: louyuan\n  number: 1\n  title: 无主管楼院治理\n"
PLACES = "林山寨街道:\n  - 农业银行社区\n"
TITLE = "楼院议事会用键盘写成"
FOCUS = """(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'nothing focused';
  const style = getComputedStyle(el);
  const ring = parseFloat(style.outlineWidth) >= 2 && style.outlineStyle !== 'none';
  return el.matches(':focus, :focus-within') && ring ? '' : `no visible focus on ${el.outerHTML.slice(0, 80)}`;
})()"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("keyboard")
    content = write_content(base / "content", TOPICS, PLACES)
    app = prepare_app(content, base / "data", users=STAFF, password=PASSWORD, rebuild_index=True)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def tab_to(page: Any, condition: str, limit: int = 80) -> None:
    """Press Tab until ``condition`` (JS about ``el``, the focused element) holds; each stop must show focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS) == ""
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({condition}); }})()"):
            return
    raise AssertionError(f"Tab never reached {condition}")


def enter_on(page: Any, condition: str) -> None:
    """Tab to the control matching ``condition`` and press Enter, waiting for the page it loads."""
    tab_to(page, condition)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_login(page: Any, base: str, name: str) -> None:
    page.goto(base + "/login")
    tab_to(page, "el.name === 'name'")
    page.keyboard.type(name)
    tab_to(page, "el.name === 'password'")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + "/staff/"


def text_is(button: str) -> str:
    return f"el.tagName === 'BUTTON' && el.textContent.trim() === '{button}'"


@pytest.mark.browser
def test_write_submit_return_and_publish_with_the_keyboard_only(chromium: Any, server: str, tmp_path: Path) -> None:
    size = {"width": 360, "height": 640}
    editor = chromium.new_context(viewport=size).new_page()
    keyboard_login(editor, server, "编辑小王")
    # the skip link comes first and takes focus to the main content
    editor.keyboard.press("Tab")
    assert editor.evaluate("document.activeElement.className") == "skip-link"
    assert editor.evaluate(FOCUS) == ""
    enter_on(editor, "el.tagName === 'A' && el.textContent.trim() === '微案例' && el.classList.contains('button')")
    assert editor.url.endswith("/staff/new/case")

    tab_to(editor, "el.name === 'title'")
    editor.keyboard.type(TITLE)
    tab_to(editor, "el.name === 'topic'")
    editor.keyboard.press("ArrowDown")  # a closed select takes the next option
    assert editor.input_value("select[name=topic]") == "louyuan"
    if not editor.input_value("input[name=date]"):
        tab_to(editor, "el.name === 'date'")
        editor.keyboard.type("2026-11-20")
    tab_to(editor, "el.id === 'body'")
    editor.keyboard.type("## 做法\n\n楼栋长召集，居民代表轮流主持。")
    enter_on(editor, text_is("保存草稿"))
    assert "saved=1" in editor.url and editor.input_value("input[name=title]") == TITLE
    enter_on(editor, text_is("提交审核"))
    assert "已提交审核" in editor.inner_text("main") or "待审核" in editor.inner_text("main")

    reviewer = chromium.new_context(viewport=size).new_page()
    keyboard_login(reviewer, server, "审核老李")
    enter_on(reviewer, "el.tagName === 'A' && el.textContent.trim() === '待审核'")
    enter_on(reviewer, f"el.tagName === 'A' && el.textContent.includes('{TITLE}')")
    tab_to(reviewer, "el.id === 'comment'")
    reviewer.keyboard.type("请写明每月开几次会。")
    enter_on(reviewer, "el.classList.contains('return-button')")
    assert "已退回给 编辑小王" in reviewer.inner_text(".flash-ok")

    # the editor opens the returned case from the dashboard, adds the answer and submits again
    editor.goto(server + "/staff/")
    enter_on(editor, f"el.tagName === 'A' && el.textContent.includes('{TITLE}')")
    assert "请写明每月开几次会" in editor.inner_text(".returned-notice")
    tab_to(editor, "el.id === 'body'")
    editor.keyboard.press("Control+End")
    editor.keyboard.type("\n\n议事会每月开一次。")
    enter_on(editor, text_is("提交审核"))

    reviewer.goto(server + "/staff/review")
    enter_on(reviewer, f"el.tagName === 'A' && el.textContent.includes('{TITLE}')")
    enter_on(reviewer, text_is("发布"))
    public = chromium.new_page()
    listing = public.goto(server + "/cases/")
    assert listing is not None and listing.status == 200
    assert TITLE in public.inner_text("main")
