"""Staff sharing tools: views chart and 公众号 export, for logged-in staff only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from casebook.share.counter import today
from casebook.share.stats import Series, chart_svg

from .conftest import WriteEntry
from .staffkit import staff_client

SITE = "https://cases.example.org"

BODY = """\
## 一、怎么起步

先把**党员**找出来，再请*老住户*带头。

- 建楼院党支部
- 选自管会

1. 第一步：摸底
2. 第二步：议事

> 账本贴在单元门口。

详见[区里的通知](https://www.example.gov.cn/tongzhi)和[公众号文章](https://mp.weixin.qq.com/s/AbCdEf)，
再看一次[同一个通知](https://www.example.gov.cn/tongzhi)与[另一个网站](http://other.example.com/a?b=1&c=2)。

![院子的新路灯](media/lamp.jpg)

<script>alert(1)</script><p style="color:red" class="x" onclick="x()">原样文字</p>
"""


@pytest.fixture
def loop(write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    write_entry("interview", "tan", title="书记谈楼院", summary="书记讲楼院自治。", body=BODY, sample=True)
    write_entry("case", "anli", title="386号院的做法", summary="本社区的楼院实践。", scope="local")
    write_entry("case", "fx1", title="成都的院落自治", scope="national", region="四川成都")
    resync()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A logged-in editor: every page here is staff-only."""
    staff = staff_client(app, "share-editor", "editor")
    return staff


@pytest.mark.parametrize(
    "path", ["/interviews/tan/gzh", "/topics/louyuan/gzh", "/staff/stats/", "/cases/anli/gzh?raw=1"]
)
def test_staff_tools_need_a_login(app: Flask, loop: None, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def _raw(client: FlaskClient, path: str) -> str:
    response = client.get(path + "?raw=1")
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_entry_export_is_inline_styled_and_clean(client: FlaskClient, loop: None) -> None:
    html = _raw(client, "/interviews/tan/gzh")
    assert "<style" not in html and "<script" not in html and "class=" not in html
    assert "onclick" not in html and "alert(1)" not in html and "color:red" not in html
    assert re.search(r'<h2 style="[^"]*font-size: 18px[^"]*">一、怎么起步</h2>', html)
    assert re.search(r'<strong style="[^"]*">党员</strong>', html)
    assert re.search(r'<em style="[^"]*">老住户</em>', html)
    assert re.search(r'<ul style="[^"]*">\s*<li style="[^"]*">建楼院党支部</li>', html)
    assert re.search(r'<ol style="[^"]*">\s*<li style="[^"]*">第一步：摸底</li>', html)
    assert re.search(r'<blockquote style="[^"]*">', html)
    assert f'src="{SITE}/media/lamp.jpg"' in html
    # Every opening tag carries its style inline (the editor keeps nothing else).
    assert all("style=" in tag for tag in re.findall(r"<(?:p|h2|li|ul|ol|section|blockquote|img)\b[^>]*>", html))


def test_external_links_become_numbered_footnotes(client: FlaskClient, loop: None) -> None:
    html = _raw(client, "/interviews/tan/gzh")
    assert re.search(r"区里的通知<sup[^>]*>\[1\]</sup>", html)
    assert re.search(r"同一个通知<sup[^>]*>\[1\]</sup>", html)  # the same URL keeps its number
    assert re.search(r"另一个网站<sup[^>]*>\[2\]</sup>", html)
    note = r'<p style="[^"]*font-size: 16px;[^"]*">\[1\] 区里的通知：https://www.example.gov.cn/tongzhi</p>'
    assert re.search(note, html)
    assert "[2] 另一个网站：http://other.example.com/a?b=1&amp;c=2</p>" in html
    assert re.search(r'<a href="https://mp.weixin.qq.com/s/AbCdEf" style="[^"]*">公众号文章</a>', html)
    assert html.count("<a ") == 1  # only the 公众号 link stays a link


def test_export_ends_with_qr_and_read_more_and_keeps_the_sample_notice(client: FlaskClient, loop: None) -> None:
    html = _raw(client, "/interviews/tan/gzh")
    assert "示例内容" in html and html.index("示例内容") < html.index("一、怎么起步")
    closing = html[html.index("长按识别二维码") - 600 :]
    assert re.search(rf'<img src="{SITE}/interviews/tan/qr.png" alt="[^"]*" width="160" height="160" style=', closing)
    assert f"阅读原文：{SITE}/interviews/tan?from=gzh" in closing
    assert "示例内容" not in _raw(client, "/cases/anli/gzh")


def test_topic_export_walks_the_loop(client: FlaskClient, loop: None) -> None:
    html = _raw(client, "/topics/louyuan/gzh")
    assert "<style" not in html and "<script" not in html and "class=" not in html
    headings = re.findall(r"<h2 style=\"[^\"]*\">([^<]+)</h2>", html)
    assert headings == ["一谈·社区书记谈治理", "微案例", "微分享"]  # no 微沙龙 yet: left out
    assert re.search(r"书记谈楼院<sup[^>]*>\[1\]</sup>（示例内容）", html)
    assert f"[1] 书记谈楼院：{SITE}/interviews/tan?from=gzh" in html
    assert f"[3] 成都的院落自治：{SITE}/cases/fx1?from=gzh" in html
    assert f'<img src="{SITE}/topics/louyuan/qr.png"' in html
    assert f"阅读原文：{SITE}/topics/louyuan/share?from=gzh" in html
    assert html.index("示例内容") < html.index("一谈·社区书记谈治理")  # one entry is sample: the notice leads


def test_export_page_has_copy_buttons_and_a_preview(client: FlaskClient, loop: None) -> None:
    response = client.get("/cases/anli/gzh")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-copy="article"' in html and ">复制正文<" in html and ">复制阅读原文链接<" in html
    assert f'value="{SITE}/cases/anli?from=gzh"' in html
    assert '<div id="gzh-article" class="gzh-preview"><section style=' in html
    assert 'id="gzh-source"' in html and "&lt;section style=" in html
    assert '<meta name="robots" content="noindex">' in html


@pytest.mark.parametrize(
    "path", ["/topics/nope/gzh", "/cases/nope/gzh", "/staff/stats/topics/nope", "/staff/stats/cases/nope"]
)
def test_unknown_targets_are_404(client: FlaskClient, loop: None, path: str) -> None:
    assert client.get(path).status_code == 404


def test_stats_page_draws_views_per_day_and_source(app: Flask, client: FlaskClient, loop: None) -> None:
    for query in ("?from=gzh", "?from=gzh", "?from=qr", ""):
        client.get("/topics/louyuan" + query)
    client.get("/cases/anli?from=timeline")
    app.extensions["casebook.views"].flush()
    html = client.get("/staff/stats/topics/louyuan").get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    day = today().isoformat()
    assert f"<title>{day} 公众号 2</title>" in html
    assert f"<title>{day} 二维码 1</title>" in html
    assert f"<title>{day} 直接访问 1</title>" in html
    assert "共 <strong>4</strong> 次访问" in html
    assert re.search(r"公众号（gzh）</td><td class=\"num\">2<", html)
    index = client.get("/staff/stats/").get_data(as_text=True)
    assert index.index("第1期·无主管楼院治理") < index.index("386号院的做法")  # most viewed first
    assert 'href="/staff/stats/cases/anli"' in index
    entry = client.get("/staff/stats/cases/anli").get_data(as_text=True)
    assert f"<title>{day} 朋友圈 1</title>" in entry and "共 <strong>1</strong> 次访问" in entry


def test_chart_scales_bars_and_labels_every_source() -> None:
    end = dt.date(2026, 5, 30)
    data = Series(end - dt.timedelta(days=29), end)
    data.days[end] = {"gzh": 30, "qr": 10}
    data.days[end - dt.timedelta(days=1)] = {"gzh": 20}
    svg = chart_svg(data, "测试 <图>")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")
    assert 'aria-label="测试 &lt;图&gt;"' in svg
    heights = {t: float(h) for h, t in re.findall(r'height="([\d.]+)" fill="#[0-9a-f]+"><title>([^<]+)</title>', svg)}
    assert heights["2026-05-30 公众号 30"] == pytest.approx(3 * heights["2026-05-30 二维码 10"])
    assert heights["2026-05-29 公众号 20"] == pytest.approx(2 * heights["2026-05-30 二维码 10"])
    for label in ("公众号", "群聊", "二维码", "微信好友", "微信群", "朋友圈", "其他来源", "直接访问"):
        assert f">{label}</text>" in svg
    assert data.total() == 60 and data.by_source() == {"gzh": 50, "qr": 10}


NESTED = """\
- 建楼院党支部
    - 找党员
    - 请老住户
        1. 摸底
        2. 登记
- 选自管会

3. 第三步：议事
    - 每月一次
"""

ODD_START = '<ul><li>甲<ol start="²"><li>乙</li></ol></li><li>丙<ol start="{huge}"><li>丁</li></ol></li></ul>'


def test_a_list_inside_a_list_item_becomes_indented_lines(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "qiantao", title="嵌套的清单", body=NESTED, scope="local")
    resync()
    page = BeautifulSoup(_raw(client, "/cases/qiantao/gzh"), "html.parser")
    assert not page.select("li ul, li ol")  # the 公众号 editor mangles a list inside a list item
    outer = page.find("ul")
    assert outer is not None
    items = outer.find_all("li", recursive=False)
    assert [li.contents[0].strip() for li in items] == ["建楼院党支部", "选自管会"]
    lines = [(s["style"], s.get_text()) for s in items[0].find_all("section")]
    assert [text for _, text in lines] == ["◦ 找党员", "◦ 请老住户", "1) 摸底", "2) 登记"]
    assert "1em" in lines[0][0] and "2em" in lines[2][0]  # one step of indent per level
    numbered = page.find("ol")
    assert numbered is not None and numbered.get("start") == "3"
    assert [s.get_text() for s in numbered.find_all("section")] == ["◦ 每月一次"]


def test_an_odd_list_start_in_a_nested_list_counts_from_one(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "qishi", title="奇怪的编号", body=ODD_START.format(huge="9" * 5000), scope="local")
    resync()
    page = BeautifulSoup(_raw(client, "/cases/qishi/gzh"), "html.parser")
    assert [s.get_text() for s in page.find_all("section") if s.get_text()[1:3] == ") "] == ["1) 乙", "1) 丁"]
