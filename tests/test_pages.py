"""Public pages through the HTTP client, on content written into tmp_path."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casebook import create_app

from . import pgkit
from .conftest import WriteEntry

Resync = Callable[[], Any]


def text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def loop(write_entry: WriteEntry, resync: Resync) -> None:
    """Topic 1 with an interview, a salon, a local case and one of two national cases."""
    write_entry(
        "interview",
        "iv",
        title="楼院访谈",
        date="2022-03-01",
        street="林山寨街道",
        community="农业银行社区",
        people=["王某（社区党委书记）"],
        tags=["楼院", "自治"],
        summary="访谈摘要。",
        sample=True,
        video="https://cdn.example.org/iv.mp4",
    )
    write_entry(
        "salon",
        "sa",
        title="楼院沙龙",
        date="2022-03-10",
        participants=["甲（居民）", "乙（物业经理）"],
        tags=["楼院"],
        community="农业银行社区",
    )
    write_entry(
        "case",
        "lo",
        title="本地案例",
        date="2022-03-20",
        scope="local",
        tags=["自治"],
        body="## 做法\n\n<script>alert(1)</script>[x](javascript:alert(1))",
    )
    write_entry("case", "cd", title="成都案例", date="2022-03-25", scope="national", region="四川省成都市")
    write_entry("case", "other", title="疫情案例", topic="yiqing", date="2023-05-01", street="秦岭路街道")
    write_entry("case", "hidden", title="草稿案例", status="draft", tags=["楼院"], street="林山寨街道")
    write_entry("interview", "waiting", title="待审访谈", status="submitted", tags=["楼院"])
    resync()


def test_home_shows_topics_progress_and_latest(client: FlaskClient, loop: None) -> None:
    page = text(client, "/")
    assert "<title>中原区社区治理案例库</title>" in page
    assert "第1期" in page and "无主管楼院治理" in page and "示例主题" in page
    assert "微分享 1/2" in page  # one of two national cases
    assert "疫情案例" in page and "示例内容" in page  # latest entries, sample badge
    assert "草稿案例" not in page and "待审访谈" not in page
    assert 'action="/search"' in page
    assert "豫ICP备00000000号" in page


def test_topic_page_shows_loop_in_order_with_gaps(client: FlaskClient, loop: None) -> None:
    whole = text(client, "/topics/louyuan")
    assert "<title>第1期·无主管楼院治理｜中原区社区治理案例库</title>" in whole
    page = whole[whole.index("loop-steps") :]
    order = [
        page.index(s)
        for s in ("一谈·社区书记谈治理", "楼院访谈", "微沙龙", "楼院沙龙", "微案例", "本地案例", "微分享", "成都案例")
    ]
    assert order == sorted(order)
    assert page.count("待补充") == 1  # the second national case is missing
    assert "草稿案例" not in page
    empty = text(client, "/topics/extra")
    assert empty.count("待补充") == 5
    text(client, "/topics/nope", 404)


def test_entry_page_metadata_video_and_navigation(client: FlaskClient, loop: None) -> None:
    page = text(client, "/interviews/iv")
    assert "<title>楼院访谈｜中原区社区治理案例库</title>" in page
    assert "2022年3月1日" in page and "林山寨街道" in page and "农业银行社区" in page
    assert "王某（社区党委书记）" in page and 'href="/tags/%E6%A5%BC%E9%99%A2"' in page
    assert '<video controls preload="none" playsinline src="https://cdn.example.org/iv.mp4"' in page
    assert "示例内容" in page
    assert 'href="/salons/sa"' in page  # next within the topic
    salon = text(client, "/salons/sa")
    assert "甲（居民）、乙（物业经理）" in salon
    assert 'href="/interviews/iv"' in salon and 'href="/cases/lo"' in salon  # previous and next
    assert "notice-sample" not in salon  # the salon itself is not sample content


def test_related_entries_best_first_and_public_only(client: FlaskClient, loop: None) -> None:
    page = text(client, "/interviews/iv")
    related = page[page.index("相关内容") :]
    assert related.index("楼院沙龙") < related.index("成都案例")  # shares topic, tag and community
    assert "草稿案例" not in related and "待审访谈" not in related


def test_body_is_sanitized(client: FlaskClient, loop: None) -> None:
    page = text(client, "/cases/lo")
    assert "<script>alert" not in page and "javascript:" not in page


@pytest.mark.parametrize(
    ("video", "expected"),
    [
        (
            "https://v.qq.com/x/cover/mzc00200xyz1abc/m0012abcd3e.html",
            '<iframe name="video-player" src="https://v.qq.com/txp/iframe/player.html?vid=m0012abcd3e"',
        ),
        (
            "https://player.bilibili.com/player.html?bvid=BV1xx411c7mD",
            '<iframe name="video-player" src="https://player.bilibili.com/player.html?bvid=BV1xx411c7mD&amp;page=1',
        ),
        ("https://example.org/watch?v=1", '<a class="video-card" href="https://example.org/watch?v=1" rel="noopener">'),
    ],
)
def test_video_modes(client: FlaskClient, write_entry: WriteEntry, resync: Resync, video: str, expected: str) -> None:
    write_entry("interview", "v", video=video)
    resync()
    assert expected in text(client, "/interviews/v")


def test_cover_is_shown_and_media_served(
    client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Resync
) -> None:
    (content_dir / "media" / "yard.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    write_entry("case", "c", cover="yard.png")
    resync()
    assert '<img class="cover" src="/media/yard.png"' in text(client, "/cases/c")
    media = client.get("/media/yard.png")
    assert media.status_code == 200 and media.mimetype == "image/png"
    assert media.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/media/../topics.yml").status_code == 404


def test_lists_filter_combine_and_count(client: FlaskClient, loop: None) -> None:
    page = text(client, "/cases/")  # 微案例: the local cases; 微分享 (national) have their own list
    assert "2 篇" in page and "草稿案例" not in page and "成都案例" not in page
    national = text(client, "/shares/")
    assert "1 篇" in national and "成都案例" in national and "本地案例" not in national
    combined = text(client, "/cases/?topic=louyuan&tag=%E8%87%AA%E6%B2%BB")
    assert "1 篇" in combined and "本地案例" in combined
    assert "没有符合条件的内容" in text(client, "/cases/?topic=louyuan&year=2023")
    assert "2 篇" in text(client, "/cases/?year=abc")  # a nonsense filter is ignored, not an error
    years = text(client, "/cases/?topic=louyuan")
    assert '2022 <span class="count">1</span>' in years and "2023 <span" not in years  # counts follow the filters
    assert "楼院访谈" in text(client, "/interviews/") and "楼院沙龙" in text(client, "/salons/")


def test_tag_and_street_pages(client: FlaskClient, loop: None) -> None:
    tag = text(client, "/tags/楼院")
    assert "楼院访谈" in tag and "楼院沙龙" in tag and "草稿案例" not in tag and "待审访谈" not in tag
    street = text(client, "/streets/林山寨街道")
    assert "楼院访谈" in street and "疫情案例" not in street and "草稿案例" not in street
    text(client, "/tags/没有的标签", 404)


def test_drafts_are_404_and_absent_everywhere(client: FlaskClient, loop: None) -> None:
    text(client, "/cases/hidden", 404)
    text(client, "/interviews/waiting", 404)
    for url in (
        "/",
        "/topics/louyuan",
        "/cases/",
        "/interviews/",
        "/feed.xml",
        "/sitemap.xml",
        "/tags/楼院",
        "/streets/林山寨街道",
        "/interviews/iv",
        "/cases/cd",
    ):
        page = text(client, url)
        assert "hidden" not in page and "草稿案例" not in page and "waiting" not in page, url


def test_feed_sitemap_robots(client: FlaskClient, loop: None) -> None:
    feed = client.get("/feed.xml")
    assert feed.mimetype == "application/atom+xml"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(feed.data)
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles[0] == "疫情案例" and len(titles) == 5
    links = [e.find("a:link", ns).get("href") for e in root.findall("a:entry", ns)]  # type: ignore[union-attr]
    assert "https://cases.example.org/interviews/iv" in links
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [u.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}loc") for u in sitemap]
    assert "https://cases.example.org/topics/louyuan" in locs and "https://cases.example.org/cases/cd" in locs
    robots = text(client, "/robots.txt")
    assert "Sitemap: https://cases.example.org/sitemap.xml" in robots
    icon = client.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert 'rel="icon"' in text(client, "/")


def test_healthz_counts_and_problems(client: FlaskClient, write_entry: WriteEntry, resync: Resync) -> None:
    write_entry("case", "a")
    write_entry("interview", "b")
    write_entry("salon", "broken", raw="---\ntitle: x\n---\n")
    resync()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "entries": {"interview": 1, "salon": 0, "case": 1}, "problems": 2}


@pytest.mark.skipif(pgkit.wanted(), reason="breaks the SQLite file (a folder in its place)")
def test_healthz_503_when_database_unreachable(content_dir: Path, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "d"})
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(tmp_path / "d" / "casebook.sqlite3")
    (tmp_path / "d" / "casebook.sqlite3").unlink()
    (tmp_path / "d" / "casebook.sqlite3").mkdir()  # a directory where the database file should be
    with app.app_context():
        from casebook.db import db

        db.engine.dispose()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "error"


def test_friendly_errors_in_chinese(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    page = text(client, "/no/such/page", 404)
    assert "页面不存在" in page and "返回首页" in page
    page = text(client, "/boom", 500)
    assert "服务器出错" in page and "kaboom" not in page


def test_site_url_falls_back_to_request_host_with_warning(
    content_dir: Path, tmp_path: Path, write_entry: WriteEntry, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "d2"})
    with caplog.at_level(logging.WARNING):
        robots = app.test_client().get("/robots.txt", base_url="http://lan-host:8000").get_data(as_text=True)
    assert "Sitemap: http://lan-host:8000/sitemap.xml" in robots
    assert "CASEBOOK_SITE_URL is not set" in caplog.text


def test_cached_pages_follow_every_change(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Resync, tmp_path: Path
) -> None:
    write_entry("case", "c", title="第一版标题")
    resync()
    assert "第一版标题" in text(client, "/cases/c")
    assert "第一版标题" in text(client, "/cases/c")  # served from this process's cache
    other = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "instance"})
    assert "第一版标题" in text(other.test_client(), "/cases/c")  # a second server process
    write_entry("case", "c", title="第二版标题")
    resync()
    for each in (client, other.test_client()):
        assert "第二版标题" in text(each, "/cases/c")
        assert "第二版标题" in text(each, "/")
    write_entry("case", "c", title="第二版标题", status="draft")
    resync()
    text(client, "/cases/c", 404)
    assert "第二版标题" not in text(client, "/")
