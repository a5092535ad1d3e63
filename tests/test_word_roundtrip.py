"""Word out, then the importer's converter: an entry exported as .docx comes back as the same Markdown and facts.

The converter (``casebook.convert``) lands from another branch; until it does, this file is skipped.
Both sides are compared through the site's own renderer, so list indentation or blank-line style
in the returned Markdown does not matter — only what a reader would see.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from casebook import convert, wordout
from casebook.content import Entry
from casebook.images import store_upload
from casebook.render import render_markdown

BODY = """\
## 一、基本做法

先成立**楼院党小组**，再推选*楼长*，由楼长牵头议事。

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

{picture}

## 二、取得成效

楼院环境明显改善。
"""
PLACES = {"林山寨街道": ["农业银行社区", "碧沙岗社区"], "秦岭路街道": ["新街坊社区"]}


def _shown(markdown: str) -> dict[str, Any]:
    """What a reader sees of a body: headings, list items by list kind and depth, table cells, paragraphs."""
    soup = BeautifulSoup(render_markdown(markdown), "lxml")
    items = [
        (li.parent.name, len(li.find_parents(["ol", "ul"])), li.find(string=True, recursive=False).strip())
        for li in soup.find_all("li")
    ]
    return {
        "headings": [(h.name, h.get_text()) for h in soup.find_all(["h2", "h3", "h4"])],
        "items": items,
        "cells": [c.get_text().strip() for c in soup.find_all(["th", "td"])],
        "paragraphs": [p.get_text().strip() for p in soup.find_all("p") if p.get_text().strip()],
        "bold": [s.get_text() for s in soup.find_all("strong")],
        "italic": [e.get_text() for e in soup.find_all("em")],
        "pictures": [img.get("alt") for img in soup.find_all("img")],
    }


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Entry, bytes]:
    media = tmp_path / "media"
    picture = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 60)).save(picture, "JPEG")
    stored = store_upload(picture.getvalue(), "现场.jpg", media, alt="楼院议事会现场")
    entry = Entry(
        kind="interview",
        slug="louyuan-fangtan",
        title="楼院自治的三个步骤",
        topic="louyuan",
        date=dt.date(2022, 3, 1),
        body=BODY.format(picture=stored.markdown),
        summary="老旧楼院没人管，党小组先把居民组织起来。",
        tags=("楼院治理", "居民自治"),
        street="林山寨街道",
        community="农业银行社区",
        people=("张三（农业银行社区党委书记）", "李四"),
        video="https://v.qq.com/x/page/a0000000000.html",
        status="draft",
    )
    return entry, wordout.entry_docx(entry, media, topic_label="第1期·无主管楼院治理")


def test_the_facts_come_back_as_front_matter(exported: tuple[Entry, bytes]) -> None:
    entry, data = exported
    meta = convert.from_docx(data, places=PLACES).meta
    assert meta["title"] == entry.title
    assert meta["date"] == entry.date
    assert list(meta["people"]) == list(entry.people)
    assert list(meta["tags"]) == list(entry.tags)
    assert (meta["street"], meta["community"]) == (entry.street, entry.community)
    assert meta["video"] == entry.video


def test_the_body_comes_back_as_the_same_markdown(exported: tuple[Entry, bytes]) -> None:
    entry, data = exported
    result = convert.from_docx(data, places=PLACES)
    back, source = _shown(result.markdown), _shown(entry.body)
    assert (
        back["headings"]
        == source["headings"]
        == [
            ("h2", "一、基本做法"),
            ("h3", "（一）议事规则"),
            ("h4", "细则"),
            ("h2", "二、取得成效"),
        ]
    )
    assert back["items"] == source["items"]
    assert ("ul", 2, "党员带头") in back["items"] and ("ol", 1, "第二个列表一") in back["items"]
    assert back["cells"] == source["cells"] == ["项目", "数量", "楼院", "12", "居民", "300"]
    assert back["bold"] == source["bold"] and back["italic"] == source["italic"]
    for paragraph in source["paragraphs"]:
        assert paragraph in back["paragraphs"]
    # nothing of the title or the fact lines is left in the body; the summary is either a fact or a paragraph
    assert not any(p.startswith(("日期：", "受访者：", "标签：", "视频：", "街道：")) for p in back["paragraphs"])
    summary_back = result.meta.get("summary") == entry.summary or entry.summary in "".join(back["paragraphs"])
    assert summary_back
    assert [picture.alt for picture in result.pictures] == ["楼院议事会现场"]
    assert result.pictures[0].data and Image.open(io.BytesIO(result.pictures[0].data)).size == (1200, 800)
