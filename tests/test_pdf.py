"""The PDFs of a topic: the A4 card (/topics/<slug>/card.pdf) and the booklet (/topics/<slug>.pdf).

Read back with pypdf: the text a reader sees, the fonts embedded, the pages. Built on fixtures only.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader

from casebook import pdf
from tests.browserkit import launched_chromium, prepare_app, serving, sideways_scroll
from tests.conftest import DEMO, WriteEntry


def _text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def _fonts(body: bytes) -> set[str]:
    """Base names of the fonts the PDF embeds (with their subset prefix removed)."""
    reader = PdfReader(io.BytesIO(body))
    names: set[str] = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            embedded = ("/FontFile", "/FontFile2", "/FontFile3")
            if descriptor is not None and any(k in descriptor.get_object() for k in embedded):
                names.add(str(target["/BaseFont"]).split("+")[-1])
    return names


@pytest.fixture
def loop(write_entry: WriteEntry, content_dir: Path, resync: Callable[[], Any]) -> Path:
    """A topic with an interview (three headings and a picture), a salon, a local case and a draft."""
    Image.new("RGB", (320, 200), (200, 30, 40)).save(content_dir / "media" / "louyuan.png")
    write_entry(
        "interview",
        "fangtan",
        body="## 一、楼院现状\n\n老旧楼院没有物业，居民自发成立院委会。\n\n![院委会议事](/media/louyuan.png)\n\n"
        "## 二、怎么做\n\n每月议事一次，账目公开。\n\n## 三、效果\n\n楼院环境明显改善。\n",
        title="楼院自治访谈实录",
        date="2022-03-01",
        street="林山寨街道",
        community="农业银行社区",
    )
    write_entry("salon", "shalong", body="居民代表谈院规公约。", title="院规公约大家议", date="2022-03-10")
    write_entry("case", "anli", body="成立院委会，议事有规则。", title="院委会议事案例", date="2022-03-20")
    write_entry("case", "caogao", body="草稿不应出现。", title="尚未发布的草稿案例", status="draft", scope="local")
    resync()
    return content_dir


def test_the_booklet_has_a_cover_contents_and_every_published_entry_in_embedded_cjk_fonts(
    loop: Path, client: FlaskClient
) -> None:
    response = client.get("/topics/louyuan.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "第1期 无主管楼院治理.pdf"
    body = response.data
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) >= 5  # cover, contents, three entries each from a new page
    text = _text(body)
    cover = reader.pages[0].extract_text()
    assert "第1期" in cover and "无主管楼院治理" in cover and "老旧楼院没人管怎么办" in cover
    assert "https://cases.example.org/topics/louyuan/share" in cover
    contents = reader.pages[1].extract_text()
    assert "目录" in contents
    for title in ("楼院自治访谈实录", "院规公约大家议", "院委会议事案例"):
        assert title in contents  # listed with its page number
        assert title in text
    assert "待补充" in contents  # 微分享 has no entry yet
    assert "每月议事一次，账目公开" in text
    assert "尚未发布的草稿案例" not in text and "草稿不应出现" not in text
    assert any("CJK" in name for name in _fonts(body)), _fonts(body)
    # the page numbers of the contents point at the pages the entries start on
    starts = {t: n + 1 for n, page in enumerate(reader.pages) for t in ["楼院自治访谈实录"] if t in page.extract_text()}
    assert starts["楼院自治访谈实录"] >= 3


def test_the_booklets_picture_comes_from_content_media(loop: Path, client: FlaskClient) -> None:
    reader = PdfReader(io.BytesIO(client.get("/topics/louyuan.pdf").data))
    images = [image for page in reader.pages for image in page.images]
    assert images, "the interview's picture is in the booklet"


def test_a_missing_or_outside_picture_leaves_the_rest_of_the_booklet(
    write_entry: WriteEntry, content_dir: Path, resync: Callable[[], Any], client: FlaskClient
) -> None:
    write_entry(
        "interview",
        "queshi",
        body="![不存在的图](/media/none.png)\n\n![外部图](https://example.com/a.png)\n\n正文照常。",
        title="图片缺失的访谈",
    )
    resync()
    response = client.get("/topics/louyuan.pdf")
    assert response.status_code == 200
    assert "正文照常" in _text(response.data)


def test_the_card_pdf_has_the_topic_parts_and_the_qr_link(loop: Path, client: FlaskClient) -> None:
    response = client.get("/topics/louyuan/card.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1  # one A4 sheet
    text = reader.pages[0].extract_text()
    for words in ("第1期", "无主管楼院治理", "楼院自治访谈实录", "院规公约大家议", "院委会议事案例", "微信扫一扫"):
        assert words in text
    assert "https://cases.example.org/topics/louyuan/share" in text
    assert "打印" not in text.replace("打印卡片", "")  # no print button or PDF link on paper
    assert "尚未发布的草稿案例" not in text
    assert any("CJK" in name for name in _fonts(response.data))


def test_unknown_topics_have_no_pdf(loop: Path, client: FlaskClient) -> None:
    assert client.get("/topics/meiyou.pdf").status_code == 404
    assert client.get("/topics/meiyou/card.pdf").status_code == 404


def test_the_card_page_and_the_topic_page_link_their_pdfs(loop: Path, client: FlaskClient) -> None:
    card = client.get("/topics/louyuan/card").get_data(as_text=True)
    assert 'href="/topics/louyuan/card.pdf"' in card
    topic = client.get("/topics/louyuan").get_data(as_text=True)
    assert 'href="/topics/louyuan.pdf"' in topic


def test_the_topic_page_is_still_the_topic_page(loop: Path, client: FlaskClient) -> None:
    """``/topics/<slug>.pdf`` must not swallow a topic whose page is ``/topics/<slug>``."""
    response = client.get("/topics/louyuan")
    assert response.status_code == 200 and response.mimetype == "text/html"


def test_a_pdf_reads_only_files_under_its_folders(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "a.png").write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("secret")
    folders = {"/media/": media}
    site = "https://cases.example.org"
    assert pdf.local_file(f"{site}/media/a.png", site, folders) == (media / "a.png").resolve()
    assert pdf.local_file("/media/a.png", site, folders) == (media / "a.png").resolve()
    for url in (
        f"{site}/media/../secret.txt",
        f"{site}/media/%2e%2e/secret.txt",
        f"{site}/media/.hidden.png",
        f"{site}/media//a.png",
        f"{site}/static/a.png",
        "https://evil.example.com/media/a.png",
        "file:///etc/passwd",
        f"{site}/media/none.png",
    ):
        with pytest.raises(pdf.RefusedURL):
            pdf.local_file(url, site, folders)


def test_a_second_render_waits_its_turn_and_gives_up_with_busy(tmp_path: Path) -> None:
    with pdf._render_lock, pytest.raises(pdf.PdfBusy):
        pdf.html_to_pdf("<p>测试</p>", "https://cases.example.org", {}, wait=0.05)
    assert pdf.html_to_pdf("<p>测试</p>", "https://cases.example.org", {}).startswith(b"%PDF")


@pytest.mark.browser
def test_a_phone_finds_the_card_pdf_link_and_it_opens_a_pdf_without_policy_violations(
    tmp_path: Path,
) -> None:
    """In chromium at 360 px: the card page shows 下载 PDF, the strict CSP reports nothing, the link opens a PDF."""
    content = Path(shutil.copytree(DEMO, tmp_path / "content"))
    app = prepare_app(content, tmp_path / "data")
    watch = (
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.effectiveDirective));"
    )
    with serving(app) as url, launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
        context.add_init_script(watch)
        page = context.new_page()
        response = page.goto(url + "/topics/dianti-jiazhuang/card")
        assert response is not None and "script-src 'self';" in response.headers["content-security-policy"]
        link = page.locator("a[href$='/topics/dianti-jiazhuang/card.pdf']")
        assert link.inner_text().strip() == "下载 PDF"
        assert link.is_visible()
        box = link.bounding_box()
        assert box is not None and box["height"] >= 24 and box["width"] >= 24
        assert sideways_scroll(page) == 0
        answer = page.request.get(url + str(link.get_attribute("href")))
        assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
        assert answer.body().startswith(b"%PDF")
        page.wait_for_timeout(300)  # violation events arrive as tasks
        assert page.evaluate("window.__violations") == []
        context.close()
