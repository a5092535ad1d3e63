"""The staff flow in a real chromium: log in, write with the live preview, autosave, upload a
picture, submit; a reviewer publishes; the public page shows it. Phone width throughout."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .browserkit import SHOTS, launched_chromium, login_page, prepare_app, serving, sideways_scroll, wait_until
from .conftest import DEMO

PASSWORD = "浏览器 测试 密码"
STAFF = {"编辑小王": "editor", "审核老李": "reviewer"}


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("staff")
    content = base / "content"
    shutil.copytree(DEMO, content)
    app = prepare_app(content, base / "data", users=STAFF, password=PASSWORD, rebuild_index=True)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(staff_server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.mark.browser
def test_write_preview_upload_submit_publish(chromium: Any, staff_server: str, tmp_path: Path) -> None:
    photo = tmp_path / "议事会现场.jpg"
    Image.new("RGB", (1600, 1200), (200, 120, 40)).save(photo, "JPEG")
    editor_context = chromium.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2)
    page = editor_context.new_page()
    login_page(page, staff_server, "编辑小王", PASSWORD)
    assert "工作台" in page.inner_text("h1")
    assert sideways_scroll(page) <= 0

    page.goto(staff_server + "/staff/new/case?topic=dianti-jiazhuang")
    page.fill("input[name=slug]", "browser-louyuan")
    page.fill("input[name=title]", "楼院议事会这样开")
    page.fill("textarea[name=body]", "")
    page.type("textarea[name=body]", "## 做法\n\n**楼院议事会**每月开一次。")
    page.wait_for_selector(".preview strong:has-text('楼院议事会')", timeout=5000)
    assert page.inner_html(".preview h2") == "做法"

    # the autosaved copy survives leaving the page without saving (a crash, a lost connection)
    wait_until(page, "(localStorage.getItem('casebook:case/new') || '').includes('每月开一次')", timeout=5000)
    page.goto(staff_server + "/staff/new/case?topic=dianti-jiazhuang")
    page.wait_for_selector(".restore-banner:not([hidden])", timeout=5000)
    page.click(".restore-yes")
    assert "每月开一次" in page.input_value("textarea[name=body]")
    assert page.input_value("input[name=title]") == "楼院议事会这样开"

    # upload a picture into the body
    page.once("dialog", lambda dialog: dialog.accept("楼院议事会现场"))
    with page.expect_file_chooser() as chooser:
        page.click(".upload-image")
    chooser.value.set_files(str(photo))
    wait_until(
        page, "document.querySelector('textarea[name=body]').value.includes('![楼院议事会现场](media/')", timeout=10000
    )
    page.wait_for_selector(".preview img", timeout=5000)
    assert sideways_scroll(page) <= 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "staff-editor-360.png"), full_page=False)

    page.click("button[value=submit]")
    page.wait_for_url("**/staff/edit/case/browser-louyuan?saved=1")
    assert "待审核" in page.inner_text("h1")
    assert "已提交审核" in page.inner_text(".flash")
    response = page.goto(staff_server + "/cases/browser-louyuan")
    assert response is not None and response.status == 404  # not public until a reviewer publishes

    reviewer = chromium.new_context(viewport={"width": 360, "height": 640}).new_page()
    login_page(reviewer, staff_server, "审核老李", PASSWORD)
    assert "楼院议事会这样开" in reviewer.inner_text("main")  # in 待审核 on the dashboard
    reviewer.goto(staff_server + "/staff/review/case/browser-louyuan")
    reviewer.click("form:has(input[value=published]) button")
    reviewer.wait_for_selector(".flash-ok")

    public = chromium.new_page(viewport={"width": 360, "height": 640})
    public.goto(staff_server + "/cases/browser-louyuan")
    assert public.inner_text("h1") == "楼院议事会这样开"
    image = public.locator(".prose img")
    assert image.get_attribute("alt") == "楼院议事会现场"
    # loading="lazy" pictures do not hold up the load event: wait for it (a busy machine is slow), then require it
    image.evaluate("img => img.complete ? null : new Promise(done => { img.onload = img.onerror = done; })")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert sideways_scroll(public) <= 0
    editor_context.close()
