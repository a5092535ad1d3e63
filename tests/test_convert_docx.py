"""Word files (.docx built here with python-docx) → casebook Markdown, front matter and pictures.

Each test checks the Markdown text and, where it matters, what the public renderer makes of it
(a list must render as a list, not as a paragraph with numbers in it).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH

from casebook.content.lint import lint_body
from casebook.convert import ConvertError, from_docx, place_pictures
from casebook.render import render_markdown

from .convertkit import (
    CFB_MAGIC,
    add_picture,
    bold_paragraph,
    encrypted_docx,
    interview_docx,
    jpeg,
    png,
    saved,
    tracked_deletion,
    zip_bomb,
)

PLACES = {"林山寨街道": ["农业银行社区", "碧沙岗社区"], "秦岭路街道": ["新街坊社区"]}


def lint_free(markdown: str) -> None:
    from pathlib import Path

    assert [p.message for p in lint_body(markdown, Path("-"))] == []


def test_title_style_fact_lines_headings_lists_table_picture() -> None:
    result = from_docx(interview_docx(picture=png()), places=PLACES)
    md = result.markdown
    assert result.meta["title"] == "把楼院管起来"
    assert result.meta["date"] == dt.date(2022, 3, 1)
    assert result.meta["people"] == ["张三（农业银行社区党委书记、主任）", "李四"]
    assert (result.meta["street"], result.meta["community"]) == ("林山寨街道", "农业银行社区")
    assert "把楼院管起来" not in md and "访谈时间" not in md and "受访者" not in md
    assert "## 访谈背景\n\n农业银行社区有 12 个无主管楼院。\n\n### 访谈要点" in md
    assert "**问：**楼院没人管，先做什么？\n\n**答：**先成立楼院党小组，再选楼长。" in md
    assert "#### 三步走\n\n1. 成立党小组\n2. 选出楼长\n\n- 每月开议事会" in md
    assert "| 楼院 | 做法 |\n| --- | --- |\n| 386\\|号院 | 先清垃圾<br>再装路灯 |" in md
    assert "![议事会现场](picture-1)" in md
    [picture] = result.pictures
    assert (picture.ref, picture.alt, picture.url) == ("picture-1", "议事会现场", None)
    assert picture.data is not None and picture.data.startswith(b"\x89PNG")
    html = render_markdown(md)
    assert "<ol>\n<li>成立党小组</li>" in html and "<td>386|号院</td>" in html
    assert "<td>先清垃圾<br>再装路灯</td>" in html
    assert "\u3000" not in md and "\u00a0" not in md and " \n" not in md
    lint_free(md)
    assert result.report[0] == "已转换：5 段，3 个标题，2 个列表，1 个表格，1 张图片"
    assert any(line.startswith("已识别：标题 把楼院管起来；日期 2022-03-01；受访者") for line in result.report)


def test_numbered_paragraphs_typed_lists_and_indents() -> None:
    document = docx.Document()
    document.add_paragraph("一、总体要求")
    document.add_paragraph("\u3000\u3000坚持党建引领。")
    document.add_paragraph("（一）强化组织领导。各社区要成立工作专班，由书记牵头，每周调度一次，确保各项任务按时完成。")
    document.add_paragraph("1.建立楼院党小组")
    document.add_paragraph("（1）选出党小组长")
    document.add_paragraph("（2）明确职责")
    document.add_paragraph("2、选出楼长")
    document.add_paragraph("① 每月例会")
    document.add_paragraph("● 张贴公示")
    document.add_paragraph("■ 建立台账")
    document.add_paragraph("二、工作步骤")
    document.add_paragraph("2022.3 月启动。")
    md = from_docx(saved(document)).markdown
    assert md.startswith("## 一、总体要求\n\n坚持党建引领。\n\n### （一）强化组织领导\n\n各社区要成立工作专班")
    assert (
        "1. 建立楼院党小组\n    1. 选出党小组长\n    2. 明确职责\n2. 选出楼长\n    1. 每月例会\n"
        "        - 张贴公示\n        - 建立台账\n\n## 二、工作步骤"
    ) in md
    html = render_markdown(md)
    assert "<ol>\n<li>建立楼院党小组<ol>" in html.replace("\n<ol>", "<ol>")
    assert "<li>张贴公示</li>" in html
    assert "2022.3 月启动。" in md
    lint_free(md)


def test_without_title_style_a_short_bold_centred_first_line_is_the_title() -> None:
    document = docx.Document()
    bold_paragraph(document, "碧沙岗社区的楼院议事会", centred=True)
    document.add_paragraph("日期：2022.3.15")
    document.add_paragraph("社区：碧沙岗社区")
    document.add_paragraph("正文第一段。")
    result = from_docx(saved(document), places=PLACES)
    assert result.meta["title"] == "碧沙岗社区的楼院议事会"
    assert result.meta["date"] == dt.date(2022, 3, 15)
    assert (result.meta["community"], result.meta["street"]) == ("碧沙岗社区", "林山寨街道")
    assert result.markdown == "正文第一段。\n"


def test_without_title_style_the_first_heading_is_the_title() -> None:
    document = docx.Document()
    document.add_heading("新街坊社区的做法", 1)
    document.add_paragraph("正文。")
    document.add_heading("背景", 1)
    result = from_docx(saved(document), places=PLACES)
    assert result.meta["title"] == "新街坊社区的做法"
    assert result.markdown == "正文。\n\n## 背景\n"
    assert result.meta["community"] == "新街坊社区"  # named in the title


def test_a_first_paragraph_of_ordinary_text_is_not_taken_for_a_title() -> None:
    document = docx.Document()
    document.add_paragraph("这是一段普通的开头文字。")
    document.add_paragraph("第二段。")
    result = from_docx(saved(document))
    assert "title" not in result.meta
    assert result.markdown == "这是一段普通的开头文字。\n\n第二段。\n"


def test_the_fact_lines_of_casebooks_own_word_export_are_read_back() -> None:
    document = docx.Document()
    document.add_paragraph("楼院自治三步走", style="Title")
    for line in (
        "主题：第1期·无主管楼院治理",
        "日期：2022-03-01",
        "街道：林山寨街道",
        "社区：碧沙岗社区",
        "地区：四川省成都市",
        "参与者：王五（居民）、赵六",
        "标签：楼院、自治，议事会",
        "视频：https://v.qq.com/x/page/m0000abc.html",
    ):
        document.add_paragraph(line)
    document.add_heading("背景", 1)
    document.add_heading("起因", 2)
    document.add_heading("细节", 3)
    document.add_paragraph("正文。")
    result = from_docx(saved(document), places=PLACES)
    assert result.meta == {
        "title": "楼院自治三步走",
        "date": dt.date(2022, 3, 1),
        "street": "林山寨街道",
        "community": "碧沙岗社区",
        "region": "四川省成都市",
        "participants": ["王五（居民）", "赵六"],
        "tags": ["楼院", "自治", "议事会"],
        "video": "https://v.qq.com/x/page/m0000abc.html",
    }
    assert result.markdown == "## 背景\n\n### 起因\n\n#### 细节\n\n正文。\n"


def test_unknown_place_names_are_reported_not_filled() -> None:
    document = docx.Document()
    document.add_paragraph("标题", style="Title")
    document.add_paragraph("社区：火星社区")
    document.add_paragraph("正文。")
    result = from_docx(saved(document), places=PLACES)
    assert "community" not in result.meta
    assert "社区“火星社区”不在街道与社区设置中，未填写" in result.report


def test_wps_style_ids_chinese_style_names_and_bold_headings() -> None:
    document = docx.Document()
    document.styles["Heading 1"].style_id = "2"  # WPS numbers its heading styles
    custom = document.styles.add_style("标题 2", 1)  # a tool that writes Chinese style names
    document.add_paragraph("第一部分", style="Heading 1")
    document.add_paragraph("\u3000\u3000段落文字。")
    document.add_paragraph("小节", style=custom)
    bold_paragraph(document, "加粗的小标题")
    document.add_paragraph("说明文字。")
    result = from_docx(saved(document))
    assert result.meta["title"] == "第一部分"
    assert result.markdown == "段落文字。\n\n### 小节\n\n#### 加粗的小标题\n\n说明文字。\n"


def test_bold_lead_ins_and_colons_stay_paragraphs() -> None:
    document = docx.Document()
    document.add_paragraph("正文。")
    bold_paragraph(document, "主要做法：")
    paragraph = document.add_paragraph()
    paragraph.add_run("重点：").bold = True
    paragraph.add_run("先议后办。")
    md = from_docx(saved(document)).markdown
    assert md == "正文。\n\n**主要做法：**\n\n**重点：**先议后办。\n"


def test_pictures_types_and_placement() -> None:
    document = docx.Document()
    document.add_paragraph("正文。")
    add_picture(document, jpeg(), alt="楼院 [新] 貌")
    add_picture(document, png())
    result = from_docx(saved(document))
    assert [p.name for p in result.pictures] == ["图片1.jpeg", "图片2.png"]
    assert "![楼院 \\[新\\] 貌](picture-1)\n\n![](picture-2)" in result.markdown
    assert "1 张图片没有说明文字" in "\n".join(result.report)
    placed = place_pictures(result.markdown, {"picture-1": "media/uploads/2026/a.jpg", "picture-2": None})
    assert placed == "正文。\n\n![楼院 \\[新\\] 貌](media/uploads/2026/a.jpg)\n"


def test_comments_headers_tracked_changes_and_merged_cells_are_reported() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("有批注的段落。")
    document.add_comment(paragraph.runs, text="这里要改", author="审核")
    document.sections[0].header.paragraphs[0].text = "中原区民政局"
    tracked_deletion(document, "保留的文字", "删掉的文字")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "合并"
    table.cell(0, 2).text = "右"
    table.cell(1, 0).text = "甲"
    result = from_docx(saved(document))
    report = "\n".join(result.report)
    assert "1 条批注未导入" in report
    assert "页眉、页脚未导入" in report
    assert "全部接受" in report and "删掉的文字" not in result.markdown and "保留的文字" in result.markdown
    assert "合并单元格已拆开" in report
    assert "| 合并 |   | 右 |" in result.markdown
    assert "中原区民政局" not in result.markdown and "这里要改" not in result.markdown


def test_a_one_cell_table_is_read_as_the_text_it_frames() -> None:
    document = docx.Document()
    document.add_paragraph("前文。")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "框里的一段话。"
    md = from_docx(saved(document)).markdown
    assert md == "前文。\n\n框里的一段话。\n"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (encrypted_docx(), "设置了打开密码"),
        (CFB_MAGIC + b"junk" * 200, "旧版 Word 文档（.doc）"),
        (b"PK\x03\x04 not really a zip", "不是 .docx 格式"),
        (b"%PDF-1.7 a pdf renamed", "不是 .docx 格式"),
    ],
)
def test_files_that_are_not_readable_docx_are_refused_in_chinese(data: bytes, words: str) -> None:
    with pytest.raises(ConvertError) as caught:
        from_docx(data)
    assert words in caught.value.message


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    bomb = zip_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(ConvertError) as caught:
        from_docx(bomb)
    assert "压缩炸弹" in caught.value.message


def test_a_small_part_packed_too_tightly_is_refused_too() -> None:
    with pytest.raises(ConvertError) as caught:
        from_docx(zip_bomb(part_size=8 * 1024 * 1024))
    assert "压缩炸弹" in caught.value.message


def test_excel_and_powerpoint_files_are_named() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ConvertError) as caught:
        from_docx(out.getvalue())
    assert "Excel" in caught.value.message


def test_centred_paragraphs_inside_the_text_stay_paragraphs() -> None:
    document = docx.Document()
    document.add_paragraph("标题", style="Title")
    document.add_paragraph("正文。")
    caption = document.add_paragraph("图1 议事会现场")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    assert from_docx(saved(document)).markdown == "正文。\n\n图1 议事会现场\n"


def test_a_series_line_above_the_title_is_left_out_and_a_subtitle_joins_it() -> None:
    document = docx.Document()
    bold_paragraph(document, "社区书记谈治理（第三期）", centred=True)
    bold_paragraph(document, "楼院的事大家商量着办", centred=True)
    document.add_paragraph("正文。")
    result = from_docx(saved(document))
    assert result.meta["title"] == "楼院的事大家商量着办"
    assert result.markdown == "正文。\n"
    assert any("社区书记谈治理（第三期）" in line and "栏目" in line for line in result.report)

    document = docx.Document()
    bold_paragraph(document, "楼院的事大家商量着办", centred=True)
    bold_paragraph(document, "——新街坊社区书记访谈", centred=True)
    document.add_paragraph("正文。")
    result = from_docx(saved(document))
    assert result.meta["title"] == "楼院的事大家商量着办——新街坊社区书记访谈"
    assert result.markdown == "正文。\n"


def test_a_caption_below_a_picture_becomes_its_alt_text_and_is_no_speaker() -> None:
    document = docx.Document()
    document.add_paragraph("问：院子以前什么样？")
    document.add_paragraph("答：路面坑洼，一下雨就积水。")
    add_picture(document, jpeg())
    document.add_paragraph("图：修好后的院内道路")
    document.add_paragraph("王书记：现在大家都愿意出来走走了。")
    result = from_docx(saved(document))
    assert "![修好后的院内道路](picture-1)\n\n图：修好后的院内道路\n\n**王书记：**现在" in result.markdown
    assert [p.alt for p in result.pictures] == ["修好后的院内道路"]
    report = "\n".join(result.report)
    assert "1 张图片用紧挨着的图注作了说明文字" in report and "没有说明文字" not in report


def test_a_run_in_heading_keeps_its_text_as_a_paragraph() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("（一）党建引领。").bold = True
    paragraph.add_run("成立楼院党小组，党员带头认领楼栋。")
    document.add_paragraph("（二）居民自治。选举楼院长，制定院规公约。")
    document.add_paragraph("（三）共建共享")
    md = from_docx(saved(document)).markdown
    assert md == (
        "### （一）党建引领\n\n成立楼院党小组，党员带头认领楼栋。\n\n"
        "### （二）居民自治\n\n选举楼院长，制定院规公约。\n\n### （三）共建共享\n"
    )


def test_lines_near_the_top_are_never_lost_without_a_word() -> None:
    document = docx.Document()
    document.add_paragraph("楼院议事会", style="Title")
    document.add_paragraph("主题：加装电梯费用怎么分摊")
    document.add_paragraph("活动时间：2022年3月1日至3月5日每天下午")
    document.add_paragraph("正文。")
    document.add_paragraph("第二部分总结", style="Title")
    document.add_paragraph("总结的话。")
    result = from_docx(saved(document))
    assert result.meta["title"] == "楼院议事会" and result.meta["date"] == dt.date(2022, 3, 1)
    assert result.markdown == ("活动时间：2022年3月1日至3月5日每天下午\n\n正文。\n\n## 第二部分总结\n\n总结的话。\n")
    report = "\n".join(result.report)
    assert "“主题：加装电梯费用怎么分摊”一行未导入" in report and "另有 1 段使用了“标题”样式" in report
