"""民生实事 projects through the same editor: repeatable rows, exact numbers, review, history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casebook.content.projects import parse_project_text

from .staffkit import form_of, publish_form, staff_client


@pytest.fixture
def staff(app: Flask, resync: Callable[[], Any], write_entry: Callable[..., Path]) -> dict[str, FlaskClient]:
    write_entry("case", "louyuan-386", title="386号院的做法")
    resync()
    return {name: staff_client(app, name, role) for name, role in (("editor1", "editor"), ("reviewer1", "reviewer"))}


def project_form(**changes: str) -> dict[str, str]:
    values = {
        "title": "老旧小区加装电梯",
        "year": "2026",
        "lead": "区住房保障中心",
        "stage": "实施",
        "vote-session": "区人大常委会",
        "vote-date": "2026-01-10",
        "vote-present": "190",
        "vote-for": "180",
        "vote-against": "4",
        "vote-abstain": "6",
        "indicators-0-name": "加装电梯",
        "indicators-0-unit": "部",
        "indicators-0-planned": "19500",
        "indicators-0-achieved": "24305",
        "indicators-1-name": "",  # a blank row, as the form always offers one
        "indicators-2-name": "惠及居民",
        "indicators-2-unit": "户",
        "indicators-2-planned": "3",
        "indicators-2-achieved": "2",
        "milestones-0-date": "2026-03",
        "milestones-0-text": "完成意见征询。",
        "milestones-0-evidence": "case/louyuan-386\nhttps://example.org/notice",
        "related": "case/louyuan-386",
        "body": "加装电梯是居民呼声最高的实事之一。",
        "slug": "jiazhuang-dianti",
    }
    values.update(changes)
    return values


def _new(client: FlaskClient, action: str = "save", **changes: str) -> Any:
    data = {**form_of(client, "/staff/new/project"), **project_form(**changes), "action": action}
    return client.post("/staff/new/project", data=data)


def test_project_saved_through_the_form_reads_back_exactly(staff: dict[str, FlaskClient], content_dir: Path) -> None:
    r = _new(staff["editor1"])
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    path = content_dir / "projects" / "2026" / "jiazhuang-dianti.md"
    text = path.read_text(encoding="utf-8")
    assert "status: draft" in text and "rate" not in text
    project, problems = parse_project_text(text, "jiazhuang-dianti", "2026", path=path, known={"case/louyuan-386"})
    assert problems == [] and project is not None
    assert [(i.name, str(i.planned), str(i.achieved)) for i in project.indicators] == [
        ("加装电梯", "19500", "24305"),
        ("惠及居民", "3", "2"),
    ]
    assert project.vote is not None and (project.vote.present, project.vote.votes_for) == (190, 180)
    assert project.milestones[0].evidence == ("case/louyuan-386", "https://example.org/notice")
    # the editor shows the rows again, plus blank ones to add more
    html = staff["editor1"].get("/staff/edit/project/jiazhuang-dianti").get_data(as_text=True)
    assert 'name="indicators-1-planned" value="3"' in html and 'name="indicators-2-name" value=""' in html


def test_bad_tally_and_bad_number_come_back_under_their_inputs(
    staff: dict[str, FlaskClient], content_dir: Path
) -> None:
    r = _new(staff["editor1"], **{"vote-present": "100", "indicators-2-planned": "3万"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "超过出席代表 100 人" in html and "不是数字" in html
    # each message sits in the label of the input it is about, and everything typed is still there
    present = html[html.index('name="vote-present"') :]
    assert present.index("超过出席代表") < present.index("</label>")
    planned = html[html.index('name="indicators-2-planned"') :]
    assert planned.index("不是数字") < planned.index("</label>")
    assert 'value="3万"' in html and 'value="24305"' in html and "完成意见征询。" in html
    assert not (content_dir / "projects" / "2026").exists()


def test_an_empty_required_field_is_named_by_its_label(staff: dict[str, FlaskClient]) -> None:
    r = _new(staff["editor1"], lead="")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    lead = html[html.index('name="lead"') :]
    assert lead.index("牵头单位") < lead.index("</label>")  # under its input: 牵头单位 不能为空
    assert "lead 不能为空" not in html and "必填字段 lead" not in html


def test_project_review_publish_and_pending_edit(
    staff: dict[str, FlaskClient], client: FlaskClient, content_dir: Path
) -> None:
    assert _new(staff["editor1"], action="submit").status_code == 302
    assert client.get("/projects/2026/jiazhuang-dianti").status_code == 404
    reviewer = staff["reviewer1"]
    assert "老旧小区加装电梯" in reviewer.get("/staff/review").get_data(as_text=True)
    reviewer.post("/staff/status/project/jiazhuang-dianti", data=publish_form(reviewer, "project", "jiazhuang-dianti"))
    board = client.get("/projects/2026").get_data(as_text=True)
    assert "老旧小区加装电梯" in board and "124.64%" in board and "66.67%" in board
    # an editor's change to the published project waits for review
    editor = staff["editor1"]
    data = {**form_of(editor, "/staff/edit/project/jiazhuang-dianti"), **project_form(**{"indicators-2-achieved": "3"})}
    data.pop("slug")
    assert editor.post("/staff/edit/project/jiazhuang-dianti", data=data).status_code == 302
    assert "66.67%" in client.get("/projects/2026").get_data(as_text=True)
    review = reviewer.get("/staff/review/project/jiazhuang-dianti").get_data(as_text=True)
    # the changed figure is one row of the field table, labelled as in the form
    assert '<th scope="row">指标 2 · 完成</th><td><del>2</del></td><td><ins>3</ins></td>' in review
    reviewer.post("/staff/status/project/jiazhuang-dianti", data=publish_form(reviewer, "project", "jiazhuang-dianti"))
    board = client.get("/projects/2026").get_data(as_text=True)
    assert "66.67%" not in board and "100%" in board
    history = reviewer.get("/staff/history/project/jiazhuang-dianti").get_data(as_text=True)
    assert history.count('class="revision"') == 4  # create(submit), publish, pending edit, publish


def test_year_of_an_existing_project_cannot_move_it(staff: dict[str, FlaskClient]) -> None:
    assert _new(staff["editor1"]).status_code == 302
    editor = staff["editor1"]
    data = {**form_of(editor, "/staff/edit/project/jiazhuang-dianti"), **project_form(year="2025")}
    r = editor.post("/staff/edit/project/jiazhuang-dianti", data=data)
    assert r.status_code == 422 and "两者应一致" in r.get_data(as_text=True)


def test_a_project_saved_meanwhile_is_a_conflict_with_both_texts(
    staff: dict[str, FlaskClient], content_dir: Path
) -> None:
    assert _new(staff["editor1"]).status_code == 302
    url = "/staff/edit/project/jiazhuang-dianti"
    one, two = staff["editor1"], staff["reviewer1"]
    form_one, form_two = form_of(one, url), form_of(two, url)
    first = one.post(url, data={**form_one, **project_form(body="甲写的项目说明。"), "action": "save"})
    assert first.status_code == 302
    theirs = project_form(lead="区住建局", body="乙写的项目说明。")
    second = two.post(url, data={**form_two, **theirs, "action": "save"})
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "保存冲突" in html and "甲写的项目说明。" in html and "乙写的项目说明。" in html
    # the diff shows the second editor's fields as they would be written
    assert '<th scope="row">牵头单位</th><td><del>区住房保障中心</del></td><td><ins>区住建局</ins></td>' in html
    text = (content_dir / "projects" / "2026" / "jiazhuang-dianti.md").read_text(encoding="utf-8")
    assert "甲写的项目说明" in text and "乙写的项目说明" not in text
