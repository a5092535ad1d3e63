"""The strict Content-Security-Policy in a real chromium (issue 13, finding 3): the pages still work
and the browser reports no violation — the A4 card's print button, the staff editor (live preview
with a video player, a picture upload), the share page's JS-SDK card, a video's chapters and the
公众号 export's copy buttons. A control shows the policy is enforced: an inline handler is refused.

Every request to another host is answered by Playwright (WeChat's SDK by a stub) or aborted, so
nothing leaves the machine; a request the policy forbids never reaches that routing at all.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .browserkit import launched_chromium, login_page, prepare_app, running, serving, wait_until
from .conftest import DEMO
from .test_share_browser import WX_STUB
from .test_wechat import APP_ID, SECRET, FakeWeChat

PASSWORD = "浏览器 测试 密码"
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__violations.push(e.effectiveDirective + " " + (e.blockedURI || "inline") + " at " + where);
});
window.__printed = 0;
window.print = function () { window.__printed += 1; };
"""
VIDEO_ENTRY = """\
---
title: 书记谈楼院（视频文件）
topic: dianti-jiazhuang
date: 2023-04-01
video: https://video.example.org/clip.mp4
chapters:
  - at: "00:05"
    title: 开场
  - at: "03:15"
    title: 楼院党小组怎么建
---
正文第一段。
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("csp")
    content = Path(shutil.copytree(DEMO, base / "content"))
    (content / "interviews" / "shipin.md").write_text(VIDEO_ENTRY, encoding="utf-8")
    fake = FakeWeChat()
    wechat = {"WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": SECRET, "WECHAT_API_BASE": fake.base}
    users = {"编辑小王": "editor", "审核老李": "reviewer"}
    # no SITE_URL: links use the request's host, so the JS-SDK signature check matches this server
    app = prepare_app(content, base / "data", users=users, password=PASSWORD, site_url=None, config=wechat)
    with running(fake.server), serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


class Phone:
    """A 360 px page that records CSP violations and console errors about policies."""

    def __init__(self, browser: Any, server: str) -> None:
        self.context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        self.context.route("**/*", lambda route: self._dispatch(route, server))
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", self._console)

    @staticmethod
    def _dispatch(route: Any, server: str) -> None:
        url = route.request.url
        if url.startswith("https://res.wx.qq.com/open/js/jweixin"):
            route.fulfill(status=200, content_type="application/javascript", body=WX_STUB)
        elif url.startswith(server):
            route.continue_()
        else:
            route.abort()

    def _console(self, message: Any) -> None:
        text = message.text
        if any(word in text for word in ("Content Security Policy", "Permissions-Policy", "Permissions policy")):
            self.console.append(text)

    def violations(self) -> list[str]:
        self.page.wait_for_timeout(300)  # violation events are queued as tasks: let them arrive
        found: list[str] = self.page.evaluate("window.__violations")
        return found + self.console


@pytest.fixture
def phone(chromium: Any, server: str) -> Iterator[Phone]:
    phone = Phone(chromium, server)
    yield phone
    phone.context.close()


@pytest.mark.browser
def test_the_card_prints_and_the_policy_refuses_inline_handlers(phone: Phone, server: str) -> None:
    page = phone.page
    response = page.goto(server + "/topics/dianti-jiazhuang/card")
    assert response is not None and "script-src 'self';" in response.headers["content-security-policy"]
    page.click("button.print")
    wait_until(page, "window.__printed === 1", timeout=5000)
    assert phone.violations() == []
    # the control: the card's old inline onclick would now be refused
    page.evaluate(
        "() => { const b = document.createElement('button'); b.setAttribute('onclick', 'window.__ran = 1');"
        " document.body.append(b); b.click(); }"
    )
    assert page.evaluate("window.__ran") is None
    assert any(v.startswith("script-src-attr inline") for v in phone.violations())


@pytest.mark.browser
def test_the_editor_previews_a_player_and_uploads_a_picture_without_violations(
    phone: Phone, server: str, tmp_path: Path
) -> None:
    page = phone.page
    login_page(page, server, "编辑小王", PASSWORD)
    page.goto(server + "/staff/new/interview?topic=dianti-jiazhuang")
    page.fill("input[name=title]", "预览里的访谈")
    page.fill("input[name=video]", "https://www.bilibili.com/video/BV1xx411c7mD")
    page.fill("textarea[name=body]", "## 做法\n\n**楼院议事会**每月开一次。\n\n![外链](https://pics.example.org/a.png)")
    page.wait_for_selector(".preview strong:has-text('楼院议事会')", timeout=5000)
    page.wait_for_selector(".preview section.video iframe[name=video-player]", timeout=5000)
    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (1200, 800), (200, 120, 40)).save(photo, "JPEG")
    page.once("dialog", lambda dialog: dialog.accept("楼院议事会现场"))
    with page.expect_file_chooser() as chooser:
        page.click(".upload-image")
    chooser.value.set_files(str(photo))
    wait_until(
        page, "document.querySelector('textarea[name=body]').value.includes('![楼院议事会现场](media/')", timeout=10000
    )
    image = page.locator(".preview img[alt=楼院议事会现场]")
    image.wait_for(timeout=5000)
    image.evaluate("img => img.complete ? null : new Promise(done => { img.onload = img.onerror = done; })")
    assert image.evaluate("img => img.naturalWidth") > 0  # the draft's picture, served to staff
    assert phone.violations() == []


@pytest.mark.browser
def test_the_share_page_sets_the_wechat_card_without_violations(phone: Phone, server: str) -> None:
    page = phone.page
    page.goto(server + "/topics/dianti-jiazhuang/share")
    wait_until(page, "document.documentElement.getAttribute('data-wechat-card') === 'ready'", timeout=5000)
    page.click(".share-copy")
    wait_until(page, "document.querySelector('.share-status').textContent.length > 0")
    page.click("details.share-qr summary")
    wait_until(page, "document.querySelector('.share-qr img').naturalWidth > 0")
    assert phone.violations() == []


@pytest.mark.browser
def test_a_video_file_plays_from_its_chapters_without_violations(phone: Phone, server: str) -> None:
    page = phone.page
    page.goto(server + "/interviews/shipin")
    page.click(".chapters a.chapter:has-text('楼院党小组怎么建')")
    wait_until(page, "document.querySelector('video').currentTime === 195", timeout=5000)
    assert phone.violations() == []  # the file's host is allowed (the request itself is aborted offline)


@pytest.mark.browser
def test_the_gzh_export_copies_without_violations(phone: Phone, server: str) -> None:
    page = phone.page
    login_page(page, server, "审核老李", PASSWORD)
    page.goto(server + "/topics/dianti-jiazhuang/gzh")
    page.click("[data-copy=readmore]")
    wait_until(page, "document.getElementById('gzh-status').textContent.length > 0", timeout=5000)
    assert page.inner_text("#gzh-status") == "已复制"
    assert page.evaluate("navigator.clipboard.readText()") == page.input_value("#gzh-readmore")
    assert phone.violations() == []


def test_browser_tests_wait_without_the_pages_eval() -> None:
    """Playwright's ``wait_for_function`` evals in the page, which the policy refuses: browser tests
    wait with ``browserkit.wait_until`` instead (a failure here would otherwise be an intermittent one)."""
    calls = re.compile(r"\.wait_for_function\(")
    for path in sorted(Path(__file__).parent.glob("*.py")):
        assert not calls.search(path.read_text(encoding="utf-8")), f"{path.name}: use browserkit.wait_until"
