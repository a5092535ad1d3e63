"""Video URLs as staff copy them → mode, player src and watch page; chapter times."""

from __future__ import annotations

import pytest

from casebook.render import video_embed as render_video_embed
from casebook.video import format_time, parse_time, site_name, video_embed

VID = "m0012abcd3e"
CID = "mzc00200xyz1abc"  # a 15-character cover (album) id
BV = "BV1xx411c7mD"
QQ = f"https://v.qq.com/txp/iframe/player.html?vid={VID}"


def bili(ident: str, page: int = 1) -> str:
    return f"https://player.bilibili.com/player.html?{ident}&page={page}&p={page}&autoplay=0"


@pytest.mark.parametrize(
    ("url", "src"),
    [
        # 腾讯视频 play pages, desktop and phone
        (f"https://v.qq.com/x/cover/{CID}/{VID}.html", QQ),
        (f"https://v.qq.com/x/cover/{CID}.html?vid={VID}", QQ),
        (f"https://v.qq.com/x/page/{VID}.html", QQ),
        (f"https://v.qq.com/x/page/{VID}.html?ptag=share", QQ),
        (f"http://v.qq.com/x/page/{VID}.html", QQ),
        (f"https://m.v.qq.com/x/page/{VID}.html", QQ),
        (f"https://m.v.qq.com/x/m/play?cid={CID}&vid={VID}", QQ),
        (f"https://m.v.qq.com/play.html?vid={VID}&url_from=share", QQ),
        (f"https://m.v.qq.com/x/cover/x/{CID}/{VID}.html", QQ),
        (f"https://v.qq.com/cover/z/{CID}/{VID}.html", QQ),
        # the official players themselves (old and new)
        (QQ, QQ),
        (f"https://v.qq.com/txp/iframe/player.html?vid={VID}&autoplay=1&tiny=0", QQ),
        (f"http://v.qq.com/iframe/player.html?vid={VID}&width=300&height=200&auto=0", QQ),
        # bilibili play pages
        (f"https://www.bilibili.com/video/{BV}", bili(f"bvid={BV}")),
        (f"https://www.bilibili.com/video/{BV}/", bili(f"bvid={BV}")),
        (f"https://www.bilibili.com/video/{BV}/?spm_id_from=333.337&vd_source=ab12", bili(f"bvid={BV}")),
        (f"https://www.bilibili.com/video/{BV}?p=3", bili(f"bvid={BV}", 3)),
        (f"https://bilibili.com/video/{BV}", bili(f"bvid={BV}")),
        (f"https://m.bilibili.com/video/{BV}?p=2&share_source=weixin", bili(f"bvid={BV}", 2)),
        ("https://www.bilibili.com/video/av170001", bili("aid=170001")),
        ("https://www.bilibili.com/video/av170001/?p=2", bili("aid=170001", 2)),
        ("https://m.bilibili.com/video/av170001", bili("aid=170001")),
        # bilibili players, as in an embed code (old ``page`` and new ``p``)
        (f"https://player.bilibili.com/player.html?bvid={BV}", bili(f"bvid={BV}")),
        (f"https://player.bilibili.com/player.html?aid=170001&bvid={BV}&cid=279786&p=2", bili(f"bvid={BV}", 2)),
        ("https://player.bilibili.com/player.html?aid=170001&page=4", bili("aid=170001", 4)),
        # the share form of a bilibili page, and a play page whose vid parameter is junk (the path has it)
        (f"https://www.bilibili.com/s/video/{BV}", bili(f"bvid={BV}")),
        (f"https://v.qq.com/x/page/{VID}.html?vid=junk", f"https://v.qq.com/txp/iframe/player.html?vid={VID}"),
    ],
)
def test_play_pages_and_players_embed_the_official_player(url: str, src: str) -> None:
    embed = video_embed(url)
    assert (embed.mode, embed.src) == ("iframe", src)
    assert render_video_embed(url) == embed  # render keeps its interface for lint and templates


@pytest.mark.parametrize(
    "url",
    [
        f"https://v.qq.com/x/cover/{CID}.html",  # a cover page names no episode
        "https://v.qq.com/x/page/abc.html",  # too short for a vid
        f"https://v.qq.com/x/page/{VID.upper()}.html",
        f"https://v.qq.com/x/cover/{CID}.html?vid=bad",
        "https://v.qq.com/txp/iframe/player.html?vid=x0012abcd",  # 9 characters
        "https://v.qq.com/txp/iframe/player.html",
        f"https://evil.example/txp/iframe/player.html?vid={VID}",
        f"https://v.qq.com.evil.example/x/page/{VID}.html",
        "https://b23.tv/AbCdEf1",  # short links are resolved by bilibili's servers only
        "https://www.bilibili.com/video/BV1",  # not a BV id
        "https://www.bilibili.com/video/BV1xx411c7m0",  # 0 is not base58
        "https://www.bilibili.com/video/av0",
        f"https://www.bilibili.com/video/{BV}?p=0",
        f"https://www.bilibili.com/video/{BV}/extra",
        "https://www.bilibili.com/bangumi/play/ep12345",
        "https://player.bilibili.com/player.html?bvid=BV1",
        f"https://player.bilibili.com/other.html?bvid={BV}",
        f"https://space.bilibili.com/video/{BV}",
        "https://channels.weixin.qq.com/x",
        "https://example.org/watch?v=1",
        "ftp://example.org/a.mp4",
    ],
)
def test_other_urls_are_links(url: str) -> None:
    embed = video_embed(url)
    assert (embed.mode, embed.src, embed.page) == ("link", url, url)
    assert embed.at(60) is None


@pytest.mark.parametrize(
    "url", ["https://cdn.example.org/interview.mp4", "http://cdn.example.org/a/B.MP4", "https://x.org/v.mp4?sig=1"]
)
def test_mp4_files_play_in_the_page(url: str) -> None:
    embed = video_embed(url)
    assert (embed.mode, embed.src, embed.provider) == ("video", url, "file")
    assert embed.seekable and embed.at(75) == f"{url}#t=75"
    assert video_embed(url + "#t=10").at(75) == f"{url}#t=75"  # its own start time gives way


def test_watch_pages_and_site_names() -> None:
    qq = video_embed(f"https://m.v.qq.com/x/m/play?cid={CID}&vid={VID}")
    assert (qq.site, qq.page) == ("腾讯视频", f"https://v.qq.com/x/page/{VID}.html")
    assert not qq.seekable and qq.at(60) is None  # the txp player documents no start time
    b = video_embed(f"https://player.bilibili.com/player.html?bvid={BV}&p=2")
    assert (b.site, b.page) == ("哔哩哔哩", f"https://www.bilibili.com/video/{BV}?p=2")
    assert b.seekable
    assert b.at(195) == f"https://player.bilibili.com/player.html?bvid={BV}&page=2&p=2&t=195&autoplay=1"
    assert video_embed("https://www.bilibili.com/video/av170001").page == "https://www.bilibili.com/video/av170001"
    assert site_name("https://b23.tv/x") == "哔哩哔哩"
    assert site_name("https://www.youku.com/v") == "优酷"
    assert site_name("https://www.example.org/v") == "example.org"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:05", 5),
        ("3:15", 195),
        ("03:15", 195),
        ("95:00", 5700),
        ("1:02:03", 3723),
        ("01:02:03", 3723),
        ("03：15", 195),
        (" 12:00 ", 720),
    ],
)
def test_parse_time(text: str, seconds: int) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "3", "3:5", "3:75", "1:60:00", "a:bc", "-1:00", "1:02:03:04", "3.15"])
def test_parse_time_refuses(text: str) -> None:
    assert parse_time(text) is None


def test_format_time() -> None:
    assert [format_time(s) for s in (0, 5, 195, 3599, 3600, 3723)] == [
        "00:00",
        "00:05",
        "03:15",
        "59:59",
        "1:00:00",
        "1:02:03",
    ]
