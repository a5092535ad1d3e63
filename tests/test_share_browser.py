"""Real chromium at 360×640: the share page fits, copy-link works (clipboard, fallback, manual), the JS-SDK card is set.

WeChat's script is stubbed through Playwright's routing and its API is the fake server from
test_wechat; every other outside request is aborted, so nothing leaves the machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .browserkit import (
    SHOTS,
    launched_chromium,
    open_at_font_scale,
    prepare_app,
    running,
    serving,
    sideways_scroll,
    wait_until,
)
from .conftest import DEMO
from .test_wechat import APP_ID, SECRET, FakeWeChat

TOPIC = "/topics/dianti-jiazhuang/share"

WX_STUB = """
window.__wx = {config: null, ready: false, app: null, timeline: null};
window.wx = {
  config: function (c) { window.__wx.config = c; },
  ready: function (fn) { window.__wx.ready = true; fn(); },
  error: function () {},
  updateAppMessageShareData: function (d) { window.__wx.app = d; },
  updateTimelineShareData: function (d) { window.__wx.timeline = d; }
};
"""


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeWeChat]:
    fake = FakeWeChat()
    with running(fake.server):
        yield fake


@pytest.fixture(scope="module")
def share_server(tmp_path_factory: pytest.TempPathFactory, fake_api: FakeWeChat) -> Iterator[str]:
    data = tmp_path_factory.mktemp("share-data")
    # No SITE_URL: absolute links use the request's host, so the JS-SDK origin check matches this server.
    wechat = {"WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": SECRET, "WECHAT_API_BASE": fake_api.base}
    with serving(prepare_app(DEMO, data, site_url=None, config=wechat)) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(share_server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def _phone(chromium: Any, share_server: str, init_script: str = "") -> Any:
    context = chromium.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=share_server)

    context.route("**/*", lambda route: _dispatch(route, share_server))
    if init_script:
        context.add_init_script(init_script)
    return context


def _dispatch(route: Any, share_server: str) -> None:
    url = route.request.url
    if url.startswith("https://res.wx.qq.com/open/js/jweixin"):
        route.fulfill(status=200, content_type="application/javascript", body=WX_STUB)
    elif url.startswith(share_server):
        route.continue_()
    else:
        route.abort()


@pytest.mark.browser
@pytest.mark.parametrize("font_scale", [100, 150])
def test_share_page_fits_360px(chromium: Any, share_server: str, font_scale: int) -> None:
    context = _phone(chromium, share_server)
    try:
        page = context.new_page()
        open_at_font_scale(page, share_server + TOPIC, font_scale)
        page.click("details.share-qr summary")  # the opened QR must fit too
        overflow = sideways_scroll(page)
        assert overflow <= 0, f"share page scrolls sideways by {overflow}px at {font_scale}%"
        wait_until(page, "document.querySelector('.share-qr img').naturalWidth > 0")  # the QR loads
    finally:
        context.close()


@pytest.mark.browser
def test_copy_link_and_share_card(chromium: Any, share_server: str) -> None:
    context = _phone(chromium, share_server)
    try:
        page = context.new_page()
        page.goto(share_server + TOPIC)
        link = share_server + TOPIC
        assert page.locator(".share-copy").get_attribute("data-share-copy") == link
        page.click(".share-copy")
        wait_until(page, "document.querySelector('.share-status').textContent.length > 0")
        assert "链接已复制" in page.inner_text(".share-status")
        assert page.evaluate("navigator.clipboard.readText()") == link
        # The JS-SDK card: signed config from our endpoint, share data from the page.
        wait_until(page, "document.documentElement.getAttribute('data-wechat-card') === 'ready'")
        wx = page.evaluate("window.__wx")
        assert wx["config"]["appId"] == APP_ID and len(wx["config"]["signature"]) == 40
        assert wx["config"]["jsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
        assert wx["app"]["title"] == "第1期·老楼加装电梯" and wx["app"]["link"] == link
        assert wx["app"]["imgUrl"] == share_server + "/static/share-cover.png"
        assert wx["timeline"]["link"] == link
        assert SECRET not in json.dumps(wx)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "share-topic.png"), full_page=True)
    finally:
        context.close()


NO_CLIPBOARD = "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});"


@pytest.mark.browser
def test_copy_link_without_the_clipboard_api(chromium: Any, share_server: str) -> None:
    """WeChat over plain http: no navigator.clipboard, the selected-text fallback copies."""
    context = _phone(chromium, share_server, NO_CLIPBOARD)
    try:
        page = context.new_page()
        page.goto(share_server + TOPIC)
        assert page.evaluate("navigator.clipboard") is None
        page.evaluate(
            "window.__copied = []; const exec = document.execCommand.bind(document);"
            "document.execCommand = (c) => {"
            " const f = document.activeElement;"
            " window.__copied.push([c, f.value.substring(f.selectionStart, f.selectionEnd)]); return exec(c); }; null;"
        )
        page.click(".share-copy")
        wait_until(page, "document.querySelector('.share-status').textContent.length > 0")
        assert "链接已复制" in page.inner_text(".share-status")
        assert page.evaluate("window.__copied") == [["copy", share_server + TOPIC]]
    finally:
        context.close()


@pytest.mark.browser
def test_copy_link_last_resort_shows_the_link_selected(chromium: Any, share_server: str) -> None:
    context = _phone(chromium, share_server, NO_CLIPBOARD + "document.execCommand = () => false;")
    try:
        page = context.new_page()
        page.goto(share_server + "/interviews/dianti-liuan")
        field = page.locator(".share-url")
        assert not field.is_visible()
        page.click(".share-copy")
        wait_until(page, "document.querySelector('.share-status').textContent.length > 0")
        assert "长按" in page.inner_text(".share-status")
        assert field.is_visible()
        selected = field.evaluate("f => f.value.substring(f.selectionStart, f.selectionEnd)")
        assert selected == share_server + "/interviews/dianti-liuan"
        overflow = sideways_scroll(page)
        assert overflow <= 0
    finally:
        context.close()
