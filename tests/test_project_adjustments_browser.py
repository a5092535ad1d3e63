"""调整动议 in a real browser at phone width: the editor adds a motion row in place (its outcome select
renamed and empty), the saved motions show on the page newest first, and the page links its feed."""

from __future__ import annotations

import shutil
from pathlib import Path

from casebook.content.projects import parse_project_file

from .browserkit import launched_chromium, login_page, prepare_app, serving, sideways_scroll
from .conftest import DEMO

PASSWORD = "调整动议 浏览器测试 2026!"


def test_a_motion_row_is_added_in_place_and_the_motions_are_published(tmp_path: Path) -> None:
    content = Path(shutil.copytree(DEMO, tmp_path / "content"))
    app = prepare_app(content, tmp_path / "data", users={"管理员老周": "admin"}, password=PASSWORD)
    with serving(app) as base, launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 740})
        login_page(page, base, "管理员老周", PASSWORD)
        page.goto(base + "/staff/new/project")
        page.fill("input[name=slug]", "beijie-xiaoxiang")
        page.fill("input[name=title]", "背街小巷整治")
        page.fill("input[name=year]", "2023")
        page.fill("input[name=lead]", "区城市管理局")
        page.select_option("select[name=stage]", "调整")
        group = page.locator('fieldset[data-group="adjustments"]')
        rows_before = group.locator(".row-item").count()
        first = "adjustments-0-"
        page.fill(f"input[name={first}date]", "2023-05-06")
        page.fill(f"input[name={first}moved_by]", "区政府")
        page.fill(f"input[name={first}reason]", "雨季施工受阻")
        page.fill(f"input[name={first}change]", "时间：完工推迟两个月")
        page.select_option(f"select[name={first}outcome]", "通过")
        page.fill(f"input[name={first}vote_present]", "30")
        page.fill(f"input[name={first}vote_for]", "28")
        last = f"select[name=adjustments-{rows_before - 1}-outcome]"
        page.select_option(last, "通过")  # the row the new one is copied from has a choice made
        group.locator("button.add-row").click()
        page.select_option(last, "")  # and is left blank again (a blank row is skipped)
        assert group.locator(".row-item").count() == rows_before + 1
        new = f"adjustments-{rows_before}-"
        select = page.locator(f"select[name={new}outcome]")
        assert select.input_value() == ""  # a copied row starts empty, select included
        page.fill(f"input[name={new}date]", "2023-08-09")
        page.fill(f"input[name={new}moved_by]", "区人大代表联名")
        page.fill(f"input[name={new}reason]", "商户反映夜间施工扰民")
        page.fill(f"input[name={new}change]", "范围：夜间停工")
        select.select_option("待表决")
        assert sideways_scroll(page) == 0
        page.click("button[name=action][value=publish]")
        page.wait_for_url("**/staff/**")

        project, problems = parse_project_file(content, content / "projects" / "2023" / "beijie-xiaoxiang.md")
        assert project is not None and problems == []
        motions = [(a.moved_by, a.outcome) for a in project.adjustments]
        assert motions == [("区政府", "通过"), ("区人大代表联名", "待表决")]

        page.goto(base + "/projects/2023/beijie-xiaoxiang")
        assert "本项目正在调整" in page.locator("section.adjustments-current").inner_text()
        dates = page.locator("section#adjustments li.motion time").evaluate_all("els => els.map(e => e.dateTime)")
        assert dates[:2] == ["2023-08-09", "2023-05-06"]
        assert sideways_scroll(page) == 0
        feed = page.locator("section#updates a", has_text="订阅更新").get_attribute("href")
        assert feed == "/projects/2023/beijie-xiaoxiang/feed.xml"
        answer = page.request.get(base + feed)
        assert answer.status == 200 and answer.headers["content-type"].startswith("application/atom+xml")
        assert "范围：夜间停工" in answer.text()
