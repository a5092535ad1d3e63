"""Real chromium at phone width: pages fit 360 px, also with WeChat's larger font setting.

Runs Debian's chromium through Playwright (never a downloaded browser; see tests/browserkit.py).
Skipped with a reason where chromium or Playwright is missing — except in CI (CI=true), where it must run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .browserkit import SHOTS, launched_chromium, open_at_font_scale, prepare_app, serving, sideways_scroll
from .conftest import DEMO


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(prepare_app(DEMO, tmp_path_factory.mktemp("data"), rebuild_index=True)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page 360 px wide, closed after the test."""
    page = browser.new_page(viewport={"width": 360, "height": 640})
    yield page
    page.close()


PAGES = [
    "/",
    "/topics/dianti-jiazhuang",
    "/interviews/dianti-liuan",
    "/cases/?topic=dianti-jiazhuang",
    "/shares/?topic=dianti-jiazhuang",
    "/search?q=电梯%20食堂",
    "/cases/haizhou-dianti",
    "/communities/柳岸社区",
    "/projects/2023/jiazhuang-dianti",
    "/no-such-page",
]


@pytest.mark.browser
@pytest.mark.parametrize("font_scale", [100, 150])
@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone(browser: Any, live_server: str, path: str, font_scale: int) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 640}, device_scale_factor=2)
    try:
        # WeChat's font setting enlarges text; emulate it by scaling the root font size.
        open_at_font_scale(page, live_server + path, font_scale)
        overflow = sideways_scroll(page)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {font_scale}% font"
        if font_scale == 100 and path in ("/", "/topics/dianti-jiazhuang", "/interviews/dianti-liuan"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=str(SHOTS / f"{name}-360.png"))
    finally:
        page.close()


@pytest.mark.browser
def test_sample_notice_is_visible(page: Any, live_server: str) -> None:
    page.goto(live_server + "/interviews/dianti-liuan")
    notice = page.locator(".notice-sample")
    assert notice.is_visible() and "示例内容" in notice.inner_text()
    box = notice.bounding_box()
    assert box is not None and box["y"] < 640  # on the first screen, not buried below the text


@pytest.mark.browser
def test_topic_card_chips_are_links_large_enough_to_tap(page: Any, live_server: str) -> None:
    page.goto(live_server + "/")
    chips = page.locator("ul.loop a.loop-chip")
    assert chips.count() >= 4
    for n in range(chips.count()):
        box = chips.nth(n).bounding_box()
        assert box is not None and box["width"] >= 24 and box["height"] >= 24, (n, box)
    chips.first.click()
    page.wait_for_url("**/topics/*#part-interview")
    assert page.locator("#part-interview").is_visible()


@pytest.mark.browser
def test_marked_words_stay_in_the_line_of_a_result_title(page: Any, live_server: str) -> None:
    """A search result's title marks the query's words; at phone width the marked word must flow
    with the rest of the title, not become a narrow column of its own beside it."""
    page.goto(live_server + "/search?q=电梯")
    marks = page.locator(".hit .card-title mark")
    assert marks.count() >= 3
    for n in range(marks.count()):
        mark = marks.nth(n)
        laid_out = mark.evaluate(
            """m => {
                const line = parseFloat(getComputedStyle(m.closest('.card-title')).lineHeight);
                const rects = Array.from(m.getClientRects());
                return {display: getComputedStyle(m).display, line, heights: rects.map(r => r.height)};
            }"""
        )
        assert laid_out["display"] == "inline", (n, laid_out)
        # two characters on one line: each of its boxes is one line high, not stacked
        assert all(h <= laid_out["line"] * 1.2 for h in laid_out["heights"]), (n, laid_out)


@pytest.mark.browser
def test_previous_and_next_links_put_their_label_above_the_title(page: Any, live_server: str) -> None:
    """上一篇/下一篇 is a line of its own above the neighbour's title, not a narrow column beside it
    (where at phone width it broke as 上一 / 篇)."""
    page.goto(live_server + "/cases/haizhou-dianti")
    links = page.locator(".prevnext a")
    assert links.count() >= 1
    for n in range(links.count()):
        laid_out = links.nth(n).evaluate(
            """a => {
                const label = a.querySelector('small').getBoundingClientRect();
                const style = getComputedStyle(a);
                const inner = a.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                const range = document.createRange();
                range.selectNodeContents(a.lastChild);  // the title's text, after the label
                const title = range.getClientRects()[0];
                const line = parseFloat(getComputedStyle(a.querySelector('small')).lineHeight);
                return {labelWidth: label.width, inner, labelBottom: label.bottom, titleTop: title.top,
                        labelHeight: label.height, line};
            }"""
        )
        assert laid_out["labelWidth"] >= laid_out["inner"] - 1, (n, laid_out)  # the whole line
        assert laid_out["labelHeight"] <= laid_out["line"] * 1.2, (n, laid_out)  # not broken
        assert laid_out["titleTop"] >= laid_out["labelBottom"] - 1, (n, laid_out)  # below it


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/search?q=电梯", "/cases/"])
def test_a_filter_chip_keeps_its_count_apart_from_its_label(page: Any, live_server: str, path: str) -> None:
    """A facet chip reads 2023 · 3, not 20233: the count stands apart from the value."""
    page.goto(live_server + path)
    page.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
    chips = page.locator("a.chip:has(.count)")
    assert chips.count() >= 3
    for n in range(chips.count()):
        apart = chips.nth(n).evaluate(
            """a => {
                const range = document.createRange();
                range.selectNodeContents(a.firstChild);  // the value, before the count
                const rects = range.getClientRects();
                return a.querySelector('.count').getBoundingClientRect().left - rects[rects.length - 1].right;
            }"""
        )
        assert apart >= 2, (n, chips.nth(n).inner_text(), apart)
