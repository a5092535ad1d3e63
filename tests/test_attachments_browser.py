"""出处 and attachments in a real chromium at phone width: the editor asks for the source of a
微分享 case and hides it for a local one; an attachment is uploaded (a refused one says why and
changes nothing); the case page lists it and the browser saves it under its Chinese name."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import SHOTS, launched_chromium, login_page, prepare_app, serving, sideways_scroll, wait_until
from .conftest import DEMO
from .test_attachments import EXE, real_docx

PASSWORD = "附件 浏览器 测试 密码"
STAFF = {"编辑小王": "editor"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("attach")
    content = base / "content"
    shutil.copytree(DEMO, content)
    app = prepare_app(content, base / "data", users=STAFF, password=PASSWORD)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.mark.browser
def test_editor_source_inputs_and_attachment_upload_at_360_px(chromium: Any, server: str, tmp_path: Path) -> None:
    good, bad = tmp_path / "楼院台账说明.docx", tmp_path / "议事规则.pdf"
    good.write_bytes(real_docx("台账每月更新一次。"))
    bad.write_bytes(EXE)
    context = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    login_page(page, server, "编辑小王", PASSWORD)
    page.goto(server + "/staff/edit/case/yuntai-dianti")
    source = page.locator("fieldset[data-field=source]")
    assert source.is_visible() and page.input_value("input[name=source-name]") == "云台市住建部门公众号（示例）"
    page.select_option("select[name=scope]", "local")
    assert not source.is_visible()  # a local case has no source to give
    page.select_option("select[name=scope]", "national")
    assert source.is_visible()
    page.fill("input[name=source-name]", "")
    page.goto(server + "/staff/new/case")
    page.select_option("select[name=scope]", "national")
    assert page.locator("fieldset[data-field=source]").is_visible()

    page.goto(server + "/staff/edit/case/yuntai-dianti")
    box = "textarea[name=attachments]"
    with page.expect_file_chooser() as chooser:
        page.click(".upload-attachment")
    chooser.value.set_files(str(bad))
    wait_until(page, "document.querySelector('.attachment-status').textContent.includes('程序文件')", timeout=10000)
    assert page.input_value(box) == ""  # refused: nothing added, nothing typed lost
    with page.expect_file_chooser() as chooser:
        page.click(".upload-attachment")
    chooser.value.set_files(str(good))
    wait_until(page, "document.querySelector('.attachment-status').textContent.includes('已上传')", timeout=10000)
    line = page.input_value(box)
    assert line.startswith("attachments/") and line.endswith(".docx 楼院台账说明")
    assert sideways_scroll(page) <= 0
    page.screenshot(path=str(SHOTS / "attachments-editor-360.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[name=action][value=save]")
    assert page.input_value(box) == line  # saved (as a pending edit of the published case) and shown again
    context.close()


@pytest.mark.browser
def test_case_page_lists_attachments_and_the_browser_downloads_them_by_title(
    chromium: Any, server: str, tmp_path: Path
) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, accept_downloads=True)
    page = context.new_page()
    page.goto(server + "/cases/haizhou-dianti")
    section = page.locator("section.attachments")
    assert section.is_visible() and "附件下载" in section.inner_text()
    assert "Word 文件" in section.inner_text()
    source = page.locator("dd.source a")
    assert source.get_attribute("rel") == "noopener noreferrer" and "外部链接" in source.inner_text()
    assert sideways_scroll(page) <= 0
    page.screenshot(path=str(SHOTS / "attachments-case-360.png"), full_page=True)
    with page.expect_download() as download:
        page.click("a.attachment-link")
    assert download.value.suggested_filename == "加装电梯协商记录（模板）.docx"
    saved = tmp_path / "got.docx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:4] == b"PK\x03\x04"
    assert page.url.endswith("/cases/haizhou-dianti")  # the page stays: never shown inline
    context.close()
