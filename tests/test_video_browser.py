"""Videos in a real chromium at 360 px: the bilibili player with its chapters, a chapter click that
seeks a ``<video>``, a link card that keeps the cover. Outside sites are never contacted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .browserkit import (
    SHOTS,
    launched_chromium,
    login_page,
    prepare_app,
    serving,
    sideways_scroll,
    wait_until,
    write_content,
)

ENTRY = """\
---
title: {title}
topic: louyuan
date: 2022-03-01
video: {video}
cover: yard.png
chapters:
  - at: "00:05"
    title: 开场
  - at: "03:15"
    title: 楼院党小组怎么建
  - at: "1:02:03"
    title: 物业退出以后
---
正文第一段。
"""
PASSWORD = "浏览器 测试 密码"
OUTSIDE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


@pytest.fixture(scope="module")
def video_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("video")
    content = write_content(base / "content")
    Image.new("RGB", (640, 360), (184, 38, 43)).save(content / "media" / "yard.png")
    entries = {
        "interviews/bili.md": ("书记谈楼院（哔哩哔哩）", "https://www.bilibili.com/video/BV1xx411c7mD?p=2"),
        "interviews/file.md": ("书记谈楼院（视频文件）", "https://video.example.org/clip.mp4"),
        "cases/card.md": ("楼院议事会（外部链接）", "https://b23.tv/AbCdEf1"),
    }
    for path, (title, video) in entries.items():
        (content / path).write_text(ENTRY.format(title=title, video=video), encoding="utf-8")
    with serving(prepare_app(content, base / "data", users={"编辑小王": "editor"}, password=PASSWORD)) as url:
        yield url


@pytest.fixture
def phone(video_server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2)
        context.route(OUTSIDE, lambda route: route.abort())  # no request leaves this machine
        yield context.new_page()
        context.close()


@pytest.mark.browser
def test_bilibili_player_and_chapters(phone: Any, video_server: str) -> None:
    phone.goto(video_server + "/interviews/bili")
    frame = phone.locator("section.video iframe[name=video-player]")
    assert frame.get_attribute("src") == (
        "https://player.bilibili.com/player.html?bvid=BV1xx411c7mD&page=2&p=2&autoplay=0"
    )
    box = frame.bounding_box()
    assert box is not None and 300 <= box["width"] <= 360 and abs(box["height"] - box["width"] * 9 / 16) < 2
    chapters = phone.locator(".chapters a.chapter")
    assert chapters.count() == 3
    assert chapters.nth(1).inner_text().split() == ["03:15", "楼院党小组怎么建"]
    assert chapters.nth(1).get_attribute("target") == "video-player"
    assert "&t=195&autoplay=1" in (chapters.nth(1).get_attribute("href") or "")
    assert sideways_scroll(phone) <= 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "video-chapters-360.png"), full_page=True)


@pytest.mark.browser
def test_chapter_click_seeks_the_video(phone: Any, video_server: str) -> None:
    phone.goto(video_server + "/interviews/file")
    video = phone.locator("section.video video")
    assert video.get_attribute("poster") == "/media/yard.png"  # the cover is the poster
    assert phone.evaluate("document.querySelector('video').currentTime") == 0
    phone.click(".chapters a.chapter:has-text('楼院党小组怎么建')")
    wait_until(phone, "document.querySelector('video').currentTime === 195", timeout=5000)
    assert phone.url.endswith("/interviews/file")  # the click seeked; it did not follow the link
    assert phone.get_attribute(".chapters a.chapter:has-text('楼院党小组怎么建')", "aria-current") == "true"
    phone.click(".chapters a.chapter:has-text('物业退出以后')")
    wait_until(phone, "document.querySelector('video').currentTime === 3723", timeout=5000)


@pytest.mark.browser
def test_link_card_keeps_the_cover(phone: Any, video_server: str) -> None:
    phone.goto(video_server + "/cases/card")
    card = phone.locator("a.video-card")
    assert card.get_attribute("href") == "https://b23.tv/AbCdEf1"
    cover = card.locator("img.video-card-cover")
    wait_until(phone, "document.querySelector('img.video-card-cover').complete")
    assert cover.get_attribute("src") == "/media/yard.png"
    assert phone.evaluate("document.querySelector('img.video-card-cover').naturalWidth") == 640
    text = card.inner_text()
    assert "楼院议事会（外部链接）" in text and "哔哩哔哩" in text and "观看视频 →" in text
    # no player here to seek: the chapters are plain text with their times
    assert phone.locator(".chapters a").count() == 0 and "03:15" in phone.inner_text(".chapters")
    assert sideways_scroll(phone) <= 0
    phone.screenshot(path=str(SHOTS / "video-link-card-360.png"), full_page=True)


@pytest.mark.browser
def test_editor_live_preview_shows_player_and_chapters(phone: Any, video_server: str) -> None:
    login_page(phone, video_server, "编辑小王", PASSWORD)
    phone.goto(video_server + "/staff/new/interview?topic=louyuan")
    phone.fill("input[name=title]", "预览里的访谈")
    phone.fill("input[name=video]", "https://m.bilibili.com/video/BV1xx411c7mD")
    phone.fill("textarea[name=chapters]", "03:15 楼院党小组怎么建\n3:75 写错的一章")
    phone.wait_for_selector(".preview article.entry h1:has-text('预览里的访谈')", timeout=5000)
    phone.wait_for_selector(".preview section.video iframe[name=video-player]", timeout=5000)
    warnings = phone.locator(".body-warnings li")
    warnings.filter(has_text="时间“3:75”无效").wait_for(timeout=5000)
    assert phone.locator(".preview .chapters").count() == 0  # bad chapters are not shown…
    phone.fill("textarea[name=chapters]", "03:15 楼院党小组怎么建")
    phone.wait_for_selector(".preview .chapters a.chapter:has-text('楼院党小组怎么建')", timeout=5000)
    assert warnings.count() == 0  # …until they are fixed
    phone.fill("input[name=video]", "https://b23.tv/AbCdEf1")
    phone.wait_for_selector(".preview a.video-card", timeout=5000)
    warnings.filter(has_text="无法嵌入播放").wait_for(timeout=5000)
    assert sideways_scroll(phone) <= 0


def test_fixture_entries_are_valid(tmp_path: Path) -> None:
    """The entries the browser tests use load without problems (so a browser failure means the page)."""
    from casebook import content as content_files

    root = write_content(tmp_path / "content")
    (root / "media" / "yard.png").write_bytes(b"png")
    (root / "interviews" / "x.md").write_text(
        ENTRY.format(title="t", video="https://www.bilibili.com/video/BV1xx411c7mD"), encoding="utf-8"
    )
    library = content_files.load(root)
    assert library.problems == [] and list(library.entries) == ["interview/x"]
