"""The glossary form in a real chromium at phone width: add a row, a refused row, save, follow the rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from casebook import jobs

from .browserkit import SHOTS, launched_chromium, login_page, prepare_app, serving, sideways_scroll, write_content

PASSWORD = "浏览器 测试 密码"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    root = write_content(tmp_path / "content")
    (root / "glossary.yml").write_text("# 搜索词表\n- term: 议事协商\n", encoding="utf-8")
    (root / "cases" / "louyuan.md").write_text(
        "---\ntitle: 老旧楼院的自管会\ntopic: louyuan\ndate: 2022-03-01\n---\n三无楼院成立自管会。\n", encoding="utf-8"
    )
    app = prepare_app(root, tmp_path / "data", users={"审核老李": "reviewer"}, password=PASSWORD)
    with serving(app) as url:
        yield url, app


@pytest.fixture
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.mark.browser
def test_glossary_form_at_phone_width(chromium: Any, served: tuple[str, Flask], tmp_path: Path) -> None:
    base, app = served
    page = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2).new_page()
    login_page(page, base, "审核老李", PASSWORD)

    page.goto(base + "/staff/settings/glossary")
    rows = page.locator("[data-row]")
    assert rows.count() == 4  # the one term, three blank rows
    assert page.input_value("[data-row] >> nth=0 >> input[name=term]") == "议事协商"
    assert sideways_scroll(page) <= 0
    page.fill("[data-row] >> nth=1 >> input[name=term]", "无主管楼院")
    page.fill("[data-row] >> nth=1 >> textarea[name=synonyms]", "三无楼院，老旧散楼院")
    page.fill("[data-row] >> nth=2 >> textarea[name=synonyms]", "没有词语的同义词")
    page.click("button.add-row")
    assert rows.count() == 5
    added = rows.nth(4)
    assert added.locator(".row-number").inner_text() == "5"
    assert page.evaluate("document.activeElement.name") == "term"  # focus moved into the new row
    added.locator("input[name=term]").fill("网格员")
    added.locator("textarea[name=synonyms]").fill("网格长 网格管理员")

    page.click("form#settings-form button[type=submit]")
    page.wait_for_selector(".setting-row.has-error")
    refused = page.locator(".setting-row.has-error")
    assert refused.count() == 1 and "有同义词但没有词语" in refused.inner_text()
    assert page.evaluate("document.activeElement.closest('.has-error') !== null")  # focus on the row to fix
    assert page.input_value("[data-row] >> nth=1 >> textarea[name=synonyms]") == "三无楼院，老旧散楼院"
    assert page.input_value("[data-row] >> nth=4 >> input[name=term]") == "网格员"  # the row added by script, kept
    assert sideways_scroll(page) <= 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "staff-glossary-360.png"), full_page=False)

    refused.locator("textarea[name=synonyms]").fill("")
    page.click("form#settings-form button[type=submit]")
    page.wait_for_selector(".job-status .job-headline")
    assert page.inner_text(".job-headline") == "已保存，索引重建中"
    glossary = (Path(app.config["CASEBOOK_CONTENT_DIR"]) / "glossary.yml").read_text(encoding="utf-8")
    assert "- term: 无主管楼院\n  synonyms: [三无楼院, 老旧散楼院]\n" in glossary
    assert "- term: 网格员\n  synonyms: [网格长, 网格管理员]\n" in glossary

    runner = jobs.start_runner(app, poll=0.2)  # the server's job runner, started only now
    try:
        page.wait_for_selector(".job-status.job-done", timeout=30_000)  # settings.js polls the job status
    finally:
        runner.stop()
    assert page.inner_text(".job-headline") == "已生效"
    assert page.locator(".job-progress").is_hidden()
    page.screenshot(path=str(SHOTS / "staff-glossary-saved-360.png"), full_page=False)
    assert sideways_scroll(page) <= 0
    page.goto(base + "/staff/")
    assert "后台任务" in page.inner_text("main") and "重建搜索索引" in page.inner_text("main")
    page.locator("section.jobs").screenshot(path=str(SHOTS / "staff-jobs-360.png"))
    assert sideways_scroll(page) <= 0
