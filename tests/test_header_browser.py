"""The site header at phone width: the section links stay on one row at 360 px and wrap into
tidy full-width rows at WeChat's 150 % font, never scrolling the page sideways."""

from __future__ import annotations

from typing import Any

import pytest

from .browserkit import SHOTS, open_at_font_scale
from .test_browser import browser, live_server  # noqa: F401  (module-scoped fixtures)

NAV = ["一谈", "微沙龙", "微案例", "微分享", "民生实事", "搜索"]
"""The tabs a phone shows: 主题 is left to the site name on phones (both open the topic list), so six
16 px tabs of at least 44 px fit one row at 360 px."""
WIDE_NAV = ["主题", *NAV]


def _header(browser: Any, url: str, font_scale: int, width: int = 360) -> dict[str, Any]:  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 640}, device_scale_factor=2)
    try:
        open_at_font_scale(page, url, font_scale)
        result: dict[str, Any] = page.evaluate(
            """() => {
              const doc = document.documentElement;
              const nav = document.querySelector('.site-nav');
              const links = [...nav.querySelectorAll('a')].filter(a => a.getClientRects().length).map(a => {
                const r = a.getBoundingClientRect();
                return {text: a.textContent.trim(), top: Math.round(r.top), left: r.left, right: r.right,
                        height: r.height, clipped: a.scrollWidth > a.clientWidth + 1};
              });
              const name = document.querySelector('.site-name').getBoundingClientRect();
              return {overflow: doc.scrollWidth - doc.clientWidth, width: doc.clientWidth, links,
                      nameTop: Math.round(name.top), navScroll: nav.scrollWidth - nav.clientWidth,
                      lineHeight: parseFloat(getComputedStyle(nav.querySelector('a')).lineHeight)};
            }"""
        )
        if font_scale == 100 and width == 360:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "header-360.png"), clip={"x": 0, "y": 0, "width": 360, "height": 120})
        return result
    finally:
        page.close()


def _rows(links: list[dict[str, Any]]) -> list[list[str]]:
    rows: dict[int, list[str]] = {}
    for link in links:
        rows.setdefault(link["top"], []).append(link["text"])
    return [rows[top] for top in sorted(rows)]


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/projects/2023/jiazhuang-dianti"])
def test_nav_is_one_row_at_360(browser: Any, live_server: str, path: str) -> None:  # noqa: F811
    header = _header(browser, live_server + path, 100)
    assert header["overflow"] <= 0 and header["navScroll"] <= 0
    assert [link["text"] for link in header["links"]] == NAV
    assert _rows(header["links"]) == [NAV]
    assert all(link["left"] >= 0 and link["right"] <= header["width"] for link in header["links"])
    assert not any(link["clipped"] for link in header["links"])


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 360])
def test_nav_wraps_into_full_rows_at_large_font(browser: Any, live_server: str, width: int) -> None:  # noqa: F811
    header = _header(browser, live_server + "/", 150, width)
    assert header["overflow"] <= 0 and header["navScroll"] <= 0
    rows = _rows(header["links"])
    assert [text for row in rows for text in row] == NAV  # every link shown, in order, none hidden
    assert 1 < len(rows) <= 2
    for link in header["links"]:
        assert link["left"] >= 0 and link["right"] <= header["width"]
        assert not link["clipped"] and link["height"] < 2 * header["lineHeight"]  # no link breaks inside
    # each row is filled edge to edge, so the wrap reads as a second row of tabs, not a stray word
    by_row: dict[int, list[dict[str, Any]]] = {}
    for link in header["links"]:
        by_row.setdefault(link["top"], []).append(link)
    lefts = [min(link["left"] for link in row) for row in by_row.values()]
    rights = [max(link["right"] for link in row) for row in by_row.values()]
    assert max(lefts) - min(lefts) < 2 and max(rights) - min(rights) < 2


@pytest.mark.browser
def test_a_wide_screen_shows_every_tab_including_topics(browser: Any, live_server: str) -> None:  # noqa: F811
    header = _header(browser, live_server + "/", 100, 1280)
    assert [link["text"] for link in header["links"]] == WIDE_NAV
    assert len(_rows(header["links"])) == 1
