"""The 征集 form in a real chromium at 360 px: the community list narrows to the chosen street,
a missing consent comes back with everything typed, a similar proposal is shown as 类似建议, and
仍然提交 saves it and shows the thank-you page with its reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from casebook.db import db
from casebook.participation.proposal_models import Proposal

from .browserkit import SHOTS, launched_chromium, prepare_app, serving, sideways_scroll, write_content

YEAR = 2031


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    root = write_content(tmp_path / "content")
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    folder = root / "projects" / str(YEAR)
    folder.mkdir(parents=True)
    window = f"proposals:\n  open: {today - dt.timedelta(days=2)}\n  close: {today + dt.timedelta(days=2)}\n"
    (folder / "year.yml").write_text(window, "utf-8")
    (folder / "proposals.yml").write_text(
        f"- ref: 热线-1\n  date: {today}\n  channel: 热线\n  title: 碧沙岗社区增设老年助餐点\n"
        "  problem: 碧沙岗社区独居老人多，附近没有方便吃饭的地方。\n  street: 林山寨街道\n  community: 碧沙岗社区\n",
        "utf-8",
    )
    app = prepare_app(root, tmp_path / "data")
    with serving(app) as url:
        yield url, app


@pytest.fixture
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.mark.browser
def test_a_resident_proposes_at_phone_width(chromium: Any, served: tuple[str, Flask]) -> None:
    base, app = served
    page = chromium.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2).new_page()
    page.goto(f"{base}/projects/{YEAR}/propose")
    assert sideways_scroll(page) <= 0
    page.fill("#f-title", "碧沙岗社区开老年助餐点")
    page.fill("#f-problem", "碧沙岗社区独居老人多，附近没有方便吃饭的地方，中午常常凑合。")
    page.select_option("#f-street", "林山寨街道")
    visible = page.eval_on_selector_all("#f-community optgroup:not([hidden])", "groups => groups.map(g => g.label)")
    assert visible == ["林山寨街道"]  # the script narrowed the communities to the street
    page.select_option("#f-community", "碧沙岗社区")
    page.fill("#f-suggestion", "在党群服务中心一楼开助餐点。")
    page.select_option("#f-theme", "养老服务")
    page.fill("#f-name", "王阿姨")
    page.fill("#f-phone", "139 1234 5678")
    page.click("#propose-form button[type=submit]")

    page.wait_for_selector("#err-consent")  # a name and phone need consent; nothing lost
    assert page.input_value("#f-title") == "碧沙岗社区开老年助餐点"
    assert page.input_value("#f-phone") == "139 1234 5678"
    assert page.input_value("#f-community") == "碧沙岗社区"
    assert page.get_attribute("#f-consent", "aria-invalid") == "true"
    page.check("#f-consent")
    page.click("#propose-form button[type=submit]")

    page.wait_for_selector(".similar")
    notice = page.inner_text(".similar")
    assert "类似建议" in notice and "碧沙岗社区增设老年助餐点" in notice and f"{YEAR}-0001" in notice
    assert sideways_scroll(page) <= 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "propose-similar-360.png"), full_page=True)
    page.click("button[name=confirm_similar]")

    page.wait_for_selector(".reference")
    assert f"{YEAR}-0002" in page.inner_text(".reference") and "接下来会怎样" in page.inner_text("main")
    assert sideways_scroll(page) <= 0
    page.screenshot(path=str(SHOTS / "propose-thanks-360.png"), full_page=True)
    with app.app_context():
        saved = db.session.scalars(select(Proposal).where(Proposal.number == 2)).one()
    assert (saved.title, saved.phone, saved.name, saved.community) == (
        "碧沙岗社区开老年助餐点",
        "13912345678",
        "王阿姨",
        "碧沙岗社区",
    )
