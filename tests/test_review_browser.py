"""The review loop in a real chromium at 360 px: a reviewer returns an edit with a comment using
the keyboard only; the editor finds it on the dashboard and in the editor. Saves the review page
as docs/screenshots/review-360.png when CASEBOOK_SCREENSHOTS is set (see tests/browserkit.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import SHOTS, launched_chromium, login_page, prepare_app, serving, sideways_scroll, write_content
from .staffkit import entry_form, form_of, login, token

PASSWORD = "浏览器 审核 密码"
STAFF = {"编辑小王": "editor", "审核老李": "reviewer"}
SLUG = "yishihui-meiyue"
TOPICS = "- slug: louyuan\n  number: 1\n  title: 无主管楼院治理\n"
PLACES = "林山寨街道:\n  - 农业银行社区\n"
PUBLISHED = """\
---
title: 楼院议事会每月开一次
topic: louyuan
date: 2026-10-08
summary: 居民自己商量楼院的事。
tags: [楼院, 议事会]
street: 林山寨街道
community: 农业银行社区
status: published
---
## 做法

楼院议事会每月开一次，由楼栋长召集，居民代表轮流主持。

## 成效

停车、绿化和加装电梯的事都在议事会上商量定了。
"""


@pytest.fixture(scope="module")
def review_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("review")
    content = write_content(base / "content", TOPICS, PLACES)
    (content / "cases" / f"{SLUG}.md").write_text(PUBLISHED, encoding="utf-8")
    app = prepare_app(content, base / "data", users=STAFF, password=PASSWORD, rebuild_index=True)
    # the editor changes the published case (a pending edit) and asks a question in the thread
    editor = app.test_client()
    login(editor, "编辑小王", PASSWORD)
    url = f"/staff/edit/case/{SLUG}"
    body = (
        "## 做法\n\n楼院议事会每两周开一次，由楼栋长召集，居民代表轮流主持。\n\n"
        "## 成效\n\n停车、绿化和加装电梯的事都在议事会上商量定了。"
    )
    fields = entry_form(
        title="楼院议事会每两周开一次",
        date="2026-10-08",
        summary="居民自己商量楼院的事。",
        tags="楼院、议事会、加装电梯",
        street="林山寨街道",
        community="农业银行社区",
        body=body,
    )
    assert editor.post(url, data={**form_of(editor, url), **fields, "action": "save"}).status_code == 302
    review = f"/staff/review/case/{SLUG}"
    question = {"csrf_token": token(editor, review), "comment": "改成两周一次是按街道的新要求，请审核。"}
    assert editor.post(f"/staff/comment/case/{SLUG}", data=question).status_code == 302
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(review_server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def _tab_to(page: Any, condition: str, limit: int = 80) -> None:
    """Press Tab until ``condition`` (a JS expression about ``el``, the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({condition}); }})()"):
            return
    raise AssertionError(f"Tab never reached {condition}")


@pytest.mark.browser
def test_return_with_a_comment_by_keyboard_at_360px(chromium: Any, review_server: str, tmp_path: Path) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2)
    page = context.new_page()
    login_page(page, review_server, "审核老李", PASSWORD)
    page.goto(f"{review_server}/staff/review/case/{SLUG}")
    # what changed: the field table (labels in Chinese) and the body, character by character
    assert page.locator(".field-diff th[scope=row]").all_inner_texts() == ["标题", "标签"]
    assert page.locator(".body-diff del").all_inner_texts() == ["月"]
    assert page.locator(".body-diff ins").all_inner_texts() == ["两周"]
    decoration = page.eval_on_selector(".body-diff ins", "el => getComputedStyle(el).textDecorationLine")
    assert "underline" in decoration  # marked by more than colour
    assert "line-through" in page.eval_on_selector(".body-diff del", "el => getComputedStyle(el).textDecorationLine")
    assert "按街道的新要求" in page.inner_text("#thread")
    assert sideways_scroll(page) <= 0

    # keyboard only: Tab to the comment box, type, Tab to 退回修改, Enter
    page.evaluate("document.activeElement && document.activeElement.blur()")
    _tab_to(page, "el.id === 'comment'")
    page.keyboard.type("请在“成效”里写明改成两周一次以后开了几次会。")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "review-360.png"), full_page=True)
    _tab_to(page, "el.classList.contains('return-button')")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-ok")
    assert "已退回给 编辑小王" in page.inner_text(".flash-ok")
    thread = page.inner_text("#thread")
    assert "请在“成效”里写明改成两周一次以后开了几次会。" in thread and "退回" in thread
    assert sideways_scroll(page) <= 0

    # the editor sees it on the dashboard and opens the returned text with the comment on top
    editor = chromium.new_context(viewport={"width": 360, "height": 640}).new_page()
    login_page(editor, review_server, "编辑小王", PASSWORD)
    returned = editor.locator("section.returned-to-me")
    assert "退回给我 1" in returned.locator("h2").inner_text()
    assert "请在“成效”里写明" in returned.inner_text()
    returned.locator("a", has_text="楼院议事会每两周开一次").click()
    editor.wait_for_selector(".returned-notice")
    assert "请在“成效”里写明" in editor.inner_text(".returned-notice")
    assert "每两周开一次" in editor.input_value("textarea[name=body]")
    assert sideways_scroll(editor) <= 0
    public = chromium.new_page(viewport={"width": 360, "height": 640})
    public.goto(f"{review_server}/cases/{SLUG}")
    assert public.inner_text("h1") == "楼院议事会每月开一次"
    context.close()
