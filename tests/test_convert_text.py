"""Plain text (.txt, pasted text), Markdown files and the 整理格式 button (``tidy``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from casebook.content.lint import lint_body
from casebook.convert import from_html, from_markdown, from_text, tidy
from casebook.render import render_markdown

PLACES = {"林山寨街道": ["农业银行社区", "碧沙岗社区"]}


def test_every_line_of_text_is_a_paragraph_and_the_top_gives_the_facts() -> None:
    text = (
        "\ufeff把楼院管起来\r\n"
        "访谈时间：2022年3月1日\r\n"
        "受访者：张三（农业银行社区党委书记、主任）、李四\r\n"
        "\u3000\u3000第一段，\u00a0有全角缩进。\r\n"
        "第二段紧跟着第一段。  \r\n"
        "问：楼院怎么管？\r\n"
        "答：先把人组织起来。\r\n"
    )
    result = from_text(text, places=PLACES)
    assert result.meta == {
        "title": "把楼院管起来",
        "date": dt.date(2022, 3, 1),
        "people": ["张三（农业银行社区党委书记、主任）", "李四"],
        "community": "农业银行社区",
        "street": "林山寨街道",
    }
    assert result.markdown == (
        "第一段，有全角缩进。\n\n第二段紧跟着第一段。\n\n**问：**楼院怎么管？\n\n**答：**先把人组织起来。\n"
    )
    assert render_markdown(result.markdown).count("<p>") == 4


def test_text_lists_and_headings_by_chinese_markers() -> None:
    text = "一、做法\n先说明。\n1.摸底\n2.议事\n（1）每月一次\n二、成效\n● 路灯亮了\n· 垃圾清了\n"
    md = from_text(text, extract_meta=False).markdown
    assert md == (
        "## 一、做法\n\n先说明。\n\n1. 摸底\n2. 议事\n    1. 每月一次\n\n## 二、成效\n\n- 路灯亮了\n- 垃圾清了\n"
    )
    assert [p.message for p in lint_body(md, Path("-"))] == []
    assert "<li>路灯亮了</li>" in render_markdown(md)


def test_text_that_looks_like_markup_stays_text() -> None:
    text = "#话题# 今天的活动\n我们在<社区>里开会\n2022. 3月开始\n"
    rendered = render_markdown(from_text(text, extract_meta=False).markdown)
    assert "<h1" not in rendered and "<h2" not in rendered and "<ol" not in rendered
    assert "#话题# 今天的活动" in rendered and "我们在&lt;社区&gt;里开会" in rendered and "2022. 3月开始" in rendered


def test_pasted_markdown_keeps_its_markdown() -> None:
    text = "## 做法\n\n- 第一\n- 第二\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<!-- 提示 -->\n**问：**好\n"
    assert from_text(text, extract_meta=False).markdown == (
        "## 做法\n\n- 第一\n- 第二\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<!-- 提示 -->\n\n**问：**好\n"
    )


def test_a_long_first_line_is_not_a_title() -> None:
    result = from_text("这是一段很长的开头文字，说的是社区里发生的事情，肯定不是标题。\n第二段。\n")
    assert "title" not in result.meta


def test_markdown_file_front_matter_is_the_meta() -> None:
    text = "---\ntitle: 已有的标题\ndate: 2022-03-01\ntags: [楼院]\n---\n正文第一行\n正文第二行\n1.列表\n"
    result = from_markdown(text)
    assert result.meta == {"title": "已有的标题", "date": dt.date(2022, 3, 1), "tags": ["楼院"]}
    assert result.markdown == "正文第一行\n\n正文第二行\n\n1. 列表\n"


def test_markdown_file_without_front_matter_takes_its_first_heading_as_title() -> None:
    result = from_markdown("# 楼院的故事\n\n日期：2022-05-04\n\n正文。\n")
    assert (result.meta["title"], result.meta["date"]) == ("楼院的故事", dt.date(2022, 5, 4))
    assert result.markdown == "正文。\n"


def test_tidy_applies_the_line_rules_and_keeps_markdown() -> None:
    body = (
        "<!-- 建议的小节：\n  ## 背景：遇到了什么问题\n-->\n"
        "一、背景\n\u3000\u3000老楼院没人管。\n居民意见大。\n"
        "1、成立党小组\n2、选楼长\n"
        "```\n一、代码里不动\n```\n"
        "| 表 | 头 |\n|---|---|\n"
        "问：怎么办？\n答：一起办。\n"
    )
    assert tidy(body) == (
        "<!-- 建议的小节：\n  ## 背景：遇到了什么问题\n-->\n\n"
        "## 一、背景\n\n老楼院没人管。\n\n居民意见大。\n\n"
        "1. 成立党小组\n2. 选楼长\n\n"
        "```\n一、代码里不动\n```\n\n"
        "| 表 | 头 |\n|---|---|\n\n"
        "**问：**怎么办？\n\n**答：**一起办。\n"
    )


LINES = st.sampled_from(
    [
        "一、总体要求",
        "（一）强化领导。各社区要成立专班，由书记牵头，每周调度一次，确保各项任务按时完成。1.先摸底",
        "1.第一",
        "2、第二",
        "（1）小项",
        "① 圈号",
        "● 圆点",
        "- 列表",
        "问：怎么办？",
        "答：这样办。",
        "张书记：我来说。",
        "\u3000\u3000缩进的段落。",
        "普通段落。",
        "| a | b |",
        "|---|---|",
        "```",
        "<!-- 注释 -->",
        "",
        "## 标题",
        "> 引用",
        "2022. 3月",
        "#话题#",
        "**加粗**",
        "    缩进四格",
    ]
)


@given(st.lists(LINES, max_size=25))
def test_tidy_twice_changes_nothing_more(lines: list[str]) -> None:
    once = tidy("\n".join(lines))
    assert tidy(once) == once


@given(st.lists(LINES, max_size=25))
def test_tidy_never_loses_words(lines: list[str]) -> None:
    body = "\n".join(lines)
    kept = tidy(body)
    for word in ("总体要求", "强化领导", "小项", "圈号", "圆点", "怎么办", "我来说", "缩进的段落", "引用", "话题"):
        assert (word in body) == (word in kept)


def test_full_width_numbers_phone_numbers_and_control_characters() -> None:
    assert tidy("２、问\n３、答") == "2. 问\n3. 答\n"
    assert from_html("<p>１、第一条</p><p>２、第二条</p><p>（１）小项</p>").markdown == (
        "1. 第一条\n2. 第二条\n    1. 小项\n"
    )
    phone = tidy("13800138000. 王书记（工作日）")
    assert phone == "13800138000\\. 王书记（工作日）\n" and "<ol" not in render_markdown(phone)
    assert from_text("铃声\x07响了。\x00", extract_meta=False).markdown == "铃声响了。\n"
