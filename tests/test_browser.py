"""Real chromium at phone width: pages fit 360 px, also with WeChat's larger font setting.

Runs Debian's chromium through Playwright (never a downloaded browser). Skipped with a
reason where chromium or Playwright is missing — except in CI (CI=true), where it must run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from casebook import create_app
from casebook.catalog import sync
from casebook.db import db

ROOT = Path(__file__).resolve().parent.parent / "content"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Browser tests save what a phone shows; into docs/screenshots only when asked
# (CASEBOOK_SCREENSHOTS=docs/screenshots pytest -k browser), so a test run never edits the repository.
SHOTS = Path(os.environ.get("CASEBOOK_SCREENSHOTS") or Path(tempfile.gettempdir()) / "casebook-screenshots")


def _require_browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run must install it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    return sync_playwright


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("data")
    app = create_app({"CONTENT_DIR": ROOT, "DATA_DIR": data, "SITE_URL": "http://127.0.0.1"})
    with app.app_context():
        sync(db.session, ROOT)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (skips, or fails in CI, when it is missing)."""
    sync_playwright = _require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


PAGES = [
    "/",
    "/topics/wuzhuguan-louyuan",
    "/interviews/louyuan-nongyeyinhang",
    "/cases/?topic=wuzhuguan-louyuan",
    "/cases/chengdu-louyuan",
    "/no-such-page",
]


@pytest.mark.browser
@pytest.mark.parametrize("font_scale", [100, 150])
@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone(browser: Any, live_server: str, path: str, font_scale: int) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 640}, device_scale_factor=2)
    try:
        page.goto(live_server + path)
        # WeChat's font setting enlarges text; emulate it by scaling the root font size.
        page.add_style_tag(content=f"html {{ font-size: {font_scale}% !important; }}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {font_scale}% font"
        if font_scale == 100 and path in ("/", "/topics/wuzhuguan-louyuan", "/interviews/louyuan-nongyeyinhang"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=str(SHOTS / f"{name}-360.png"))
    finally:
        page.close()


@pytest.mark.browser
def test_sample_notice_is_visible(browser: Any, live_server: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 640})
    try:
        page.goto(live_server + "/interviews/louyuan-nongyeyinhang")
        notice = page.locator(".notice-sample")
        assert notice.is_visible() and "示例内容" in notice.inner_text()
        box = notice.bounding_box()
        assert box is not None and box["y"] < 640  # on the first screen, not buried below the text
    finally:
        page.close()
