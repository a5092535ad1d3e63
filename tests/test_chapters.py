"""Video chapters: the front-matter field, its problems by line, the editor field, catalog and search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from casebook import content
from casebook.cli import main
from casebook.content.model import Chapter, Entry

from .conftest import WriteEntry
from .staffkit import entry_form, form_of, staff_client

BILI = "https://www.bilibili.com/video/BV1xx411c7mD"

ENTRY = """\
---
title: 楼院访谈
topic: louyuan
date: 2022-03-01
video: {video}
chapters:
  - at: "00:00"
    title: 开场
  - at: 3:15
    title: 楼院党小组怎么建
  - at: "1:02:03"
    title: 物业退出以后
---
正文。
"""


def test_chapters_load_in_order_and_an_unquoted_time_means_the_same(content_dir: Path, write_entry: WriteEntry) -> None:
    write_entry("interview", "iv", raw=ENTRY.format(video=BILI))
    library = content.load(content_dir)
    assert library.problems == []
    entry = library.entries["interview/iv"]
    assert entry.chapters == (Chapter(0, "开场"), Chapter(195, "楼院党小组怎么建"), Chapter(3723, "物业退出以后"))
    assert [c.time for c in entry.chapters] == ["00:00", "03:15", "1:02:03"]


def test_round_trip_with_chapters(content_dir: Path) -> None:
    rules, _ = content.load_rules(content_dir)
    entry = Entry(
        kind="interview",
        slug="rt",
        title="访谈",
        topic="louyuan",
        date=dt.date(2022, 3, 1),
        video=BILI,
        chapters=(Chapter(5, "开场：为什么"), Chapter(195, "title: 带冒号"), Chapter(3723, "第三章")),
        body="正文\n",
    )
    text = content.serialize(entry)
    assert text.index("video:") < text.index("chapters:")
    parsed, problems = content.parse_text(text, "interview", "rt", rules=rules, path=Path("rt.md"))
    assert problems == []
    assert parsed == entry


def test_bad_chapters_are_reported_on_their_own_lines(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry(
        "interview",
        "bad",
        raw=f"""\
        ---
        title: 访谈
        topic: louyuan
        date: 2022-03-01
        video: {BILI}
        chapters:
          - at: "03:15"
            title: 好的一章
          - at: "3:75"
            title: 秒数写错
          - at: "05:00"
          - at: "04:00"
            title: 比上一章早
          - 十分钟 讲物业
          - at: "06:00"
            title: 多了键
            note: x
        ---
        正文。
        """,
    )
    flat = "---\ntitle: 案例\ntopic: louyuan\ndate: 2022-03-01\nchapters: 03:15 开场\n---\n正文\n"
    write_entry("case", "list", raw=flat)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    how = "应写成 分:秒 或 时:分:秒，例如 03:15、1:02:03"
    assert f"content/interviews/bad.md:9: chapters 第 2 项：时间“3:75”无效，{how}" in lines
    assert "content/interviews/bad.md:11: chapters 第 3 项：缺少标题（title）" in lines
    assert "content/interviews/bad.md:14: chapters 第 5 项：应写成 at: 时间 和 title: 标题 两项" in lines
    assert "content/interviews/bad.md:15: chapters 第 6 项：未知的键“note”，只能有 at 和 title" in lines
    assert any(line.startswith("content/cases/list.md:5: chapters：应为章节列表") for line in lines)


def test_an_out_of_order_chapter_is_reported(content_dir: Path, write_entry: WriteEntry) -> None:
    text = ENTRY.format(video=BILI).replace('"1:02:03"', '"02:00"')
    write_entry("interview", "order", raw=text)
    messages = [p.display(content_dir) for p in content.load(content_dir).problems]
    order = "时间 02:00 不晚于上一章的 03:15：章节应按时间先后排列"
    assert messages == [f"interviews/order.md:11: chapters 第 3 项：{order}"]


def test_chapters_without_a_video_are_a_warning(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("interview", "novideo", raw=ENTRY.replace("video: {video}\n", ""))
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0
    assert result.stdout.startswith("content/interviews/novideo.md:5: 提示：填写了章节（chapters）但没有视频（video）")
    assert runner.invoke(main, ["check", "--strict"]).exit_code == 1


@pytest.fixture
def editor(app: Flask, resync: Callable[[], Any]) -> FlaskClient:
    resync()
    return staff_client(app, "editor1", "editor")


def _new(client: FlaskClient, **fields: str) -> Any:
    data = {**form_of(client, "/staff/new/interview"), **entry_form(**fields), "slug": "iv", "action": "save"}
    return client.post("/staff/new/interview", data=data)


def test_editor_saves_chapters_one_per_line(editor: FlaskClient, content_dir: Path) -> None:
    r = _new(editor, video=BILI, chapters="00:00 开场\r\n\r\n3:15　楼院党小组怎么建\n1:02:03 物业退出以后 之后\n")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    rules, _ = content.load_rules(content_dir)
    path = content_dir / "interviews" / "iv.md"
    entry, problems = content.parse_file(path, "interview", rules)
    assert entry is not None and problems == []
    assert entry.chapters == (Chapter(0, "开场"), Chapter(195, "楼院党小组怎么建"), Chapter(3723, "物业退出以后 之后"))
    page = editor.get("/staff/edit/interview/iv").get_data(as_text=True)
    assert "00:00 开场\n03:15 楼院党小组怎么建\n1:02:03 物业退出以后 之后</textarea>" in page


def test_editor_refuses_bad_chapters_and_keeps_what_was_typed(editor: FlaskClient, content_dir: Path) -> None:
    typed = "03:15 开场\n3:75 秒数写错\n05:00"
    r = _new(editor, video=BILI, chapters=typed, summary="一句摘要")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert typed in html and "一句摘要" in html and BILI in html
    field = html[html.index("视频章节") : html.index("封面图")]
    assert "视频章节 第 2 项：时间“3:75”无效" in field and "视频章节 第 3 项：缺少标题（title）" in field
    assert 'class="error"' in field
    assert not (content_dir / "interviews" / "iv.md").exists()


def test_chapter_titles_are_stored_and_searchable(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any], app: Flask
) -> None:
    write_entry("interview", "iv", raw=ENTRY.format(video=BILI))
    write_entry("interview", "other", video=BILI)
    resync()
    from casebook.db import db
    from casebook.models import EntryRow

    with app.app_context():
        row = db.session.query(EntryRow).filter_by(slug="iv").one()
        assert row.chapters[1] == {"at": 195, "title": "楼院党小组怎么建"}
    found = client.get("/api/search", query_string={"q": "物业退出"}).get_json()["results"]
    assert [r["slug"] for r in found] == ["iv"]


def test_the_api_gives_an_entrys_video_and_chapters(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("interview", "iv", raw=ENTRY.format(video=BILI))
    resync()
    entry = client.get("/api/entries/interview/iv").get_json()
    assert entry["video"] == BILI
    assert entry["chapters"][1] == {"at": "03:15", "seconds": 195, "title": "楼院党小组怎么建"}
    described = client.get("/api/openapi.json").get_json()["paths"]["/api/entries/{kind}/{slug}"]["get"]
    assert "chapters" in described["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
