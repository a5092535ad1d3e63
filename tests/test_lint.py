"""提示 (warnings): `casebook check` reports them with path and line, `--strict` fails on them, sync keeps them
for the dashboard, the editor shows them, and the new-entry sections are hints, never published body text."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from casebook.cli import main

from .conftest import WriteEntry
from .staffkit import staff_client, token

GLUED = """\
---
title: 五条路
topic: louyuan
date: 2022-03-01
---
改造的道路是：
- 甲街
- 乙街

| 项目 | 数量 |
|---|---|
| 公厕 | 10 |

表格如下：
| 项目 | 数量 |
|---|---|
| 公厕 | 10 |

```
代码里：
- 不算列表
```
"""


def test_check_reports_glued_list_and_table_with_lines(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("case", "glued", raw=GLUED)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output  # warnings alone keep exit 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("content/cases/glued.md:7: 提示：列表紧跟在上一段文字后面")
    assert lines[1].startswith("content/cases/glued.md:15: 提示：表格紧跟在上一段文字后面")
    assert "0 个问题，2 条提示" in result.stderr
    strict = runner.invoke(main, ["check", "--strict"])
    assert strict.exit_code == 1 and strict.stdout == result.stdout


def test_list_after_a_blank_line_and_a_list_continuing_are_fine(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("case", "ok", body="改造的道路是：\n\n- 甲街\n- 乙街\n  接着写\n- 丙街\n\n1. 第一\n2. 第二\n")
    result = runner.invoke(main, ["check", "--strict"])
    assert result.exit_code == 0, result.output


def test_skeleton_text_empty_sections_and_missing_alt(runner: CliRunner, write_entry: WriteEntry) -> None:
    body = (
        "## 访谈背景\n\n（简要介绍社区和访谈缘起。）\n\n## 访谈要点\n\n**问：**\n\n**答：**\n\n"
        "## 成效\n\n## 启示\n\n写了启示。\n\n![](media/a.png)\n\n<img src='media/b.png'>\n"
    )
    write_entry("interview", "left", body=body)
    result = runner.invoke(main, ["check", "--strict"])
    assert result.exit_code == 1
    out = result.stdout
    assert "interviews/left.md:8: 提示：正文里还留着模板提示“（简要介绍社区和访谈缘起。）”" in out
    assert "interviews/left.md:12: 提示：正文里还留着模板提示“**问：**”" in out
    assert "interviews/left.md:14: 提示：正文里还留着模板提示“**答：**”" in out
    assert "interviews/left.md:16: 提示：小节“成效”还没有内容" in out
    assert "小节“启示”" not in out and "小节“访谈要点”" not in out
    assert "interviews/left.md:22: 提示：图片缺少说明文字" in out
    assert "interviews/left.md:24: 提示：图片缺少说明文字（alt）" in out


def test_video_that_cannot_be_embedded_is_a_warning_on_its_line(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("interview", "v", video="https://example.com/some/page.html")
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0
    assert "interviews/v.md:5: 提示：视频“https://example.com/some/page.html”无法嵌入播放" in result.stdout
    write_entry("interview", "v", video="https://example.com/files/talk.mp4")
    assert runner.invoke(main, ["check", "--strict"]).exit_code == 0


def test_project_bodies_are_checked_too(runner: CliRunner, content_dir: Path) -> None:
    folder = content_dir / "projects" / "2021"
    folder.mkdir(parents=True)
    (folder / "roads.md").write_text(
        "---\ntitle: 道路改造\nyear: 2021\nlead: 区城管局\nstage: 实施\n---\n**道路。** 五条：\n- 甲街\n- 乙街\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["check"])
    assert "projects/2021/roads.md:8: 提示：列表紧跟在上一段文字后面" in result.stdout, result.output


def test_sync_keeps_warnings_for_the_dashboard(app: Flask, write_entry: WriteEntry, resync) -> None:  # type: ignore[no-untyped-def]
    write_entry("case", "glued", raw=GLUED)
    write_entry("case", "fine")
    resync()
    client = staff_client(app, "审核员", "reviewer")
    page = client.get("/staff/").get_data(as_text=True)
    assert "cases/glued.md:7: 提示：列表紧跟在上一段文字后面" in page
    assert client.get("/cases/glued").status_code == 200  # a warning never hides the entry


def test_new_writes_section_hints_as_a_comment_that_is_never_published(
    runner: CliRunner,
    content_dir: Path,
    app: Flask,
    resync,  # type: ignore[no-untyped-def]
) -> None:
    result = runner.invoke(main, ["new", "interview", "--topic", "louyuan", "--title", "提示测试", "--slug", "hints"])
    assert result.exit_code == 0, result.output
    text = (content_dir / "interviews" / "hints.md").read_text("utf-8")
    assert "<!--" in text and "## 访谈背景：简要介绍社区和访谈缘起" in text
    assert runner.invoke(main, ["check", "--strict"]).exit_code == 0  # hints are not leftover skeleton text
    (content_dir / "interviews" / "hints.md").write_text(
        text.replace("status: draft\n", "") + "\n正式的正文。\n", encoding="utf-8"
    )
    resync()
    page = app.test_client().get("/interviews/hints").get_data(as_text=True)
    assert "正式的正文" in page and "访谈背景" not in page and "建议的小节" not in page


def test_editor_shows_hints_not_body_text_and_warns_live(app: Flask) -> None:
    client = staff_client(app, "编辑", "editor")
    page = client.get("/staff/new/interview").get_data(as_text=True)
    assert "建议的小节" in page and "简要介绍社区和访谈缘起" in page
    body_area = page.split('<textarea id="body"', 1)[1].split("</textarea>", 1)[0]
    assert body_area.split(">", 1)[1] == ""  # nothing pre-filled: the sections are only a placeholder
    csrf = token(client, "/staff/new/interview")
    reply = client.post("/staff/preview", json={"body": "段落：\n- 一\n\n**问：**\n"}, headers={"X-CSRFToken": csrf})
    warnings = reply.get_json()["warnings"]
    assert len(warnings) == 2
    assert warnings[0].startswith("正文第 2 行：列表紧跟在上一段文字后面")
    assert warnings[1].startswith("正文第 4 行：正文里还留着模板提示")
