"""Preview = the page: the staff preview and the editor's live preview render the public article."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import WriteEntry
from .staffkit import staff_client, token

BILI = "https://www.bilibili.com/video/BV1xx411c7mD?p=2"
PLAYER = "https://player.bilibili.com/player.html?bvid=BV1xx411c7mD&amp;page=2&amp;p=2"
ARTICLE = re.compile(r'<article class="entry">.*?</article>', re.DOTALL)

INTERVIEW = f"""\
---
title: 把楼院管起来
topic: louyuan
date: 2022-03-01
summary: 老旧楼院没人管，社区怎么办。
tags: [楼院, 自治]
street: 林山寨街道
community: 农业银行社区
people: [王某（社区党委书记）]
video: {BILI}
chapters:
  - at: "00:00"
    title: 开场
  - at: "03:15"
    title: 楼院党小组怎么建
cover: yard.png
sample: true
---
## 访谈要点

**问：**楼院没人管怎么办？

**答：**先把党小组建起来。![楼院](media/yard.png)
"""


def article(html: str) -> str:
    found = ARTICLE.search(html)
    assert found, html[:2000]
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", found.group(0))).strip()


@pytest.fixture
def published(content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    (content_dir / "media" / "yard.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    write_entry("interview", "iv", raw=INTERVIEW)
    write_entry("interview", "draft", raw=INTERVIEW.replace("sample: true", "status: draft"))
    resync()


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    return staff_client(app, "editor1", "editor")


def test_staff_preview_article_is_the_published_article(
    published: None, client: FlaskClient, editor: FlaskClient
) -> None:
    public = article(client.get("/interviews/iv").get_data(as_text=True))
    staff = article(editor.get("/staff/view/interview/iv").get_data(as_text=True))
    assert staff == public
    for part in (
        '<iframe name="video-player" src="' + PLAYER,
        '<a class="chapter" href="' + PLAYER.replace("&amp;autoplay=0", ""),
        "楼院党小组怎么建",
        "王某（社区党委书记）",
        'href="/streets/',
        "农业银行社区",
        'href="/tags/',
        "notice-sample",
        "badge-sample",
        'src="/media/yard.png"',
        "老旧楼院没人管，社区怎么办。",
        "第1期·无主管楼院治理",
    ):
        assert part in public, part


def test_staff_preview_of_a_draft_shows_the_article(published: None, client: FlaskClient, editor: FlaskClient) -> None:
    assert client.get("/interviews/draft").status_code == 404
    page = editor.get("/staff/view/interview/draft").get_data(as_text=True)
    assert "草稿" in page and 'src="/static/video.js"' in page
    assert "楼院党小组怎么建" in article(page) and "<iframe" in article(page)


def _form(**changes: str) -> dict[str, str]:
    values = {
        "kind": "interview",
        "title": "把楼院管起来",
        "topic": "louyuan",
        "date": "2022-03-01",
        "summary": "老旧楼院没人管，社区怎么办。",
        "tags": "楼院、自治",
        "street": "林山寨街道",
        "community": "农业银行社区",
        "people": "王某（社区党委书记）",
        "video": BILI,
        "chapters": "00:00 开场\n03:15 楼院党小组怎么建",
        "cover": "yard.png",
        "sample": "1",
        "body": INTERVIEW.split("---\n", 2)[2],
    }
    values.update(changes)
    return values


def test_live_preview_renders_the_whole_form_as_the_page(
    published: None, client: FlaskClient, editor: FlaskClient
) -> None:
    tok = token(editor, "/staff/new/interview")
    reply = editor.post("/staff/preview", json=_form(), headers={"X-CSRFToken": tok}).get_json()
    assert set(reply) == {"html", "warnings"} and reply["warnings"] == []
    html = reply["html"]
    assert '<iframe name="video-player" src="' + PLAYER in html
    assert '<nav class="chapters"' in html and "03:15" in html and "楼院党小组怎么建" in html
    assert article(html) == article(client.get("/interviews/iv").get_data(as_text=True))


def test_live_preview_warns_about_video_and_chapters_and_body(published: None, editor: FlaskClient) -> None:
    tok = token(editor, "/staff/new/interview")
    form = _form(video="https://b23.tv/AbCdEf1", chapters="03:15 开场\n3:75 写错", body="正文\n- 紧跟的列表")
    reply = editor.post("/staff/preview", json=form, headers={"X-CSRFToken": tok}).get_json()
    warnings = reply["warnings"]
    assert any(w.startswith("正文第 2 行：") for w in warnings)
    assert any(w.startswith("视频链接：视频“https://b23.tv/AbCdEf1”无法嵌入播放") for w in warnings)
    assert any(w.startswith("视频章节：第 2 项：时间“3:75”无效") for w in warnings)
    bad = editor.post("/staff/preview", json=_form(video="javascript:alert(1)"), headers={"X-CSRFToken": tok})
    assert "视频链接：“javascript:alert(1)”不是 http(s) 网址" in bad.get_json()["warnings"]
    html = reply["html"]
    assert '<a class="video-card" href="https://b23.tv/AbCdEf1"' in html
    assert 'class="video-card-cover" src="/media/yard.png"' in html and "哔哩哔哩" in html and "观看视频 →" in html
    no_video = editor.post("/staff/preview", json=_form(video=""), headers={"X-CSRFToken": tok}).get_json()
    assert any(w.startswith("视频章节：填写了章节") for w in no_video["warnings"])
    assert '<img class="cover" src="/media/yard.png"' in no_video["html"]


def test_live_preview_of_a_half_typed_form(published: None, editor: FlaskClient) -> None:
    tok = token(editor, "/staff/new/interview")
    form = _form(title="", topic="", date="2022-13", body="刚开始写")
    reply = editor.post("/staff/preview", json=form, headers={"X-CSRFToken": tok}).get_json()
    html = reply["html"]
    assert "（未填写标题）" in html and "刚开始写" in html and "<iframe" in html
    assert "第1期" not in html  # no topic chosen yet: none shown
    body_only = editor.post("/staff/preview", json={"body": "## 小节"}, headers={"X-CSRFToken": tok}).get_json()
    assert body_only["html"].startswith('<h2 id="') and "<article" not in body_only["html"]
