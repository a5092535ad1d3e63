"""Paste and 整理格式 in a real chromium: a paste event carrying the clipboard's text/html lands in the
body as Markdown; multi-line plain text gets the line rules; when /staff/convert fails, the plain
text goes in as a normal paste would; an imported file opens in the editor with its report, and its
preview fits a phone (saved as docs/screenshots/import-report-360.png and imported-interview-360.png
when CASEBOOK_SCREENSHOTS is set)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import (
    SHOTS,
    launched_chromium,
    login_page,
    prepare_app,
    serving,
    sideways_scroll,
    wait_until,
    write_content,
)
from .convertkit import interview_docx, png

PASSWORD = "粘贴 测试 用的密码"
WORD_HTML = """<html><body><!--StartFragment--><p class=MsoNormal><b>一、背景</b></p>
<p class=MsoNormal style='text-indent:21pt'>　　楼院没人管。<o:p></o:p></p>
<p class=MsoNormal>1、成立党小组</p><p class=MsoNormal>2、选出楼长</p>
<table><tr><td>楼院</td><td>做法</td></tr><tr><td>386号院</td><td>装路灯</td></tr></table><!--EndFragment-->
</body></html>"""
PASTE = """(args) => {
  const body = document.querySelector("textarea[name=body]");
  body.focus();
  body.setSelectionRange(body.value.length, body.value.length);
  const data = new DataTransfer();
  for (const [type, value] of Object.entries(args)) data.setData(type, value);
  const event = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
  body.dispatchEvent(event);
  return event.defaultPrevented;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("paste")
    content = write_content(base / "content")
    app = prepare_app(content, base / "data", users={"编辑小王": "editor"}, password=PASSWORD, rebuild_index=True)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def page(chromium: Any, server: str) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    login_page(page, server, "编辑小王", PASSWORD)
    yield page
    context.close()


def body_value(page: Any) -> str:
    return str(page.input_value("textarea[name=body]"))


@pytest.mark.browser
def test_pasting_word_html_inserts_markdown(page: Any, server: str) -> None:
    page.goto(server + "/staff/new/case?topic=louyuan")
    page.fill("textarea[name=body]", "前面写好的一段。")
    assert page.evaluate(PASTE, {"text/html": WORD_HTML, "text/plain": "一、背景\n楼院没人管。"}) is True
    wait_until(page, "document.querySelector('textarea[name=body]').value.includes('2. 选出楼长')")
    assert body_value(page) == (
        "前面写好的一段。\n\n## 一、背景\n\n楼院没人管。\n\n1. 成立党小组\n2. 选出楼长\n\n"
        "| 楼院 | 做法 |\n| --- | --- |\n| 386号院 | 装路灯 |"
    )
    page.wait_for_selector(".preview ol li:has-text('选出楼长')")
    page.wait_for_selector(".preview td:has-text('386号院')")
    assert "已转换" in page.inner_text(".upload-status")


@pytest.mark.browser
def test_pasting_plain_lines_and_tidying(page: Any, server: str) -> None:
    page.goto(server + "/staff/new/interview?topic=louyuan")
    page.evaluate(PASTE, {"text/plain": "问：楼院怎么管？\n答：先把人组织起来。"})
    wait_until(page, "document.querySelector('textarea[name=body]').value.includes('**答：**')")
    assert body_value(page) == "**问：**楼院怎么管？\n\n**答：**先把人组织起来。"

    page.fill("textarea[name=body]", "一、做法\n\u3000\u3000先摸底。\n1.成立党小组\n2.选楼长")
    page.click("button.tidy-body")
    wait_until(page, "document.querySelector('textarea[name=body]').value.startsWith('## ')")
    assert body_value(page) == "## 一、做法\n\n先摸底。\n\n1. 成立党小组\n2. 选楼长\n"
    assert "已整理格式" in page.inner_text(".upload-status")


@pytest.mark.browser
def test_a_failed_conversion_falls_back_to_the_plain_text(page: Any, server: str) -> None:
    page.goto(server + "/staff/new/case?topic=louyuan")
    page.route("**/staff/convert", lambda route: route.abort())
    page.fill("textarea[name=body]", "开头。")
    page.evaluate(PASTE, {"text/html": WORD_HTML, "text/plain": "纯文本第一行\n纯文本第二行"})
    wait_until(page, "document.querySelector('textarea[name=body]').value.includes('纯文本第二行')")
    assert body_value(page) == "开头。纯文本第一行\n纯文本第二行"
    assert "网络连接失败，已按纯文本粘贴" in page.inner_text(".upload-status")  # in Chinese, not the browser's


@pytest.mark.browser
def test_typing_while_a_paste_converts_cannot_move_where_it_lands(page: Any, server: str) -> None:
    page.goto(server + "/staff/new/case?topic=louyuan")
    held: list[Any] = []
    page.route("**/staff/convert", lambda route: held.append(route))
    page.fill("textarea[name=body]", "AAAA BBBB CCCC")
    page.evaluate("() => document.querySelector('textarea[name=body]').setSelectionRange(5, 9)")
    page.evaluate(
        """(html) => {
      const body = document.querySelector("textarea[name=body]");
      const data = new DataTransfer();
      data.setData("text/html", html);
      body.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
    }""",
        "<p>新内容</p>",
    )
    wait_until(page, "document.querySelector('textarea[name=body]').readOnly === true")
    page.evaluate("() => document.querySelector('textarea[name=body]').setSelectionRange(0, 0)")
    page.keyboard.type("XYZ")  # ignored while the conversion is on its way
    assert body_value(page) == "AAAA BBBB CCCC" and "暂不能编辑" in page.inner_text(".upload-status")
    page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    wait_until(page, "document.querySelector('textarea[name=body]').value.includes('新内容')")
    assert body_value(page) == "AAAA 新内容 CCCC"
    assert page.evaluate("document.querySelector('textarea[name=body]').readOnly") is False


@pytest.mark.browser
def test_imported_file_opens_in_the_editor_with_its_report(page: Any, server: str, tmp_path: Path) -> None:
    source = tmp_path / "访谈记录.docx"
    source.write_bytes(interview_docx(png(480, 320)))
    page.goto(server + "/staff/import")
    page.set_input_files("input[name=file]", str(source))
    page.select_option("select[name=kind]", "interview")
    page.select_option("select[name=topic]", "louyuan")
    page.click("form.import-form button[type=submit]")
    page.wait_for_url("**/staff/edit/interview/**")
    assert page.input_value("input[name=title]") == "把楼院管起来"
    report = page.wait_for_selector("details.import-report")
    assert "文件：访谈记录.docx" in report.inner_text() and "已识别：标题 把楼院管起来" in report.inner_text()
    assert "**问：**楼院没人管，先做什么？" in body_value(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "import-report-360.png"), full_page=True)
    # the imported interview as it will be published, at phone width: facts, headings, lists, table, picture
    page.click("a:text-is('预览')")
    page.wait_for_url("**/staff/view/interview/**")
    article = page.locator("article.entry")
    assert article.locator("h1").inner_text() == "把楼院管起来"
    assert article.locator("h2").count() >= 1 and article.locator("h3").count() >= 1
    assert article.locator("ol li, ul li").count() >= 3
    assert article.locator("table").count() == 1 and article.locator("img").count() >= 1
    assert sideways_scroll(page) == 0
    page.screenshot(path=str(SHOTS / "imported-interview-360.png"), full_page=True)
