"""Word out: ``/<kinds>/<slug>.docx`` for staff, read back with python-docx and with mammoth (as the importer does)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import mammoth
import pytest
from bs4 import BeautifulSoup
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from casebook import wordout
from casebook.content import Entry
from casebook.images import StoredImage, store_upload

from .conftest import WriteEntry
from .staffkit import entry_form, form_of, staff_client

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = """\
## 一、基本做法

先成立**楼院党小组**，再推选*楼长*，详见[另一个案例](/cases/other)。

1. 摸底排查
2. 召开议事会
    - 党员带头
    - 居民参与
3. 落实整改

中间说明段落。

1. 第二个列表一
2. 第二个列表二

### （一）议事规则

- 每月一次
- 公开结果

#### 细则

| 项目 | 数量 |
|---|---|
| 楼院 | 12 |
| 居民 | 300 |

> 群众的事群众商量着办。

{big}

{small}

![公众号配图](https://mmbiz.qpic.cn/demo.jpg)
"""


def _picture(size: tuple[int, int], fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def pictures(content_dir: Path) -> tuple[StoredImage, StoredImage]:
    media = content_dir / "media"
    big = store_upload(_picture((2000, 1000), "JPEG"), "议事会.jpg", media, alt="楼院议事会现场")
    small = store_upload(_picture((400, 300), "WEBP"), "小图.webp", media, alt="公示栏")
    return big, small


@pytest.fixture
def library(
    write_entry: WriteEntry, resync: Callable[[], Any], pictures: tuple[StoredImage, StoredImage]
) -> tuple[StoredImage, StoredImage]:
    big, small = pictures
    write_entry(
        "interview",
        "louyuan-fangtan",
        body=BODY.format(big=big.markdown, small=small.markdown),
        title="楼院自治的三个步骤",
        status="draft",
        summary="老旧楼院没人管，党小组先把居民组织起来。",
        street="林山寨街道",
        community="农业银行社区",
        people=["张三（农业银行社区党委书记）", "李四"],
        tags=["楼院治理", "居民自治"],
        video="https://v.qq.com/x/page/a0000000000.html",
    )
    write_entry("salon", "louyuan-shalong", body="## 讨论\n\n大家发言。", participants=["王五", "赵六"])
    write_entry("case", "quanguo-anli", body="做法。", scope="national", region="浙江省杭州市")
    resync()
    return pictures


@pytest.fixture
def editor(app: Flask, library: Any) -> FlaskClient:
    return staff_client(app, "editor1", "editor")


def _docx(client: FlaskClient, url: str) -> docx.document.Document:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == DOCX_TYPE
    return docx.Document(io.BytesIO(response.data))


def _numbering(paragraph: Paragraph) -> tuple[int, int] | None:
    ppr = paragraph._p.pPr
    if ppr is None or ppr.numPr is None:
        return None
    return int(ppr.numPr.numId.val), int(ppr.numPr.ilvl.val)


def _level(document: Any, num_id: int, ilvl: int) -> tuple[str, int | None]:
    """``(numFmt, startOverride or None)`` of a list instance's level."""
    numbering = document.part.numbering_part.element
    num = numbering.xpath(f"./w:num[@w:numId='{num_id}']")[0]
    abstract_id = num.find(qn("w:abstractNumId")).get(qn("w:val"))
    fmt = numbering.xpath(f"./w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl[@w:ilvl='{ilvl}']/w:numFmt/@w:val")
    start = num.xpath(f"./w:lvlOverride[@w:ilvl='{ilvl}']/w:startOverride/@w:val")
    return fmt[0], int(start[0]) if start else None


def test_title_facts_summary_and_file_properties(editor: FlaskClient) -> None:
    response = editor.get("/interviews/louyuan-fangtan.docx")
    assert response.status_code == 200 and response.mimetype == DOCX_TYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="louyuan-fangtan.docx"' in disposition
    assert "filename*=UTF-8''" + quote("楼院自治的三个步骤.docx") in disposition
    assert response.headers["Cache-Control"] == "no-store"
    document = docx.Document(io.BytesIO(response.data))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == "楼院自治的三个步骤"
    assert [p.text for p in paragraphs[1:10]] == [
        "主题：第1期·无主管楼院治理",
        "日期：2022年3月1日",
        "街道：林山寨街道",
        "社区：农业银行社区",
        "受访者：张三（农业银行社区党委书记）、李四",
        "标签：楼院治理、居民自治",
        "视频：https://v.qq.com/x/page/a0000000000.html",
        "摘要：老旧楼院没人管，党小组先把居民组织起来。",
        "一、基本做法",
    ]
    assert all(p.style.name == "Normal" and not p.paragraph_format.first_line_indent for p in paragraphs[1:9])
    props = document.core_properties
    assert props.title == "楼院自治的三个步骤" and props.subject == "一谈"
    assert props.keywords == "楼院治理、居民自治" and props.author == "中原区社区治理案例库"


def test_other_kinds_write_their_own_facts(editor: FlaskClient) -> None:
    salon = _docx(editor, "/salons/louyuan-shalong.docx")
    texts = [p.text for p in salon.paragraphs]
    assert "参与者：王五、赵六" in texts and not any(t.startswith("受访者") for t in texts)
    assert salon.core_properties.subject == "微沙龙"
    case = _docx(editor, "/cases/quanguo-anli.docx")
    assert "地区：浙江省杭州市" in [p.text for p in case.paragraphs]
    assert case.core_properties.subject == "微分享"


def test_headings_inline_formatting_and_links(editor: FlaskClient) -> None:
    document = _docx(editor, "/interviews/louyuan-fangtan.docx")
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [("Heading 1", "一、基本做法"), ("Heading 2", "（一）议事规则"), ("Heading 3", "细则")]
    first = next(p for p in document.paragraphs if p.text.startswith("先成立"))
    assert first.text == "先成立楼院党小组，再推选楼长，详见另一个案例。"
    assert [r.text for r in first.runs if r.bold] == ["楼院党小组"]
    assert [r.text for r in first.runs if r.italic] == ["楼长"]
    links = first.hyperlinks
    assert [(link.text, link.address) for link in links] == [("另一个案例", "https://cases.example.org/cases/other")]
    quote_paragraph = next(p for p in document.paragraphs if p.text == "群众的事群众商量着办。")
    assert quote_paragraph.paragraph_format.left_indent and quote_paragraph.paragraph_format.left_indent > 0


def test_lists_are_real_word_numbering_restarting_per_list(editor: FlaskClient) -> None:
    document = _docx(editor, "/interviews/louyuan-fangtan.docx")
    items = {p.text: (p.style.name, _numbering(p)) for p in document.paragraphs if _numbering(p) is not None}
    assert list(items) == [
        "摸底排查",
        "召开议事会",
        "党员带头",
        "居民参与",
        "落实整改",
        "第二个列表一",
        "第二个列表二",
        "每月一次",
        "公开结果",
    ]
    first = items["摸底排查"][1]
    assert first is not None
    assert items["摸底排查"][0] == items["落实整改"][0] == "List Number"
    assert items["召开议事会"][1] == items["落实整改"][1] == first  # one list, across its nested list
    nested = items["党员带头"]
    assert nested[0] == "List Bullet 2" and nested[1] is not None and nested[1][1] == 1
    assert _level(document, *nested[1]) == ("bullet", 1)
    second = items["第二个列表一"][1]
    assert second is not None and second[0] != first[0] and second[1] == 0
    assert _level(document, *first) == ("decimal", 1)
    assert _level(document, *second) == ("decimal", 1)  # the second list starts again at 1
    bullets = items["每月一次"]
    assert bullets[0] == "List Bullet" and bullets[1] is not None and _level(document, *bullets[1])[0] == "bullet"
    assert "中间说明段落。" not in items


def test_table_has_a_header_row_and_the_cells(editor: FlaskClient) -> None:
    document = _docx(editor, "/interviews/louyuan-fangtan.docx")
    (table,) = document.tables
    assert table.style is not None and table.style.name == "Table Grid"
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == [["项目", "数量"], ["楼院", "12"], ["居民", "300"]]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert table.rows[1]._tr.trPr is None or table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    header = table.rows[0].cells[0].paragraphs[0]
    assert header.style is not None and header.style.name == "Table Heading" and header.style.font.bold
    assert not any(run.bold for run in header.runs)  # bold by style: the importer gets plain header text


def test_upload_pictures_are_embedded_and_scaled_to_the_page(
    editor: FlaskClient, library: tuple[StoredImage, StoredImage]
) -> None:
    big = library[0]
    document = _docx(editor, "/interviews/louyuan-fangtan.docx")
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    shapes = list(document.inline_shapes)
    assert len(shapes) == 2
    wide, narrow = shapes
    assert wide.width == text_width and abs(wide.height - text_width // 2) <= 1  # 2000×1000 shrunk to the page
    assert (narrow.width, narrow.height) == (400 * 9525, 300 * 9525)  # smaller than the page: 96 dpi
    described = [shape._inline.docPr.get("descr") for shape in shapes]
    assert described == ["楼院议事会现场", "公示栏"]
    sizes = []
    for shape in shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        part = document.part.related_parts[blip.embed]
        with Image.open(io.BytesIO(part.blob)) as image:
            sizes.append((image.format, image.size))
    assert sizes == [("JPEG", (big.width, big.height)), ("PNG", (400, 300))]  # WebP given to Word as PNG
    remote = [p.text for p in document.paragraphs if "mmbiz.qpic.cn" in p.text]
    assert remote == ["〔网络图片未下载：公众号配图 https://mmbiz.qpic.cn/demo.jpg〕"]


def test_chinese_fonts_are_set_for_east_asian_text(editor: FlaskClient) -> None:
    document = _docx(editor, "/interviews/louyuan-fangtan.docx")
    for name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        fonts = document.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font, name
        assert fonts.get(qn("w:eastAsiaTheme")) is None, name  # a theme font would win over the name
    assert round(document.sections[0].page_width.mm) == 210  # A4


def test_mammoth_reads_the_structure_the_importer_will_see(editor: FlaskClient) -> None:
    data = editor.get("/interviews/louyuan-fangtan.docx").data
    soup = BeautifulSoup(mammoth.convert_to_html(io.BytesIO(data)).value, "lxml")
    assert [h.get_text() for h in soup.find_all("h1")] == ["一、基本做法"]
    assert [h.get_text() for h in soup.find_all("h2")] == ["（一）议事规则"]
    assert [h.get_text() for h in soup.find_all("h3")] == ["细则"]
    ordered = soup.find_all("ol")
    assert len(ordered) == 2
    assert [li.find(string=True) for li in ordered[0].find_all("li", recursive=False)] == [
        "摸底排查",
        "召开议事会",
        "落实整改",
    ]
    assert [li.get_text() for li in soup.select("ol > li > ul > li")] == ["党员带头", "居民参与"]
    assert [li.get_text() for li in ordered[1].find_all("li")] == ["第二个列表一", "第二个列表二"]
    top_bullets = [ul for ul in soup.find_all("ul") if ul.parent.name != "li"]
    assert [[li.get_text() for li in ul.find_all("li")] for ul in top_bullets] == [["每月一次", "公开结果"]]
    assert [cell.get_text() for cell in soup.find_all(["th", "td"])] == ["项目", "数量", "楼院", "12", "居民", "300"]
    assert [img["alt"] for img in soup.find_all("img")] == ["楼院议事会现场", "公示栏"]
    assert [s.get_text() for s in soup.find_all("strong")] == ["楼院党小组"]
    assert [e.get_text() for e in soup.find_all("em")] == ["楼长"]
    assert soup.find("a", string="另一个案例")["href"] == "https://cases.example.org/cases/other"


def test_anonymous_users_go_to_the_login_page(client: FlaskClient, library: Any) -> None:
    response = client.get("/salons/louyuan-shalong.docx")  # published, yet the file is for staff only
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/salons/louyuan-shalong").status_code == 200  # the public page is untouched


def test_unknown_or_impossible_slugs_are_404(editor: FlaskClient) -> None:
    assert editor.get("/cases/no-such-entry.docx").status_code == 404
    assert editor.get("/cases/Bad_Slug.docx").status_code == 404
    assert editor.get("/interviews/louyuan-shalong.docx").status_code == 404  # a salon, not an interview


def test_drafts_download_and_pending_edits_are_what_is_exported(
    editor: FlaskClient, client: FlaskClient, content_dir: Path
) -> None:
    assert client.get("/interviews/louyuan-fangtan").status_code == 404  # a draft is not public
    assert _docx(editor, "/interviews/louyuan-fangtan.docx").paragraphs[0].text == "楼院自治的三个步骤"
    changed = entry_form(title="改过的沙龙", body="待审核的新说法。")
    form = form_of(editor, "/staff/edit/salon/louyuan-shalong") | changed
    assert editor.post("/staff/edit/salon/louyuan-shalong", data={**form, "action": "save"}).status_code == 302
    assert "待审核的新说法" not in (content_dir / "salons" / "louyuan-shalong.md").read_text(encoding="utf-8")
    texts = [p.text for p in _docx(editor, "/salons/louyuan-shalong.docx").paragraphs]
    assert texts[0] == "改过的沙龙" and "待审核的新说法。" in texts


def test_staff_pages_link_to_the_word_file(editor: FlaskClient) -> None:
    link = 'href="/interviews/louyuan-fangtan.docx"'
    assert link in editor.get("/staff/view/interview/louyuan-fangtan").get_data(as_text=True)
    assert link in editor.get("/staff/edit/interview/louyuan-fangtan").get_data(as_text=True)
    assert link in editor.get("/staff/history/interview/louyuan-fangtan").get_data(as_text=True)


def _entry(body: str, **fields: Any) -> Entry:
    values: dict[str, Any] = {"kind": "case", "slug": "anli", "title": "案例", "topic": "louyuan"}
    return Entry(date=dt.date(2022, 3, 1), body=body, **(values | fields))


def test_pictures_outside_the_media_folder_are_never_read(tmp_path: Path) -> None:
    media = tmp_path / "content" / "media"
    media.mkdir(parents=True)
    (tmp_path / "content" / "secret.png").write_bytes(_picture((10, 10), "PNG"))
    body = "![越界](media/../secret.png)\n\n![缺失](media/uploads/2024/0123456789abcdef-1200w.jpg)"
    document = docx.Document(io.BytesIO(wordout.entry_docx(_entry(body), media)))
    assert len(document.inline_shapes) == 0
    assert [p.text for p in document.paragraphs if "图片缺失" in p.text] == [
        "〔图片缺失：越界 media/../secret.png〕",
        "〔图片缺失：缺失 media/uploads/2024/0123456789abcdef-1200w.jpg〕",
    ]


def test_spanning_cells_are_merged_and_line_breaks_kept(tmp_path: Path) -> None:
    body = (
        '<table><tr><th colspan="2">合并标题</th></tr>'
        '<tr><td rowspan="2">甲</td><td>乙</td></tr><tr><td>丙<br>丁</td></tr></table>'
    )
    document = docx.Document(io.BytesIO(wordout.entry_docx(_entry(body), tmp_path)))
    (table,) = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["合并标题", "合并标题"],
        ["甲", "乙"],
        ["甲", "丙\n丁"],
    ]
    assert table.cell(0, 0)._tc is table.cell(0, 1)._tc and table.cell(1, 0)._tc is not table.cell(1, 1)._tc


def test_an_entry_without_body_is_a_title_and_its_facts(tmp_path: Path) -> None:
    entry = _entry("", title="标题/含：不能做文件名的字符?", sample=True)
    document = docx.Document(io.BytesIO(wordout.entry_docx(entry, tmp_path)))
    assert [p.text for p in document.paragraphs] == [
        "标题/含：不能做文件名的字符?",
        "日期：2022年3月1日",
        "示例内容：本篇为演示用的示例，人物姓名与具体细节均为虚构。",
    ]
    assert wordout.download_name(entry) == "标题_含：不能做文件名的字符_.docx"  # full-width ： is allowed


def test_text_word_cannot_hold_still_downloads(
    editor: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    # a control character pasted from an old system, and a list typed starting at a phone number
    write_entry("case", "odd", body="铃声\x07响了。\n\n13800138000. 王书记（工作日）\n\n2. 第二条")
    resync()
    document = _docx(editor, "/cases/odd.docx")
    text = "\n".join(p.text for p in document.paragraphs)
    assert "铃声响了。" in text and "王书记（工作日）" in text
