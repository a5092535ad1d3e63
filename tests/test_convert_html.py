"""HTML → casebook Markdown: a saved 公众号 page, and what Word, WPS, Google Docs or a browser put
on the clipboard when staff copy rich text."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from casebook.convert import from_html
from casebook.render import render_markdown

from .convertkit import png, wechat_page

PLACES = {"林山寨街道": ["农业银行社区", "碧沙岗社区"]}


def test_saved_wechat_article(tmp_path: Path) -> None:
    files = tmp_path / "文章_files"
    files.mkdir()
    (files / "640.png").write_bytes(png())
    page = wechat_page("https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg", "https://elsewhere.example.com/a.png")
    result = from_html(page, files_dir=files, places=PLACES)
    assert result.meta["title"] == "楼院议事会这样开"
    assert result.meta["date"] == dt.date(2022, 3, 1)
    assert result.meta["video"] == "https://v.qq.com/txp/iframe/player.html?vid=m0000abc"
    assert result.meta["community"] == "碧沙岗社区"
    assert result.markdown == (
        "## 一、背景\n\n"
        "碧沙岗社区有老旧楼院12个。\n\n"
        "居民反映问题多。\n\n"
        "![议事会现场](picture-1)\n\n"
        "### 议事会怎么开\n\n"
        "1. 先摸底，**逐户**走访；\n2. 再议事；\n3. 最后公示。\n\n"
        "![公示栏](picture-2)\n\n"
        "![别处的图](picture-3)\n"
    )
    first, local, elsewhere = result.pictures
    assert (first.url, first.data) == ("https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg", None)
    assert first.name == "640.jpeg"
    assert (local.url, local.data) == (None, png())  # the saved file wins over the remote copy
    assert elsewhere.url == "https://elsewhere.example.com/a.png"
    report = "\n".join(result.report)
    assert "1 张二维码图片已去掉" in report
    assert "关注提示" in report
    for gone in ("蓝字", "隐藏的文字", "脚本文字", "阅读原文", "二维码", "不该用的标题"):
        assert gone not in result.markdown


def test_saved_page_pictures_never_come_from_outside_the_files_folder(tmp_path: Path) -> None:
    files = tmp_path / "page_files"
    files.mkdir()
    (tmp_path / "secret.png").write_bytes(png())
    html = '<body><p><img src="page_files/../secret.png" alt="a"><img src="/etc/passwd" alt="b"></p><p>文字</p></body>'
    result = from_html(html, files_dir=files)
    assert result.pictures == []
    assert result.markdown == "文字\n"


def test_word_clipboard_html_lists_titles_and_local_pictures() -> None:
    html = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><body lang=ZH-CN>
<!--StartFragment--><p class=MsoTitle>会议纪要</p>
<h1>一、总体要求</h1>
<p class=MsoNormal style='text-indent:21.0pt'>　　正文<b>加粗</b>内容。<o:p></o:p></p>
<p class=MsoListParagraph style='mso-list:l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>1.<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>第一条<o:p></o:p></p>
<p class=MsoListParagraph style='mso-list:l0 level2 lfo1'><![if !supportLists]><span
style='font-family:Wingdings;mso-list:Ignore'>§<span>&nbsp; </span></span><![endif]>子项<o:p></o:p></p>
<p class=MsoListParagraph style='mso-list:l0 level1 lfo1'><![if !supportLists]><span
style='mso-list:Ignore'>2.<span>&nbsp;</span></span><![endif]>第二条<o:p></o:p></p>
<h2>（一）细则</h2>
<p class=MsoNormal><img width=200 src="file:///C:/Users/x/AppData/Local/Temp/msohtmlclip1/01/clip_image002.png"></p>
<!--EndFragment--></body></html>"""
    pasted = from_html(html, extract_meta=False)
    assert pasted.markdown == (
        "## 会议纪要\n\n## 一、总体要求\n\n正文**加粗**内容。\n\n1. 第一条\n    - 子项\n2. 第二条\n\n### （一）细则\n"
    )
    assert pasted.meta == {}
    assert any("file://" in line for line in pasted.report)
    imported = from_html(html)
    assert imported.meta["title"] == "会议纪要"
    assert imported.markdown.startswith("## 一、总体要求")


def test_google_docs_wrapper_is_not_bold_and_runs_merge() -> None:
    html = (
        '<b style="font-weight:normal;" id="docs-internal-guid-1"><p><span>普通</span><span style="font-weight:700">'
        '加</span><span style="font-weight:700">粗</span><span>文字</span></p></b>'
    )
    assert from_html(html).markdown == "普通**加粗**文字\n"


def test_markdown_characters_in_rich_text_stay_literal() -> None:
    html = "<p># 不是标题 *星号* [方括号] a_b_c &lt;社区&gt; 1\\2</p><p>2022. 3月</p><p>+ 不是列表</p>"
    md = from_html(html).markdown
    rendered = render_markdown(md)
    assert "<h1" not in rendered and "<h2" not in rendered and "<ul>" not in rendered and "<ol" not in rendered
    assert "# 不是标题 *星号* [方括号] a_b_c &lt;社区&gt; 1\\2" in rendered
    assert "2022. 3月" in rendered and "+ 不是列表" in rendered


def test_links_headings_and_levels_of_a_plain_page() -> None:
    html = """<html><head><title>页面</title></head><body><h1>唯一的大标题</h1>
<p>见<a href="https://example.org/a(b)">通知</a>，<a href="javascript:alert(1)">别点</a>。</p>
<h3>小节甲</h3><p>内容。</p><h4>更小</h4><h3>小节乙</h3></body></html>"""
    result = from_html(html)
    assert result.meta["title"] == "唯一的大标题"
    assert result.markdown == (
        "见[通知](https://example.org/a%28b%29)，别点。\n\n## 小节甲\n\n内容。\n\n### 更小\n\n## 小节乙\n"
    )
    assert '<a href="https://example.org/a%28b%29"' in render_markdown(result.markdown)


def test_tables_with_spans_pipes_and_breaks() -> None:
    html = """<table><thead><tr><th>社区</th><th colspan="2">做法</th></tr></thead>
<tbody><tr><td rowspan="2">碧沙岗</td><td>a|b</td><td><p>第一行</p><p>第二行</p></td></tr>
<tr><td>c</td><td>d</td></tr></tbody></table><p>表后文字。</p>"""
    result = from_html(html)
    assert result.markdown == (
        "| 社区 | 做法 |   |\n| --- | --- | --- |\n| 碧沙岗 | a\\|b | 第一行<br>第二行 |\n|   | c | d |\n\n表后文字。\n"
    )
    assert "<td>a|b</td>" in render_markdown(result.markdown)
    assert any("合并单元格" in line for line in result.report)


def test_data_uri_pictures_are_kept_and_placeholders_ignored() -> None:
    data = png()
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    html = f'<p><img src="{uri}" alt="贴图"></p><p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></p>'
    result = from_html(html)
    [picture] = result.pictures
    assert (picture.data, picture.alt) == (data, "贴图")
    assert result.markdown == "![贴图](picture-1)\n"
    assert any("没有可用的地址" in line for line in result.report)


def test_transcript_speakers_are_bold_only_in_a_transcript() -> None:
    transcript = "<p>主持人：欢迎大家。</p><p>张书记：谢谢。</p><p>王主任：我补充一点。</p><p>张书记：好。</p>"
    assert from_html(transcript).markdown == (
        "**主持人：**欢迎大家。\n\n**张书记：**谢谢。\n\n**王主任：**我补充一点。\n\n**张书记：**好。\n"
    )
    prose = "<p>书记告诉记者：楼院变了。</p><p>具体做法是：先议后办。</p>"
    assert from_html(prose).markdown == "书记告诉记者：楼院变了。\n\n具体做法是：先议后办。\n"


def test_footnotes_from_mammoth_and_from_word_clipboard() -> None:
    mammoth_html = (
        '<p>正文<sup><a href="#footnote-1" id="footnote-ref-1">[1]</a></sup>继续。</p>'
        '<ol><li id="footnote-1"><p> 脚注内容。 <a href="#footnote-ref-1">↑</a></p></li></ol>'
    )
    md = from_html(mammoth_html).markdown
    assert md == "正文[^1]继续。\n\n[^1]: 脚注内容。\n"
    rendered = render_markdown(md)
    assert '<sup><a href="#fn:1"' in rendered and "脚注内容。" in rendered
    word_html = (
        '<p class=MsoNormal>正文<a style="mso-footnote-id:ftn1" href="#_ftn1" name="_ftnref1">'
        "<span class=MsoFootnoteReference>[1]</span></a>。</p>"
        '<div style="mso-element:footnote-list"><div style="mso-element:footnote" id=ftn1>'
        '<p class=MsoFootnoteText><a href="#_ftnref1" name="_ftn1">[1]</a> 说明文字</p></div></div>'
    )
    assert from_html(word_html).markdown == "正文[^1]。\n\n[^1]: 说明文字\n"


def test_a_column_name_before_the_title_and_a_marked_caption(tmp_path: Path) -> None:
    (tmp_path / "a_files").mkdir()
    (tmp_path / "a_files" / "1.png").write_bytes(png())
    page = (
        '<html><head><meta property="og:title" content="微案例｜让楼院有人管"></head><body>'
        '<div id="js_content"><p><img data-src="./a_files/1.png"></p>'
        '<p style="text-align:center"><span>△ 新画的停车位</span></p><p>正文。</p></div></body></html>'
    )
    result = from_html(page, files_dir=tmp_path / "a_files")
    assert result.meta["title"] == "让楼院有人管"
    assert "标题去掉了栏目名“微案例”" in result.report
    assert result.markdown.startswith("![新画的停车位](picture-1)\n\n△ 新画的停车位\n\n正文。")


def test_a_page_with_its_own_title_keeps_a_short_first_line_and_marks_pictures_left_in_files() -> None:
    page = (
        '<html><body><h1 id="activity-name">楼院议事会</h1><div id="js_content">'
        '<p><img data-src="./页面_files/640.jpeg"></p>'
        '<p style="text-align:center"><span>△ 议事会现场</span></p>'
        "<p><strong>导读</strong></p><p>正文第一段。</p></div></body></html>"
    )
    result = from_html(page)  # uploaded through the web form: no _files folder beside it
    assert result.meta["title"] == "楼院议事会"
    assert "△ 议事会现场" in result.markdown and "导读" in result.markdown and "正文第一段。" in result.markdown
    assert result.markdown.startswith("<!-- 此处原有图片 640.jpeg（另存网页的 _files 文件夹里），未导入")
    assert "640.jpeg" not in render_markdown(result.markdown)
    assert any(line.startswith("1 张图片在另存网页时生成的“…_files”文件夹里") for line in result.report)
    for first in ('<p style="text-align:center">2022年春</p>', "<p><strong>导读</strong></p>"):
        article = f'<div id="js_content">{first}<p>正文。</p></div>'
        page = f'<html><body><h1 id="activity-name">楼院议事会</h1>{article}</body></html>'
        result = from_html(page)
        assert result.meta["title"] == "楼院议事会" and result.markdown.count("\n\n") == 1, result.markdown


def test_follow_prompts_go_only_from_the_top_and_bottom_of_an_article() -> None:
    page = (
        '<html><body><h1 id="activity-name">代填服务</h1><div id="js_content">'
        "<p>点击上方蓝字关注我们</p><p>社区开展代填服务。</p>"
        "<p>老人们不会扫描二维码，就由志愿者代填。</p><p>效果很好。</p>"
        "<p>长按识别二维码关注</p><p>阅读原文</p></div></body></html>"
    )
    result = from_html(page)
    assert result.markdown == "社区开展代填服务。\n\n老人们不会扫描二维码，就由志愿者代填。\n\n效果很好。\n"
    assert "已去掉公众号的关注提示、“阅读原文”等 3 处" in result.report


def test_a_bold_number_alone_is_not_the_whole_heading_and_time_is_no_speaker() -> None:
    page = "<p><b>一、</b>工作背景</p><p>问：几点开始？</p><p>时间：下午三点</p><p>答：三点。</p>"
    assert from_html(page).markdown == "## 一、工作背景\n\n**问：**几点开始？\n\n时间：下午三点\n\n**答：**三点。\n"


def test_a_table_caption_stays_as_the_line_above_the_table() -> None:
    rows = "<tr><td>项目</td><td>数</td></tr><tr><td>路灯</td><td>48</td></tr>"
    page = f"<p>前文。</p><table><caption>表1 改造前后</caption>{rows}</table>"
    assert from_html(page).markdown == "前文。\n\n表1 改造前后\n\n| 项目 | 数 |\n| --- | --- |\n| 路灯 | 48 |\n"
