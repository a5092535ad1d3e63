"""Real chromium at 360×640 rates a finished project: the three large choices, the comment, the
notice; submitting (no script involved) comes back to the page with the thanks and the result;
a second rating from the same browser says it replaced the first. Nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import launched_chromium, prepare_app, serving, sideways_scroll
from .conftest import DEMO

PROJECT = "/projects/2023/jiazhuang-dianti"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import shutil

    base = tmp_path_factory.mktemp("rating")
    content = Path(shutil.copytree(DEMO, base / "content"))
    app = prepare_app(content, base / "data")
    with serving(app) as url:
        yield url


@pytest.fixture
def phone(server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, locale="zh-CN")
        page = context.new_page()
        yield page
        context.close()


def test_a_resident_rates_a_project_on_a_phone_and_sees_the_result(
    phone: Any, server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    phone.goto(server + PROJECT + "#rating")
    form = phone.locator("form.rating-form")
    assert form.is_visible()
    assert "不需要填写姓名或电话" in phone.locator("#rating-privacy").inner_text()
    for choice in ("满意", "基本满意", "不满意"):
        box = phone.get_by_label(choice, exact=True).locator("xpath=..").bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (choice, box)
    assert sideways_scroll(phone) == 0
    phone.get_by_label("基本满意", exact=True).check()
    phone.locator("#rating-comment").fill("电梯很好，希望维保费用公开。")
    phone.get_by_role("button", name="提交评议").click()
    phone.wait_for_url("**rated=new*")
    section = phone.locator("#rating")
    assert "感谢您参与评议" in section.inner_text()
    assert "100.0%" in section.inner_text() and "共 1 人" in section.inner_text()
    phone.screenshot(path=str(tmp_path_factory.mktemp("shots") / "rating-360.png"), full_page=True)
    assert sideways_scroll(phone) == 0

    phone.get_by_label("不满意", exact=True).check()
    phone.get_by_role("button", name="提交评议").click()
    phone.wait_for_url("**rated=replaced*")
    text = phone.locator("#rating").inner_text()
    assert "替换之前的评议" in text and "共 1 人" in text and "0.0%" in text
