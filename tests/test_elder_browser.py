"""长辈模式 (elder mode) and 200 % text in a real chromium (issue 14, point 2).

The header's switch turns 长辈模式 on and off under the strict Content-Security-Policy and the choice
is remembered across pages and reloads; ``?mode=elder`` turns it on (also without scripts, from the
server); in it every page has 18 px body text and passes axe-core's ``color-contrast-enhanced`` rule
(AAA, 7:1); and at 360 px with the root font at 200 % (WeChat's largest font setting) no page scrolls
sideways and the search field's hint is not cut, in the standard mode and in 长辈模式.

Chromium is Debian's (tests/browserkit.py). axe-core comes from ``npm ci`` (node_modules/axe-core);
without it the contrast test is skipped with a reason, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from .browserkit import SHOTS, launched_chromium, login_page, serving, sideways_scroll
from .pagelist import ADMIN, PAGES, PASSWORD, Page, build_library

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = os.environ.get("CASEBOOK_SCREENSHOTS")
PHONE = {"width": 360, "height": 640}


EXTRA = [Page("", "/no-such-page")]
"""Pages beyond the shared list of every HTML page (tests/pagelist.py): the 404 page."""
BUILT: dict[str, str] = {}
"""A listed URL → the URL on the built library (the import report's id is known only once it is made)."""


def pages() -> list[Page]:
    """Every HTML page (tests/pagelist.py, public and staff, on the demo library) and the 404 page."""
    return [*PAGES, *EXTRA]


def elder_pages() -> list[Page]:
    """The pages 长辈模式 restyles: all but the 公众号 export previews, whose article keeps the post's own
    inline styles so staff see what WeChat will show (the page around it still follows the mode)."""
    return [page for page in pages() if not page.endpoint.startswith("share_staff.") or "gzh" not in page.endpoint]


def real_url(page: Page) -> str:
    return BUILT.get(page.url, page.url)


def with_mode(url: str, mode: str) -> str:
    return url + ("&" if "?" in url else "?") + "mode=" + mode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app, built = build_library(tmp_path_factory.mktemp("elder"))
    BUILT.update({listed.url: page.url for listed, page in zip(PAGES, built, strict=True)})
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(server: str) -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def tabs(chromium: Any, server: str) -> Iterator[dict[bool, Any]]:
    """One 360 px page for visitors and one logged in as staff, both able to take injected scripts."""
    visitor = chromium.new_context(viewport=PHONE, bypass_csp=True, locale="zh-CN")
    staff = chromium.new_context(viewport=PHONE, bypass_csp=True, locale="zh-CN")
    found = {False: visitor.new_page(), True: staff.new_page()}
    login_page(found[True], server, ADMIN, PASSWORD)
    yield found
    visitor.close()
    staff.close()


class Phone:
    """A 360 px page under the site's own Content-Security-Policy, recording console errors about it."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.csp_errors: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_errors.append(message.text)


@pytest.fixture
def phone(chromium: Any) -> Iterator[Phone]:
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    yield Phone(context)
    context.close()


def is_elder(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.classList.contains('elder')"))


def body_font(page: Any) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


SHOWN_NAV = """[...document.querySelectorAll('.site-nav a')]
  .filter(a => a.getClientRects().length).map(a => a.textContent.trim())"""


def toggle(page: Any) -> Any:
    return page.get_by_role("button", name="长辈模式")


@pytest.mark.browser
def test_the_switch_turns_elder_mode_on_and_is_remembered(phone: Phone, server: str) -> None:
    tab = phone.page
    tab.goto(server + "/")
    assert not is_elder(tab) and body_font(tab) < 18
    button = toggle(tab)
    assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
    box = button.bounding_box()
    assert box is not None and box["height"] >= 24 and box["width"] >= 44
    button.click()
    assert is_elder(tab) and button.get_attribute("aria-pressed") == "true"
    assert body_font(tab) >= 18
    assert tab.evaluate(SHOWN_NAV) == ["主题", "民生实事", "搜索"]  # the simpler header
    tab.goto(server + "/topics/dianti-jiazhuang")  # another page: still on
    assert is_elder(tab) and toggle(tab).get_attribute("aria-pressed") == "true"
    tab.reload()
    assert is_elder(tab) and body_font(tab) >= 18
    toggle(tab).click()
    assert not is_elder(tab) and toggle(tab).get_attribute("aria-pressed") == "false"
    tab.goto(server + "/cases/")
    assert not is_elder(tab) and body_font(tab) < 18
    assert phone.csp_errors == []


@pytest.mark.browser
def test_the_address_turns_it_on_and_off(phone: Phone, server: str) -> None:
    tab = phone.page
    tab.goto(server + "/?mode=elder")
    assert is_elder(tab) and toggle(tab).get_attribute("aria-pressed") == "true"
    tab.goto(server + "/projects/2023")  # remembered without the parameter
    assert is_elder(tab) and body_font(tab) >= 18
    tab.goto(server + "/projects/2023?mode=normal")
    assert not is_elder(tab)
    tab.goto(server + "/")
    assert not is_elder(tab)
    assert phone.csp_errors == []


@pytest.mark.browser
def test_the_class_is_set_before_the_page_body_appears(phone: Phone, server: str) -> None:
    tab = phone.page
    # Record whether <html> has the class at the moment <body> is first inserted: a script run later
    # (deferred, or at the end of the page) would let the standard page paint first.
    tab.add_init_script(
        """
        window.__elderAtBody = null;
        new MutationObserver(function (records, observer) {
          if (document.body) {
            window.__elderAtBody = document.documentElement.classList.contains('elder');
            observer.disconnect();
          }
        }).observe(document, {childList: true, subtree: true});
        """
    )
    tab.goto(server + "/")
    toggle(tab).click()
    tab.goto(server + "/topics/dianti-jiazhuang")
    assert tab.evaluate("window.__elderAtBody") is True


@pytest.mark.browser
def test_without_scripts_the_server_renders_the_mode(chromium: Any, server: str) -> None:
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server + "/?mode=elder")
        assert is_elder(page) and body_font(page) >= 18
        assert not page.locator("button.mode-toggle").is_visible()  # a switch that could not work is hidden
        page.goto(server + "/")
        assert not is_elder(page) and body_font(page) < 18
    finally:
        context.close()


def test_the_cached_page_follows_the_address_not_a_cookie(client: FlaskClient) -> None:
    elder = client.get("/?mode=elder").get_data(as_text=True)
    plain = client.get("/").get_data(as_text=True)
    assert re.search(r'<html lang="zh-CN" class="elder">', elder)
    assert '<html lang="zh-CN">' in plain and 'aria-pressed="false"' in plain
    assert client.get("/?mode=elder").get_data(as_text=True) == elder
    head = plain.split("<body>")[0]
    script = re.search(r'<script src="/static/elder\.js[^"]*"([^>]*)>', head)
    assert script and "defer" not in script.group(1) and "async" not in script.group(1)
    assert client.get("/static/elder.css").status_code == 200


def _axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("axe-core is missing in CI: run npm ci")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE.read_text(encoding="utf-8")


MEASURE_ELDER = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('[hidden], [aria-hidden=true], svg, pre, code, .diff')) continue;
    const size = parseFloat(style.fontSize);
    if (size < 16) small.push(node.textContent.trim().slice(0, 20) + ' ' + size + 'px');
  }
  const targets = [];
  const controls = 'button, .button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
    + '.site-header a, .search button, .chip, .pager a';
  for (const el of document.querySelectorAll(controls)) {
    const r = el.getBoundingClientRect();
    if (!r.width || getComputedStyle(el).visibility === 'hidden') continue;
    if (r.height < 47.5 || r.width < 47.5) targets.push((el.textContent.trim() || el.name || el.tagName).slice(0, 20)
      + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  const body = getComputedStyle(document.body);
  return {font: parseFloat(body.fontSize), lineHeight: parseFloat(body.lineHeight) / parseFloat(body.fontSize),
          small: small.slice(0, 8), targets: targets.slice(0, 8)};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("page", elder_pages(), ids=lambda p: p.name)
def test_elder_mode_has_large_text_and_aaa_contrast(tabs: dict[bool, Any], server: str, page: Page) -> None:
    axe = _axe_source()
    tab = tabs[page.staff]
    tab.goto(server + with_mode(real_url(page), "elder"))
    assert is_elder(tab)
    found = tab.evaluate(MEASURE_ELDER)
    assert found["font"] >= 18 and found["lineHeight"] >= 1.79, found
    assert found["small"] == [], f"text under 16 px in 长辈模式: {found['small']}"
    assert found["targets"] == [], f"controls under 48 px in 长辈模式: {found['targets']}"
    tab.add_script_tag(content=axe)
    result = tab.evaluate(
        """async () => {
          const r = await axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast-enhanced']}});
          return r.violations.flatMap(v => v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary));
        }"""
    )
    assert result == [], "\n".join(result)


PLACEHOLDERS = """() => {
  const context = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('input[type=search][placeholder]')].filter(i => i.getClientRects().length)
    .map(i => {
      const style = getComputedStyle(i);
      context.font = style.font;
      const room = i.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return {need: context.measureText(i.placeholder).width, room: room};
    });
}"""


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["normal", "elder"])
@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_every_page_fits_360_px_at_200_percent_text(tabs: dict[bool, Any], server: str, page: Page, mode: str) -> None:
    tab = tabs[page.staff]
    tab.goto(server + with_mode(real_url(page), mode))
    assert is_elder(tab) == (mode == "elder")
    tab.add_style_tag(content="html { font-size: 200% !important; }")
    assert body_font(tab) >= 32
    overflow = sideways_scroll(tab)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 200 % text ({mode})"
    for field in tab.evaluate(PLACEHOLDERS):
        assert field["need"] <= field["room"] + 0.5, f"search hint cut on {page.url} ({mode}): {field}"
    if page.url == "/":
        assert tab.evaluate(PLACEHOLDERS), "the home page has a search field"


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_screenshots(chromium: Any, server: str, mode: str) -> None:
    """Phone screenshots of both modes: into docs/screenshots when CASEBOOK_SCREENSHOTS names it, else a
    temporary folder (browserkit.SHOTS), so a test run never edits the repository."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else SHOTS
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    try:
        tab = context.new_page()
        for name, url in [
            ("home", "/"),
            ("topic", "/topics/dianti-jiazhuang"),
            ("entry", "/interviews/dianti-liuan"),
            ("board", "/projects/2023"),
        ]:
            tab.goto(server + with_mode(url, mode))
            assert is_elder(tab) == (mode == "elder")
            tab.screenshot(path=str(folder / f"elder-{'on' if mode == 'elder' else 'off'}-{name}-360.png"))
    finally:
        context.close()


@pytest.mark.browser
def test_the_contrast_check_catches_a_faint_text(tabs: dict[bool, Any], server: str) -> None:
    """A control: the same axe run reports a grey (#767676, 4.5:1) line added to a 长辈模式 page."""
    axe = _axe_source()
    tab = tabs[False]
    tab.goto(server + "/?mode=elder")
    tab.evaluate(
        """() => {
          const p = document.createElement('p');
          p.textContent = '浅灰色的一行字';
          p.style.color = '#767676';
          p.style.background = '#fff';
          document.querySelector('main').append(p);
        }"""
    )
    tab.add_script_tag(content=axe)
    count = tab.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast-enhanced']}}))
                         .violations.reduce((n, v) => n + v.nodes.length, 0)"""
    )
    assert count == 1
