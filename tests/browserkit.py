"""Helpers for the real-browser tests: Debian's chromium through Playwright, the app served on
127.0.0.1 in a thread, a minimal content folder, and logging a page in as a staff member.

Chromium is Debian's (never a downloaded browser). Without it or without Playwright the tests are
skipped with a reason — except in CI (CI=true), where they must run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from socketserver import BaseServer
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator

from casebook import create_app, indexing
from casebook.catalog import sync
from casebook.db import db
from casebook.staff import accounts

from .conftest import PLACES, TOPICS

LOCAL_URL = "http://127.0.0.1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Browser tests save what a phone shows; into docs/screenshots only when asked
# (CASEBOOK_SCREENSHOTS=docs/screenshots pytest -k browser), so a test run never edits the repository.
SHOTS = Path(os.environ.get("CASEBOOK_SCREENSHOTS") or Path(tempfile.gettempdir()) / "casebook-screenshots")
CONTENT_FOLDERS = ("interviews", "salons", "cases", "media")


def require_browser() -> Any:
    """Playwright's ``sync_playwright``, or a skip (a failure in CI) when it or chromium is missing."""
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


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (skips, or fails in CI, when it is missing)."""
    sync_playwright = require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            yield browser
        finally:
            browser.close()


def write_content(root: Path, topics: str = TOPICS, places: str = PLACES) -> Path:
    """A minimal content folder at ``root``: the entry and media folders, topics.yml and places.yml."""
    for folder in CONTENT_FOLDERS:
        (root / folder).mkdir(parents=True)
    (root / "topics.yml").write_text(topics, encoding="utf-8")
    (root / "places.yml").write_text(places, encoding="utf-8")
    return root


def prepare_app(
    content: Path,
    data: Path,
    *,
    users: Mapping[str, str] | None = None,
    password: str = "",
    rebuild_index: bool = False,
    site_url: str | None = LOCAL_URL,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """The app on ``content`` with its catalog synced, the search index rebuilt when asked, and
    the staff ``users`` ({name: role}) added, all with ``password``.

    ``site_url=None`` leaves SITE_URL unset (absolute links then use the request's host);
    ``config`` adds further settings.
    """
    if users and not password:
        raise ValueError("staff users need a password")
    settings: dict[str, Any] = {"CONTENT_DIR": content, "DATA_DIR": data}
    if site_url is not None:
        settings["SITE_URL"] = site_url
    app = create_app({**settings, **(config or {})})
    with app.app_context():
        sync(db.session, content)
        db.session.commit()
        if rebuild_index:
            indexing.rebuild(db.session, app.extensions["casebook.search"], content)
        for name, role in (users or {}).items():
            accounts.add_user(db.session, name, role, password)
        db.session.commit()
    return app


@contextmanager
def running(server: BaseServer) -> Iterator[BaseServer]:
    """``server`` answering in a daemon thread until the block ends, then shut down and closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Answers:
    """WSGI middleware remembering unclosed answers: Werkzeug's development server skips closing
    one when the browser drops the connection (a cancelled picture or favicon), leaving its file
    open; ``close`` closes them when the server stops."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.open: set[Any] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        answer = self.app(environ, start_response)
        with self.lock:
            self.open.add(answer)
        return ClosingIterator(answer, [lambda: self._done(answer)])

    def _done(self, answer: Any) -> None:
        with self.lock:
            self.open.discard(answer)
        if hasattr(answer, "close"):
            answer.close()

    def close(self) -> None:
        with self.lock:
            left, self.open = list(self.open), set()
        for answer in left:
            if hasattr(answer, "close"):
                answer.close()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` served on 127.0.0.1 at a free port; yields the base URL (no trailing slash)."""
    answers = _Answers(app)
    server = make_server("127.0.0.1", 0, answers, threaded=True)
    try:
        with running(server):
            yield f"{LOCAL_URL}:{server.server_port}"
    finally:
        answers.close()


def login_page(page: Any, base: str, name: str, password: str) -> None:
    """Log ``page`` in through the form at ``base``/login and wait for the staff dashboard."""
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(base + "/staff/")


def open_at_font_scale(page: Any, url: str, font_scale: int) -> None:
    """Open ``url`` with the root font at ``font_scale`` %, as WeChat's larger font setting enlarges text."""
    page.goto(url)
    page.add_style_tag(content=f"html {{ font-size: {font_scale}% !important; }}")


def sideways_scroll(page: Any) -> int:
    """How many pixels the page scrolls sideways (0 or less: it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def wait_until(page: Any, expression: str, timeout: float = 30_000) -> Any:
    """Wait until ``expression`` (JavaScript) is truthy in ``page`` and return its value; fail after
    ``timeout`` ms. Playwright's ``wait_for_function`` runs the expression through the page's own
    ``eval``, which the site's Content-Security-Policy refuses (no 'unsafe-eval'); ``page.evaluate``
    goes through the DevTools protocol, which the policy does not govern, so this polls with it."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(25)
