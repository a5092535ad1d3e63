"""Heading anchors and the table of contents of long entries (issue 14.7): anchors from the heading
text (Chinese kept, unique in the page), a 目录 nav for three or more h2/h3, collapsed on phones and
open on wide screens, deep links; the 公众号 and Word exports and the search index unchanged by it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import docx
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from casebook.catalog.documents import published_docs
from casebook.db import db
from casebook.render import Heading, headings, render_markdown

from .browserkit import launched_chromium, prepare_app, serving, sideways_scroll, wait_until, write_content
from .conftest import WriteEntry
from .staffkit import staff_client


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("## 一、缘起\n\n## 一、缘起", [(2, "一缘起", "一、缘起"), (2, "一缘起-2", "一、缘起")]),
        ("## Q&A 环节\n\n### 2021年 回顾", [(2, "qa-环节", "Q&A 环节"), (3, "2021年-回顾", "2021年 回顾")]),
        ("## ！！！\n\n## section", [(2, "section", "！！！"), (2, "section-2", "section")]),
        ("## Main\n\n## 目录", [(2, "main-2", "Main"), (2, "目录", "目录")]),  # never a page's own id
        ("## ＡＢＣ 全角", [(2, "abc-全角", "ＡＢＣ 全角")]),  # NFKC: full-width letters fold
        ("## 见[文件](https://x.example/a)", [(2, "见文件", "见文件")]),
        ('<h2 id="evil" onclick="x()">自带 id</h2>', [(2, "自带-id", "自带 id")]),  # its own id is dropped
        ("# 大标题\n\n#### 细则", [(2, "大标题", "大标题")]),  # h4 is anchored, not listed
    ],
)
def test_headings_get_anchors_from_their_text(source: str, expected: list[tuple[int, str, str]]) -> None:
    html = render_markdown(source)
    assert headings(html) == [Heading(*item) for item in expected]
    assert 'id="evil"' not in html and "onclick" not in html
    ids = re.findall(r'\bid="([^"]*)"', html)
    assert len(ids) == len(set(ids))


def test_an_h4_keeps_its_anchor_for_deep_links() -> None:
    html = render_markdown("### 做法\n\n#### 细则")
    assert '<h4 id="细则">细则</h4>' in html
    assert headings(html, levels=(4,)) == [Heading(4, "细则", "细则")]


LONG_BODY = """\
## 一、缘起

{filler}

## 二、做法

{filler}

### （一）议事规则

{filler}

## 二、做法

{filler}
"""
FILLER = "\n\n".join(f"第{n}段：楼院议事会每月开一次，账目在单元门口公示，居民有事先商量。" for n in range(1, 9))
ANCHORS = ["一缘起", "二做法", "一议事规则", "二做法-2"]


def _toc(page: str) -> BeautifulSoup | None:
    return BeautifulSoup(page, "html.parser").find("nav", attrs={"aria-label": "目录"})


@pytest.fixture
def long_entry(write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    write_entry("interview", "changtan", title="楼院长谈", body=LONG_BODY.format(filler=FILLER))
    write_entry("interview", "duantan", title="楼院短谈", body="## 甲\n\n正文。\n\n### 乙\n\n正文。")
    resync()


def test_an_entry_with_three_headings_shows_a_toc_linking_its_anchors(
    app: Flask, client: FlaskClient, long_entry: None
) -> None:
    page = client.get("/interviews/changtan").get_data(as_text=True)
    nav = _toc(page)
    assert nav is not None
    details = nav.find("details")
    assert details is not None and not details.has_attr("open")  # collapsed without a script: phones first
    assert details.summary.get_text() == "目录"
    links = [(a["href"], a.get_text(), a.parent["class"]) for a in nav.select("li a")]
    assert links == [
        ("#一缘起", "一、缘起", ["toc-2"]),
        ("#二做法", "二、做法", ["toc-2"]),
        ("#一议事规则", "（一）议事规则", ["toc-3"]),
        ("#二做法-2", "二、做法", ["toc-2"]),
    ]
    soup = BeautifulSoup(page, "html.parser")
    prose = soup.select_one(".prose")
    assert prose is not None
    assert [h["id"] for h in prose.find_all(["h2", "h3"])] == ANCHORS  # every link reaches its heading
    all_ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(all_ids) == len(set(all_ids))
    assert soup.find("script", src="/static/toc.js") is not None
    assert "<script>" not in page and " onclick" not in page  # strict CSP: the script is external
    assert client.get("/static/toc.js").status_code == 200
    # The search index holds the body once: the TOC is page furniture, not text of the entry.
    with app.app_context():
        body = next(d.body for d in published_docs(db.session) if d.key == "interview/changtan")
    assert body.count("一、缘起") == 1 and body.count("（一）议事规则") == 1 and "目录" not in body
    found = client.get("/api/search?q=议事规则").json
    assert [r["slug"] for r in found["results"]] == ["changtan"]


def test_two_headings_get_anchors_but_no_toc(client: FlaskClient, long_entry: None) -> None:
    page = client.get("/interviews/duantan").get_data(as_text=True)
    assert _toc(page) is None and "toc.js" not in page
    assert '<h2 id="甲">甲</h2>' in page and '<h3 id="乙">乙</h3>' in page


def test_exports_ignore_the_toc_and_keep_the_headings(app: Flask, long_entry: None) -> None:
    staff = staff_client(app, "toc-editor", "editor")
    gzh = staff.get("/interviews/changtan/gzh?raw=1").get_data(as_text=True)
    assert re.search(r'<h2 style="[^"]*">一、缘起</h2>', gzh) and re.search(
        r'<h3 style="[^"]*">（一）议事规则</h3>', gzh
    )
    assert " id=" not in gzh and "目录" not in gzh
    response = staff.get("/interviews/changtan.docx")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    titles = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert titles == [
        ("Heading 1", "一、缘起"),
        ("Heading 1", "二、做法"),
        ("Heading 2", "（一）议事规则"),
        ("Heading 1", "二、做法"),
    ]
    assert all("目录" not in p.text for p in document.paragraphs)


# ---- in a real browser: collapsed at 360 px, open at 1280 px, links and deep links scroll ---------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("toc")
    content = write_content(base / "content")
    body = LONG_BODY.format(filler=FILLER)
    (content / "interviews" / "changtan.md").write_text(
        f"---\ntitle: 楼院长谈\ntopic: louyuan\ndate: 2022-03-01\n---\n{body}\n", encoding="utf-8"
    )
    app = prepare_app(content, base / "data")
    with serving(app) as url:
        yield url


def _heading_top(page: Any, anchor: str) -> float:
    return float(page.evaluate("a => document.getElementById(a).getBoundingClientRect().top", anchor))


def test_toc_is_collapsed_on_a_phone_and_its_links_scroll_to_the_headings(served: str) -> None:
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.goto(served + "/interviews/changtan")
        assert page.evaluate("document.querySelector('nav.toc details').open") is False
        assert sideways_scroll(page) <= 0
        summary = page.locator("nav.toc summary").bounding_box()
        assert summary and summary["height"] >= 44
        page.click("nav.toc summary")
        assert page.evaluate("document.querySelector('nav.toc details').open") is True
        link = page.locator("nav.toc a", has_text="（一）议事规则")
        box = link.bounding_box()
        assert box and box["height"] >= 44
        link.click()
        wait_until(page, "location.hash.length > 1")
        assert page.evaluate("decodeURIComponent(location.hash)") == "#一议事规则"
        assert -2 <= _heading_top(page, "一议事规则") < 40
        assert sideways_scroll(page) <= 0
        page.close()


def test_toc_is_open_on_a_wide_screen_and_deep_links_land_on_the_heading(served: str) -> None:
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(served + "/interviews/changtan")
        page.wait_for_load_state("load")
        assert page.evaluate("document.querySelector('nav.toc details').open") is True
        page.close()
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.goto(served + "/interviews/changtan#" + quote("二做法-2"))
        page.wait_for_load_state("load")
        assert page.evaluate("window.scrollY") > 0
        assert -2 <= _heading_top(page, "二做法-2") < 40
        page.close()
