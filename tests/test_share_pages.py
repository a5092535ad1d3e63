"""Share page, share bar on topic and entry pages, A4 card, and QR codes that decode to the share link."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zxingcpp  # the test extra: a wheel, no system library needed
from flask.testing import FlaskClient
from PIL import Image, ImageOps

from .conftest import WriteEntry

SITE = "https://cases.example.org"
STATIC = Path(__file__).resolve().parent.parent / "static"


@pytest.fixture
def loop(write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    """A complete loop for topic louyuan: interview, salon, local case, two national cases."""
    write_entry("interview", "tan", title="书记谈楼院", summary="书记讲楼院自治。", sample=True)
    write_entry("salon", "shalong", title="楼院议事沙龙", summary="多方坐在一起商量。")
    write_entry("case", "anli", title="386号院的做法", summary="本社区的楼院实践。", scope="local")
    write_entry("case", "fx1", title="成都的院落自治", summary="外地经验一。", scope="national", region="四川成都")
    write_entry("case", "fx2", title="重庆的楼栋长", summary="外地经验二。", scope="national", region="重庆")
    write_entry("case", "other", title="别的主题", topic="yiqing", scope="local")
    resync()


def _decode(png: bytes) -> str:
    image = Image.open(io.BytesIO(png))
    assert min(image.size) >= 600
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1
    return str(found[0].text)


def test_share_page_shows_the_whole_loop(client: FlaskClient, loop: None) -> None:
    response = client.get("/topics/louyuan/share")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for title in ("书记谈楼院", "楼院议事沙龙", "386号院的做法", "成都的院落自治", "重庆的楼栋长"):
        assert title in html
    assert "别的主题" not in html
    order = [html.index(label) for label in ("一谈·社区书记谈治理", "微沙龙</h2>", "微案例</h2>", "微分享</h2>")]
    assert order == sorted(order)
    assert 'href="/interviews/tan"' in html and 'href="/cases/fx2"' in html
    assert "<title>第1期·无主管楼院治理｜中原区社区治理案例库</title>" in html
    assert '<meta name="description" content="老旧楼院没人管怎么办。">' in html
    assert f'<link rel="canonical" href="{SITE}/topics/louyuan/share">' in html
    assert f'<meta property="og:url" content="{SITE}/topics/louyuan/share">' in html
    assert '<meta property="og:title" content="第1期·无主管楼院治理">' in html
    assert f'<meta property="og:image" content="{SITE}/static/share-cover.png">' in html
    assert "示例内容" in html  # the sample interview keeps its badge here too


def test_share_page_fits_the_budget_without_third_party_scripts(client: FlaskClient, loop: None) -> None:
    html = client.get("/topics/louyuan/share").get_data(as_text=True)
    stylesheets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)
    assert stylesheets == ["casebook.css", "share.css", "elder.css"]  # elder.css: 长辈模式, on every page
    css = sum((STATIC / name).stat().st_size for name in stylesheets)
    assert len(html.encode()) + css < 60 * 1024
    scripts = re.findall(r"<script[^>]*src=\"([^\"]+)\"", html)
    # WeChat's SDK appears only when configured (test_wechat); elder.js switches 长辈模式 on every page
    assert scripts == ["/static/share.js", "/static/elder.js"]


def test_cover_image_is_absolute(content_dir: Path, client: FlaskClient, resync: Callable[[], Any]) -> None:
    (content_dir / "topics.yml").write_text(
        "- slug: louyuan\n  number: 1\n  title: 无主管楼院治理\n  cover: louyuan.jpg\n", encoding="utf-8"
    )
    resync()
    html = client.get("/topics/louyuan/share").get_data(as_text=True)
    assert f'<meta property="og:image" content="{SITE}/media/louyuan.jpg">' in html


@pytest.mark.parametrize(
    ("path", "canonical", "qr"),
    [
        ("/topics/louyuan", f"{SITE}/topics/louyuan", "/topics/louyuan/qr.svg"),
        ("/interviews/tan", f"{SITE}/interviews/tan", "/interviews/tan/qr.svg"),
        ("/salons/shalong", f"{SITE}/salons/shalong", "/salons/shalong/qr.svg"),
        ("/cases/fx1", f"{SITE}/cases/fx1", "/cases/fx1/qr.svg"),
    ],
)
def test_topic_and_entry_pages_carry_the_share_bar(
    client: FlaskClient, loop: None, path: str, canonical: str, qr: str
) -> None:
    html = client.get(path).get_data(as_text=True)
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    assert f'data-share-copy="{canonical}"' in html
    assert f'<input class="share-url" type="text" readonly value="{canonical}"' in html  # the manual fallback
    assert f'src="{qr}"' in html and f'href="{qr[:-3]}png" download' in html
    assert '<script src="/static/share.js" defer></script>' in html


def test_entry_share_text_uses_the_summary(client: FlaskClient, loop: None) -> None:
    html = client.get("/cases/fx1").get_data(as_text=True)
    assert '<meta property="og:description" content="外地经验一。">' in html
    assert '<meta property="og:type" content="article">' in html


def test_copy_script_falls_back_from_the_async_clipboard() -> None:
    script = (STATIC / "share.js").read_text(encoding="utf-8")
    assert "navigator.clipboard && window.isSecureContext" in script
    assert 'document.execCommand("copy")' in script
    assert "field.select()" in script  # last resort: the link shown selected for a manual copy


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/topics/louyuan/qr.png", f"{SITE}/topics/louyuan/share?from=qr"),
        ("/interviews/tan/qr.png", f"{SITE}/interviews/tan?from=qr"),
        ("/salons/shalong/qr.png", f"{SITE}/salons/shalong?from=qr"),
        ("/cases/anli/qr.png", f"{SITE}/cases/anli?from=qr"),
    ],
)
def test_qr_png_decodes_to_the_share_link(client: FlaskClient, loop: None, path: str, target: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.cache_control.max_age == 86400
    assert _decode(response.data) == target


def test_qr_png_keeps_error_level_m_and_a_quiet_zone(client: FlaskClient, loop: None) -> None:
    image = Image.open(io.BytesIO(client.get("/topics/louyuan/qr.png").data)).convert("L")
    assert zxingcpp.read_barcodes(image)[0].ec_level in ("M", "Q", "H")
    width, _ = image.size
    bbox = ImageOps.invert(image).getbbox()  # the dark modules' bounding box
    assert bbox is not None
    left, top = bbox[0], bbox[1]
    run = 0
    while image.getpixel((left + run, top)) < 128:
        run += 1
    module = run / 7  # the top edge of the finder pattern is seven modules wide
    assert left == top and left >= 4 * module  # a quiet zone of four modules
    assert module >= 1 and width >= 600


def test_qr_svg_is_an_svg_of_the_same_link(client: FlaskClient, loop: None) -> None:
    response = client.get("/topics/louyuan/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg and "<title>第1期·无主管楼院治理 二维码</title>" in svg
    assert client.get("/cases/fx1/qr.svg").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/topics/nope/share", "/topics/nope/card", "/topics/nope/qr.png", "/cases/nope/qr.png", "/salons/nope/qr.svg"],
)
def test_unknown_topics_and_entries_are_404(client: FlaskClient, loop: None, path: str) -> None:
    assert client.get(path).status_code == 404


def test_draft_entries_get_no_qr(client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    write_entry("case", "draft", status="draft", scope="local")
    resync()
    assert client.get("/cases/draft/qr.png").status_code == 404


def test_a4_card_has_the_loop_points_and_a_qr(client: FlaskClient, loop: None) -> None:
    response = client.get("/topics/louyuan/card")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "@page { size: A4 portrait;" in html and "@media print" in html
    assert "<h1>无主管楼院治理</h1>" in html and "老旧楼院没人管怎么办。" in html
    for point in ("书记讲楼院自治。", "多方坐在一起商量。", "本社区的楼院实践。", "外地经验一。", "外地经验二。"):
        assert point in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "<title>扫码阅读</title>" in html
    assert f"{SITE}/topics/louyuan/share" in html
    assert 'class="sample">示例内容' in html


def test_card_marks_missing_parts(client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    write_entry("interview", "only", title="只有一谈")
    resync()
    html = client.get("/topics/louyuan/card").get_data(as_text=True)
    assert "只有一谈" in html and html.count("待补充") == 3
