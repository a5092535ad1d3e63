"""The 公众号 export shows an entry's video as a block: cover, where to watch it, chapters."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from .conftest import WriteEntry
from .staffkit import add_user, login

SITE = "https://cases.example.org"


def _raw(app: Flask, path: str) -> str:
    client = app.test_client()
    login(client, "share-editor")
    response = client.get(path + "?raw=1")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_export_shows_video_cover_link_and_chapters(
    app: Flask, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    (content_dir / "media" / "yard.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    write_entry(
        "interview",
        "tan",
        raw="""\
        ---
        title: 书记谈楼院
        topic: louyuan
        date: 2022-03-01
        summary: 书记讲楼院自治。
        video: https://m.v.qq.com/x/m/play?cid=mzc00200xyz1abc&vid=m0012abcd3e
        chapters:
          - at: "03:15"
            title: 楼院党小组怎么建
          - at: "1:02:03"
            title: 物业退出以后
        cover: yard.png
        ---
        正文第一段。
        """,
    )
    resync()
    add_user(app, "share-editor", "editor")
    html = _raw(app, "/interviews/tan/gzh")
    block = html[html.index("▶ 视频") - 600 : html.index("正文第一段")]
    assert f'<img src="{SITE}/media/yard.png" alt="视频封面：书记谈楼院"' in block
    assert "在腾讯视频观看：https://v.qq.com/x/page/m0012abcd3e.html" in block
    assert re.search(r"<li style=\"[^\"]*\">03:15　楼院党小组怎么建</li>", block)
    assert "1:02:03　物业退出以后" in block
    assert html.index("书记讲楼院自治") < html.index("▶ 视频") < html.index("正文第一段")
    assert "<iframe" not in html and "class=" not in html
    assert all("style=" in tag for tag in re.findall(r"<(?:p|li|ul|section|img)\b[^>]*>", html))


def test_export_of_a_link_video_without_cover(app: Flask, write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    write_entry("case", "anli", title="386号院的做法", video="https://b23.tv/AbCdEf1")
    write_entry("case", "plain", title="没有视频")
    resync()
    add_user(app, "share-editor", "editor")
    html = _raw(app, "/cases/anli/gzh")
    assert "▶ 视频：386号院的做法" in html and "在哔哩哔哩观看：https://b23.tv/AbCdEf1" in html
    assert "<img" not in html.split("▶ 视频")[0].rsplit("<section", 1)[-1]  # no cover, no empty picture
    assert "▶ 视频" not in _raw(app, "/cases/plain/gzh")
