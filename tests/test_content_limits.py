"""Over-long titles and bodies and invisible control characters are content problems (issue 13,
finding 20): ``check`` and ``sync`` report them with path and line, the editor under the input
they are about, and the rest of the library keeps working."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from casebook.cli import main

from .conftest import WriteEntry
from .staffkit import entry_form, form_of, staff_client

HINT = "（看不见的字符，多由复制粘贴带入），请删除"
SLOW = "：页面、搜索和导出都会变慢，请删减或分成几篇"
FRONT = "---\ntitle: {title}\ntopic: louyuan\ndate: 2022-03-01\n{extra}---\n{body}"


def _entry(write_entry: WriteEntry, slug: str, title: str = "标题", body: str = "正文。\n", extra: str = "") -> None:
    write_entry("case", slug, raw=FRONT.format(title=title, body=body, extra=extra))


def _project(content_dir: Path, slug: str, text: str) -> None:
    folder = content_dir / "projects" / "2023"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.md").write_text(text, encoding="utf-8")


PROJECT = """---
title: {title}
year: 2023
lead: 区民政局
stage: 实施
indicators:
  - name: 新建社区食堂
    planned: 6
    note: "{note}"
---
{body}"""


def test_check_reports_long_titles_long_bodies_and_control_characters_with_their_lines(
    runner: CliRunner, write_entry: WriteEntry, content_dir: Path
) -> None:
    _entry(write_entry, "fine", body="第一段\t带制表符。\n\n第二段。\n")
    _entry(write_entry, "long-title", title="长" * 100_000)
    _entry(write_entry, "nul-body", body="第一行。\n\n第三行有\x00空字符。\n")
    _entry(write_entry, "long-body", body="字" * 200_001 + "\n")
    _entry(write_entry, "escaped", extra='summary: "响铃\\a的摘要"\n')  # YAML escapes make control characters too
    _entry(write_entry, "raw-front", extra="summary: 换页\x0c的摘要\n")
    write_entry("case", "crlf", raw="---\r\ntitle: 标题\r\ntopic: louyuan\r\ndate: 2022-03-01\r\n---\r\n正文。\r\n")
    _project(content_dir, "shitang", PROJECT.format(title="社区食堂", note="备注\\x07", body="正文\x1b。\n"))
    _project(content_dir, "long-project", PROJECT.format(title="项" * 201, note="", body="正文。\n"))

    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()

    def about(name: str) -> list[str]:
        return [line for line in lines if f"/{name}.md:" in line]

    assert about("fine") == [] and about("crlf") == []
    assert len(about("long-title")) == 1 and len(about("long-title")[0]) < 200  # the title itself is not repeated
    assert about("long-title")[0].startswith(
        "content/cases/long-title.md:2: title：标题有 100000 个字，超过上限 200 个字"
    )
    assert about("nul-body") == [
        "content/cases/nul-body.md:8: 正文含有控制字符 U+0000（看不见的字符，多由复制粘贴带入），请删除"
    ]
    # a 提示: long transcripts are saved on purpose (test_staff_editor.py)
    assert about("long-body") == [f"content/cases/long-body.md:6: 提示：正文有 200001 个字，超过上限 200000 个字{SLOW}"]
    assert about("escaped")[0].startswith("content/cases/escaped.md:5: summary：含有控制字符 U+0007")
    assert about("raw-front")[0].startswith("content/cases/raw-front.md:5: 含有控制字符 U+000C")
    assert about("shitang") == [
        f"content/projects/2023/shitang.md:9: 新建社区食堂 的 note：含有控制字符 U+0007{HINT}",
        f"content/projects/2023/shitang.md:11: 正文含有控制字符 U+001B{HINT}",
    ]
    assert about("long-project")[0].startswith("content/projects/2023/long-project.md:2: title：项目名称有 201 个字")


def test_sync_reports_them_and_publishes_the_rest(
    runner: CliRunner, write_entry: WriteEntry, app: Flask, resync: Callable[[], Any]
) -> None:
    _entry(write_entry, "fine", body="好的正文。\n")
    _entry(write_entry, "nul-body", body="正文\x00有空字符。\n")
    _entry(write_entry, "long-title", title="长" * 1000)
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    assert "新增 2" in result.stdout and "无法载入 1" in result.stdout and "问题 2 条" in result.stdout
    # a title that long keeps its entry off the site; a body keeps all but the characters it may not hold
    page = app.test_client().get("/cases/nul-body")
    assert page.status_code == 200 and "正文有空字符。" in page.get_data(as_text=True)
    assert app.test_client().get("/cases/long-title").status_code == 404
    feed = app.test_client().get("/feed.xml").get_data(as_text=True)
    assert "\x00" not in feed


@pytest.fixture
def editor(app: Flask, resync: Callable[[], Any]) -> FlaskClient:
    resync()
    return staff_client(app, "editor1", "editor")


def _error_under(html: str, name: str) -> str:
    """The error shown in the same field as the input or textarea named ``name``."""
    field = re.search(
        rf'name="{re.escape(name)}"(?:(?!</label>|class="body-warnings").)*?class="error"[^>]*>([^<]*)<', html, re.S
    )
    return field.group(1) if field else ""


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", "长" * 201, "标题有 201 个字，超过上限 200 个字"),
        ("title", "标题\x01", "含有控制字符 U+0001"),
        ("summary", "摘要\x0b第二行", "含有控制字符 U+000B"),
        ("body", "正文\x00。", "正文含有控制字符 U+0000"),
    ],
)
def test_the_editor_shows_the_problem_under_its_input(
    editor: FlaskClient, content_dir: Path, field: str, value: str, expected: str
) -> None:
    data = {**form_of(editor, "/staff/new/case"), **entry_form(**{field: value}), "slug": "bad"}
    refused = editor.post("/staff/new/case", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422, html[:1000]
    assert expected in _error_under(html, field), _error_under(html, field) or html[:3000]
    assert not (content_dir / "cases" / "bad.md").exists()


def test_an_over_long_body_saves_with_a_hint_under_it(editor: FlaskClient, content_dir: Path) -> None:
    """Long transcripts are saved on purpose (``test_staff_editor``): over 200,000 characters is a 提示."""
    data = {**form_of(editor, "/staff/new/case"), **entry_form(body="字" * 200_001), "slug": "long"}
    assert editor.post("/staff/new/case", data=data).status_code == 302
    html = editor.get("/staff/edit/case/long").get_data(as_text=True)
    under_body = html.split('name="body"', 1)[1].split('class="body-warnings"', 1)[1].split("</ul>", 1)[0]
    assert "正文有 200001 个字，超过上限 200000 个字" in under_body


def test_the_project_editor_shows_a_control_character_under_its_input(editor: FlaskClient, content_dir: Path) -> None:
    form = {
        "title": "社区食堂",
        "year": "2026",
        "lead": "区民政局",
        "stage": "实施",
        "indicators-0-name": "新建社区食堂",
        "indicators-0-planned": "6",
        "indicators-0-note": "备注\x07",
        "body": "正文。",
        "slug": "shitang",
    }
    refused = editor.post("/staff/new/project", data={**form_of(editor, "/staff/new/project"), **form})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "含有控制字符 U+0007" in _error_under(html, "indicators-0-note"), html[:3000]
    assert not (content_dir / "projects" / "2026" / "shitang.md").exists()
