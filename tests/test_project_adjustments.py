"""调整可动议: a project's ``adjustments:`` through files in tmp_path, ``casebook check``, the page,
the board's filter and CSV, and the staff editor."""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from casebook.cli import main
from casebook.content.project_model import Adjustment, Vote
from casebook.content.projects import parse_project_file, parse_project_text, serialize_project

from .staffkit import form_of, staff_client

Resync = Callable[[], Any]

HEAD = """\
title: 背街小巷整治
year: 2022
lead: 区城市管理局
stage: {stage}
vote:
  session: 区人大二次会议
  date: 2022-01-10
  present: 100
  for: 96
  against: 1
  abstain: 3
"""
MOTIONS = """\
adjustments:
  - date: 2022-06-01
    moved_by: 区政府
    reason: 雨季施工受阻。
    change: 时间：完工由九月推迟到十一月。
    outcome: 通过
    vote:
      session: 区人大常委会会议
      date: 2022-06-01
      present: 30
      for: 27
      against: 2
      abstain: 1
  - date: 2022-08-15
    moved_by: 区人大代表联名
    reason: 沿线商户提出夜间施工扰民。
    change: 范围：<夜间> & 周末停工
    outcome: 待表决
"""


def write(content_dir: Path, slug: str, front: str, year: int = 2022) -> Path:
    path = content_dir / "projects" / str(year) / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{textwrap.dedent(front).strip()}\n---\n项目说明。\n", encoding="utf-8")
    return path


def problems_of(content_dir: Path, path: Path) -> list[tuple[int, str, str]]:
    _, problems = parse_project_file(content_dir, path)
    return [(p.line, p.field, p.message) for p in problems]


def test_motions_are_read_oldest_first_and_written_back_the_same(content_dir: Path) -> None:
    path = write(content_dir, "beijie", HEAD.format(stage="调整") + MOTIONS)
    project, problems = parse_project_file(content_dir, path)
    assert project is not None and problems == []
    assert project.adjustments == (
        Adjustment(
            dt.date(2022, 6, 1),
            "区政府",
            "雨季施工受阻。",
            "时间：完工由九月推迟到十一月。",
            "通过",
            Vote("区人大常委会会议", dt.date(2022, 6, 1), 30, 27, 2, 1),
        ),
        Adjustment(
            dt.date(2022, 8, 15), "区人大代表联名", "沿线商户提出夜间施工扰民。", "范围：<夜间> & 周末停工", "待表决"
        ),
    )
    assert project.updated == dt.date(2022, 8, 15)  # a motion is a dated event
    text = serialize_project(project)
    assert text.index("adjustments:") < text.index("sample:" if project.sample else "---\n项目")
    again, found = parse_project_text(text, "beijie", "2022", path=path)
    assert found == [] and again == project


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        (
            "  - date: 2021-12-30\n    moved_by: 区政府\n    reason: 理由\n    change: 内容\n    outcome: 通过\n",
            "adjustments.0.date",
            "早于项目的代表票决（2022-01-10）",
        ),
        (
            "  - date: 2022-03-01\n    moved_by: 区政府\n    reason: 理由\n    change: 内容\n    outcome: 通过\n"
            "    vote:\n      present: 10\n      for: 8\n      against: 2\n      abstain: 1\n",
            "adjustments.0.vote.present",
            "超过出席代表 10 人",
        ),
        (
            "  - date: 2022-03-01\n    moved_by: 区政府\n    reason: 理由\n    change: 内容\n    outcome: 已批准\n",
            "adjustments.0.outcome",
            "通过 | 未通过 | 待表决 | 撤回",
        ),
        ("  - date: 2022-03-01\n    moved_by: 区政府\n    outcome: 通过\n", "adjustments.0", "缺少 reason、change"),
        (
            "  - date: 2022-03-01\n    moved_by: 区政府\n    reason: 理由\n    change: 内容\n    outcome: 通过\n"
            "    budget: 100\n",
            "adjustments.0.budget",
            "未知字段“budget”",
        ),
        ("  - date: 2022-13-01\n    moved_by: 区政府\n    reason: 理由\n    change: 内容\n    outcome: 通过\n", "", ""),
    ],
)
def test_a_bad_motion_is_a_problem_at_its_path_and_line(content_dir: Path, item: str, field: str, message: str) -> None:
    front = HEAD.format(stage="实施") + "adjustments:\n" + item
    path = write(content_dir, "beijie", front)
    found = problems_of(content_dir, path)
    assert found, front
    if not field:  # a date that is no date
        assert found[0][1] == "adjustments.0.date" and found[0][0] == front.splitlines().index("adjustments:") + 3
        return
    key = field.rsplit(".", 1)[-1]
    lines = front.splitlines()
    start = lines.index("adjustments:")
    if key.isdigit():
        expected = start + 3  # the item's first line (the front matter starts on line 2)
    else:
        expected = (
            next(n for n, line in enumerate(lines) if n > start and line.strip().lstrip("- ").startswith(f"{key}:")) + 2
        )
    assert (expected, field) in [(line, f) for line, f, _ in found], found
    assert any(message in text for _, f, text in found if f == field), found


def test_check_prints_path_and_line_of_a_motion_before_the_vote(content_dir: Path, runner: CliRunner) -> None:
    front = HEAD.format(stage="实施") + MOTIONS.replace("2022-06-01\n    moved_by", "2022-01-05\n    moved_by")
    write(content_dir, "beijie", front)
    result = runner.invoke(main, ["check", str(content_dir)])
    line = front.splitlines().index("  - date: 2022-01-05") + 2
    assert f"projects/2022/beijie.md:{line}:" in result.output, result.output
    assert "早于项目的代表票决" in result.output


def test_the_page_lists_motions_newest_first_with_their_votes(
    content_dir: Path, resync: Resync, client: FlaskClient
) -> None:
    write(content_dir, "beijie", HEAD.format(stage="实施") + MOTIONS)
    resync()
    html = client.get("/projects/2022/beijie").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    section = soup.select_one("section#adjustments")
    assert section is not None and section.h2 is not None and "调整动议" in section.h2.get_text()
    motions = section.select("li.motion")
    assert [m.time["datetime"] for m in motions if m.time] == ["2022-08-15", "2022-06-01"]
    newest, oldest = (m.get_text(" ", strip=True) for m in motions)
    for text in ("区人大代表联名", "沿线商户提出夜间施工扰民。", "范围：<夜间> & 周末停工", "待表决"):
        assert text in newest, text
    for text in ("区政府", "雨季施工受阻。", "通过", "区人大常委会会议", "出席 30", "赞成 27", "反对 2", "弃权 1"):
        assert text in oldest, text
    assert "&lt;夜间&gt; &amp; 周末停工" in html  # escaped, not markup
    assert "adjustments-current" not in html  # not at stage 调整: after the milestones, no note
    assert html.index('id="adjustments"') > html.index('class="prose"')


def test_a_project_at_stage_adjustment_shows_its_motions_near_the_top(
    content_dir: Path, resync: Resync, client: FlaskClient
) -> None:
    write(content_dir, "beijie", HEAD.format(stage="调整") + MOTIONS)
    resync()
    html = client.get("/projects/2022/beijie").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    section = soup.select_one("section.adjustments-current")
    assert section is not None
    assert "本项目正在调整" in section.get_text()
    assert html.index('id="adjustments"') < html.index('class="prose"') < html.index('class="vote"')
    assert len(soup.select("section#adjustments")) == 1

    write(content_dir, "beijie", HEAD.format(stage="调整"))  # at stage 调整 before any motion is recorded
    resync()
    bare = client.get("/projects/2022/beijie").get_data(as_text=True)
    assert "本项目正在调整" in bare and "还没有记录这次调整的动议" in bare
    write(content_dir, "beijie", HEAD.format(stage="实施"))
    resync()
    assert 'id="adjustments"' not in client.get("/projects/2022/beijie").get_data(as_text=True)


def test_the_board_filters_projects_with_a_motion_and_the_csv_has_their_columns(
    content_dir: Path, resync: Resync, client: FlaskClient
) -> None:
    write(content_dir, "beijie", HEAD.format(stage="调整") + MOTIONS)
    write(content_dir, "gongce", HEAD.format(stage="实施").replace("背街小巷整治", "公厕改造"))
    resync()
    board = client.get("/projects/2022").get_data(as_text=True)
    assert "背街小巷整治" in board and "公厕改造" in board
    assert "有调整动议" in board and "调整动议 2 项" in board
    filtered = client.get("/projects/2022", query_string={"motion": "有调整动议"}).get_data(as_text=True)
    assert "背街小巷整治" in filtered and "公厕改造" not in filtered
    assert "%E6%9C%89%E8%B0%83%E6%95%B4%E5%8A%A8%E8%AE%AE" in filtered  # the CSV link keeps the filter
    ignored = client.get("/projects/2022", query_string={"motion": "随便"}).get_data(as_text=True)
    assert "公厕改造" in ignored  # an unknown value is no filter
    rows = list(csv.DictReader(io.StringIO(client.get("/projects/2022.csv").data.decode("utf-8-sig"))))
    by_title = {row["项目"]: row for row in rows}
    moved = by_title["背街小巷整治"]
    assert (moved["调整动议数"], moved["最近动议日期"], moved["最近动议结果"], moved["最近动议调整内容"]) == (
        "2",
        "2022-08-15",
        "待表决",
        "范围：<夜间> & 周末停工",
    )
    still = by_title["公厕改造"]
    assert (still["调整动议数"], still["最近动议日期"], still["最近动议结果"]) == ("0", "", "")
    only = client.get("/projects/2022.csv", query_string={"motion": "有调整动议"}).data.decode("utf-8-sig")
    assert "背街小巷整治" in only and "公厕改造" not in only


def _project_form(admin: FlaskClient, url: str) -> dict[str, str]:
    data = form_of(admin, url)
    data |= {"slug": "beijie", "title": "背街小巷整治", "year": "2022", "lead": "区城市管理局", "stage": "调整"}
    data |= {"vote-present": "100", "vote-for": "96", "vote-date": "2022-01-10", "body": "说明。"}
    return data


def test_the_staff_editor_writes_motions_and_returns_problems_under_their_inputs(
    app: Flask, content_dir: Path, resync: Resync, client: FlaskClient
) -> None:
    admin = staff_client(app, "motion-admin", "admin")
    url = "/staff/new/project"
    form = BeautifulSoup(admin.get(url).get_data(as_text=True), "html.parser")
    group = form.select_one('fieldset[data-group="adjustments"]')
    assert group is not None and "添加调整动议" in group.get_text()
    assert group.select_one('select[name="adjustments-0-outcome"]') is not None

    bad = _project_form(admin, url) | {
        "adjustments-4-date": "2022-05-01",
        "adjustments-4-moved_by": "区政府",
        "adjustments-4-reason": "理由",
        "adjustments-4-change": "预算：增加两成",
        "adjustments-4-outcome": "通过",
        "adjustments-4-vote_present": "10",
        "adjustments-4-vote_for": "11",
        "action": "save",
    }
    html = admin.post(url, data=bad).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    present = soup.find(attrs={"name": "adjustments-4-vote_present"})
    assert present is not None and present.get("value") == "10"  # what was typed comes back
    label = present.find_parent("label")
    assert label is not None and "超过出席代表 10 人" in label.get_text(), soup.select(".error")
    change = soup.find(attrs={"name": "adjustments-4-change"})
    assert change is not None and change.get("value") == "预算：增加两成"
    assert not (content_dir / "projects" / "2022" / "beijie.md").exists()

    good = bad | {"adjustments-4-vote_present": "12", "action": "publish"}
    response = admin.post(url, data=good)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    path = content_dir / "projects" / "2022" / "beijie.md"
    project, problems = parse_project_file(content_dir, path)
    assert project is not None and problems == []
    assert project.adjustments == (
        Adjustment(dt.date(2022, 5, 1), "区政府", "理由", "预算：增加两成", "通过", Vote("", None, 12, 11, 0, 0)),
    )
    page = client.get("/projects/2022/beijie").get_data(as_text=True)
    assert "预算：增加两成" in page and "本项目正在调整" in page

    edit = BeautifulSoup(admin.get("/staff/edit/project/beijie").get_data(as_text=True), "html.parser")
    selected = edit.select_one('select[name="adjustments-0-outcome"] option[selected]')
    assert selected is not None and selected.get_text() == "通过"
    assert edit.find(attrs={"name": "adjustments-0-vote_for"}).get("value") == "11"  # type: ignore[union-attr]
