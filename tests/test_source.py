"""出处 (``source:``) of 微分享 cases: shown on the page and in the 公众号 export, asked for by
``check`` (a 提示) and the editor, filled in when a saved 公众号 page is imported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from casebook import content
from casebook.cli import main
from casebook.content.lint import SOURCE_MISSING

from .conftest import WriteEntry
from .convertkit import wechat_page
from .staffkit import form_of, staff_client

SOURCE = """
---
title: 外地的楼院议事会
topic: louyuan
date: 2023-06-01
scope: national
region: 某省某市
source:
  name: 某市社区治理公众号（示例）
  url: https://example.org/articles/42
  date: 2023-05-06
---
正文。
"""


def test_case_page_shows_the_source_with_an_external_link(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "elsewhere", raw=SOURCE)
    resync()
    soup = BeautifulSoup(client.get("/cases/elsewhere").get_data(as_text=True), "html.parser")
    label = soup.find("dt", string="出处")
    assert label is not None
    shown = label.find_next_sibling("dd")
    assert shown.get_text() == "某市社区治理公众号（示例）（外部链接），2023年5月6日"
    link = shown.find("a")
    assert link["href"] == "https://example.org/articles/42" and "noopener" in link["rel"]
    api = client.get("/api/entries/case/elsewhere").get_json()
    assert api["source"] == {
        "name": "某市社区治理公众号（示例）",
        "url": "https://example.org/articles/42",
        "date": "2023-05-06",
    }


def test_a_source_without_address_or_date_is_plain_text(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "paper", raw=SOURCE.replace("  url: https://example.org/articles/42\n  date: 2023-05-06\n", ""))
    resync()
    soup = BeautifulSoup(client.get("/cases/paper").get_data(as_text=True), "html.parser")
    shown = soup.find("dt", string="出处").find_next_sibling("dd")
    assert shown.get_text() == "某市社区治理公众号（示例）" and shown.find("a") is None


def test_the_gzh_export_ends_with_the_source_line(
    app: Flask, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "elsewhere", raw=SOURCE)
    resync()
    staff = staff_client(app, "wang", "editor")
    html = staff.get("/cases/elsewhere/gzh?raw=1").get_data(as_text=True)
    line = "出处：某市社区治理公众号（示例），2023年5月6日。原文：https://example.org/articles/42"
    text = BeautifulSoup(html, "html.parser").get_text()
    assert line in text and text.index(line) < text.index("阅读原文：")  # the article's last line, before the closing


def test_check_gives_a_national_case_without_source_a_warning_only_strict_fails(
    runner: CliRunner, write_entry: WriteEntry
) -> None:
    write_entry("case", "no-source", scope="national", region="某省某市")
    write_entry("case", "local-one", scope="local")
    write_entry("case", "elsewhere", raw=SOURCE)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"content/cases/no-source.md:5: 提示：{SOURCE_MISSING}"]
    assert "微分享（全国）案例没有填写出处（source）" in SOURCE_MISSING
    assert runner.invoke(main, ["check", "--strict"]).exit_code == 1


def test_a_bad_source_is_an_error_at_its_line(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("case", "bad", raw=SOURCE.replace("https://example.org/articles/42", "javascript:alert(1)"))
    write_entry("case", "nameless", raw=SOURCE.replace("  name: 某市社区治理公众号（示例）\n", ""))
    block = SOURCE[SOURCE.index("source:") : SOURCE.index("---\n正文")]
    write_entry("case", "text", raw=SOURCE.replace(block, "source: 随便\n"))
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert "content/cases/bad.md:7: source：“javascript:alert(1)”不是 http(s) 网址" in result.stdout
    assert "content/cases/nameless.md:7: source：缺少发布方（name）" in result.stdout
    assert "content/cases/text.md:7: source：应写成发布方、链接和日期三项" in result.stdout
    assert "提示" not in result.stdout  # a source written wrongly is reported once, as what it is


def test_editor_shows_the_source_inputs_asks_for_them_and_never_blocks(
    app: Flask, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "no-source", scope="national", region="某省某市")
    resync()
    admin = staff_client(app, "admin", "admin")
    url = "/staff/edit/case/no-source"
    soup = BeautifulSoup(admin.get(url).get_data(as_text=True), "html.parser")
    fieldset = soup.find("fieldset", attrs={"data-field": "source"})
    assert fieldset is not None and fieldset.legend.get_text() == "出处"
    labels = {label.get_text(" ", strip=True): label.find("input")["name"] for label in fieldset.find_all("label")}
    assert labels == {"发布方": "source-name", "原文链接": "source-url", "发布日期": "source-date"}
    assert "还没有填写出处" in fieldset.get_text()
    data = {
        **form_of(admin, url),
        "title": "外地经验",
        "topic": "louyuan",
        "date": "2022-03-01",
        "scope": "national",
        "region": "某省某市",
        "body": "正文。",
        "action": "publish",
    }
    assert admin.post(url, data=data).status_code == 302  # a reminder, not a block
    data |= {
        **form_of(admin, url),
        "source-name": "某市日报（示例）",
        "source-url": "https://example.org/news/1",
        "source-date": "2023-01-02",
    }
    assert admin.post(url, data=data).status_code == 302
    text = (content_dir / "cases" / "no-source.md").read_text("utf-8")
    assert "source:\n  name: 某市日报（示例）\n  url: https://example.org/news/1\n  date: 2023-01-02\n" in text
    soup = BeautifulSoup(admin.get(url).get_data(as_text=True), "html.parser")
    assert soup.find("input", attrs={"name": "source-url"})["value"] == "https://example.org/news/1"
    assert "还没有填写出处" not in soup.get_text()
    data |= {**form_of(admin, url), "source-url": "ftp://example.org/x", "title": "又改了标题"}
    response = admin.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "不是 http(s) 网址" in page
    assert 'value="ftp://example.org/x"' in page and 'value="又改了标题"' in page  # nothing typed is lost


def test_importing_a_saved_gzh_page_fills_the_source(runner: CliRunner, content_dir: Path, tmp_path: Path) -> None:
    page = wechat_page("https://mmbiz.qpic.cn/mmbiz_jpg/abc/640", "https://elsewhere.example.com/a.png")
    page = page.replace(
        '<meta charset="utf-8">',
        '<meta charset="utf-8"><meta property="og:url" content="http://mp.weixin.qq.com/s?__biz=MzA1&amp;mid=2">',
    )
    saved = tmp_path / "外地经验.html"
    saved.write_text(page, encoding="utf-8")
    result = runner.invoke(main, ["import", str(saved), "--kind", "case", "--topic", "louyuan", "--scope", "national"])
    assert result.exit_code == 0, result.output
    slug = Path(result.stdout.strip()).stem
    library = content.load(content_dir)
    entry = library.entries[f"case/{slug}"]
    source = entry.value("source")
    assert (source.name, source.url, str(source.date)) == (
        "中原区社区治理",
        "https://mp.weixin.qq.com/s?__biz=MzA1&mid=2",
        "2022-03-01",
    )
    assert "出处 中原区社区治理" in result.stderr
    # without og:url the page's script still says where the article is
    scripted = page.replace('<meta property="og:url" content="http://mp.weixin.qq.com/s?__biz=MzA1&amp;mid=2">', "")
    scripted = scripted.replace(
        'var ct = "1646092800";', 'var ct = "1646092800"; var msg_link = "http://mp.weixin.qq.com/s?a=1\\x26amp;b=2";'
    )
    saved.write_text(scripted, encoding="utf-8")
    args = ["import", str(saved), "--kind", "case", "--topic", "louyuan"]
    again = runner.invoke(main, [*args, "--scope", "national", "--slug", "again"])
    assert again.exit_code == 0, again.output
    entry = content.load(content_dir).entries["case/again"]
    assert entry.value("source").url == "https://mp.weixin.qq.com/s?a=1&b=2"
    assert runner.invoke(main, [*args, "--scope", "local", "--slug", "local"]).exit_code == 0
    assert content.load(content_dir).entries["case/local"].value("source") is None


def test_review_diffs_name_the_parts_of_a_source_and_each_attachment() -> None:
    from casebook.staff.diffs import compare

    old = "---\ntitle: 甲\nsource:\n  name: 某报（示例）\n---\n正文\n"
    new = (
        "---\ntitle: 甲\nsource:\n  name: 某台（示例）\n  url: https://example.org/a\n"
        "attachments:\n- file: attachments/a.pdf\n  title: 公约\n---\n正文\n"
    )
    changes = {c.label: (c.old, c.new) for c in compare("case", old, new).fields}
    assert changes == {
        "出处 · 发布方": ("某报（示例）", "某台（示例）"),
        "出处 · 原文链接": ("", "https://example.org/a"),
        "附件 1 · 文件": ("", "attachments/a.pdf"),
        "附件 1 · 标题": ("", "公约"),
    }


def test_the_live_preview_reminds_of_the_source_of_a_national_case(app: Flask) -> None:
    from .staffkit import token

    editor = staff_client(app, "wang", "editor")
    headers = {"X-CSRFToken": token(editor, "/staff/new/case")}
    form = {"kind": "case", "title": "外地经验", "topic": "louyuan", "date": "2022-03-01", "body": "正文。"}
    national = editor.post("/staff/preview", json={**form, "scope": "national"}, headers=headers).get_json()
    assert any(w.startswith("出处：微分享（全国）案例没有填写出处") for w in national["warnings"]), national["warnings"]
    local = editor.post("/staff/preview", json={**form, "scope": "local"}, headers=headers).get_json()
    assert not any("出处" in w for w in local["warnings"])
    given = {**form, "scope": "national", "source-name": "某报（示例）", "source-url": "javascript:x"}
    bad = editor.post("/staff/preview", json=given, headers=headers).get_json()
    assert any("不是 http(s) 网址" in w for w in bad["warnings"]), bad["warnings"]
    assert not any("没有填写出处" in w for w in bad["warnings"])
