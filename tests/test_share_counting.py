"""``?from=`` view counting: per page, day and source; cached pages count; a locked table breaks nothing."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from casebook.db import db
from casebook.share import counter as counter_module
from casebook.share.counter import ViewCounter, source_of
from casebook.share.models import ViewCount

from . import pgkit
from .conftest import WriteEntry


@pytest.fixture
def site(write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    write_entry("interview", "tan", title="书记谈楼院")
    write_entry("case", "anli", title="386号院的做法", scope="local")
    resync()


def _counts(app: Flask) -> dict[tuple[str, str, str], int]:
    views: ViewCounter = app.extensions["casebook.views"]
    assert views.flush()
    with app.app_context():
        rows = db.session.scalars(select(ViewCount)).all()
        return {(r.kind, r.slug, r.source): r.count for r in rows}


@pytest.mark.parametrize(
    ("value", "source"),
    [
        (None, "direct"),
        ("", "direct"),
        ("gzh", "gzh"),
        ("group", "group"),
        ("qr", "qr"),
        ("singlemessage", "singlemessage"),
        ("groupmessage", "groupmessage"),
        ("timeline", "timeline"),
        ("Timeline", "timeline"),
        ("weibo", "other"),
        ("qr" * 200, "other"),
        ("<script>", "other"),
    ],
)
def test_source_names_are_normalized(value: str | None, source: str) -> None:
    assert source_of(value) == source


def test_views_are_counted_per_page_and_source(app: Flask, client: FlaskClient, site: None) -> None:
    for query in ("?from=gzh", "?from=gzh", "?from=qr", "?from=timeline", "?from=x" * 1, "?from=" + "y" * 5000, ""):
        assert client.get("/topics/louyuan" + query).status_code == 200
    client.get("/topics/louyuan/share?from=group")
    client.get("/topics/louyuan/card?from=qr")
    client.get("/interviews/tan?from=singlemessage&isappinstalled=0")
    client.get("/cases/anli?from=groupmessage")
    client.get("/?from=gzh")
    counts = _counts(app)
    assert counts == {
        ("topic", "louyuan", "gzh"): 2,
        ("topic", "louyuan", "qr"): 2,
        ("topic", "louyuan", "timeline"): 1,
        ("topic", "louyuan", "other"): 2,
        ("topic", "louyuan", "direct"): 1,
        ("topic", "louyuan", "group"): 1,
        ("interview", "tan", "singlemessage"): 1,
        ("case", "anli", "groupmessage"): 1,
        ("page", "public.home", "gzh"): 1,
    }


def test_failures_images_and_missing_pages_are_not_counted(app: Flask, client: FlaskClient, site: None) -> None:
    assert client.get("/topics/nope?from=gzh").status_code == 404
    assert client.get("/cases/nope?from=gzh").status_code == 404
    assert client.get("/topics/louyuan/qr.png?from=gzh").status_code == 200
    assert client.get("/api/topics?from=gzh").status_code == 200
    assert _counts(app) == {}


def test_pages_served_from_the_page_cache_are_counted(app: Flask, client: FlaskClient, site: None) -> None:
    assert app.config["CASEBOOK_PAGE_CACHE"]
    rendered: list[str] = []

    def record(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        for _ in range(3):
            assert client.get("/cases/anli?from=qr").status_code == 200
    assert rendered == ["public/entry.html"]  # rendered once, then served from the cache
    assert _counts(app) == {("case", "anli", "qr"): 3}


def test_days_are_kept_apart(app: Flask, client: FlaskClient, site: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counter_module, "today", lambda: dt.date(2026, 5, 1))
    client.get("/cases/anli?from=gzh")
    monkeypatch.setattr(counter_module, "today", lambda: dt.date(2026, 5, 2))
    client.get("/cases/anli?from=gzh")
    client.get("/cases/anli?from=gzh")
    app.extensions["casebook.views"].flush()
    with app.app_context():
        rows = db.session.execute(select(ViewCount.day, ViewCount.count).order_by(ViewCount.day)).all()
    assert [tuple(r) for r in rows] == [(dt.date(2026, 5, 1), 1), (dt.date(2026, 5, 2), 2)]


def test_counts_from_several_flushes_add_up(app: Flask, client: FlaskClient, site: None) -> None:
    client.get("/cases/anli?from=gzh")
    assert _counts(app) == {("case", "anli", "gzh"): 1}
    client.get("/cases/anli?from=gzh")
    client.get("/cases/anli?from=gzh")
    assert _counts(app) == {("case", "anli", "gzh"): 3}


def test_no_personal_data_is_stored(app: Flask) -> None:
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("view_count")}
    assert columns == {"day", "kind", "slug", "source", "count"}


@pytest.mark.skipif(pgkit.wanted(), reason="holds SQLite's write lock from a second sqlite3 connection")
def test_a_locked_counter_table_breaks_nothing(
    app: Flask, client: FlaskClient, site: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    views: ViewCounter = app.extensions["casebook.views"]
    views.max_pending, views.lock_timeout = 1, 0.2  # every hit wakes the background writer at once
    locker = sqlite3.connect(tmp_path / "instance" / "casebook.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.ERROR, logger="casebook.share.counter"):
            for _ in range(3):
                response = client.get("/cases/anli?from=qr")
                assert response.status_code == 200 and "386号院的做法" in response.get_data(as_text=True)
            assert views.flush() is False
        assert any("could not write" in r.getMessage() for r in caplog.records)
        assert views.pending() == 3  # kept for the next try
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert _counts(app) == {("case", "anli", "qr"): 3}


def test_the_background_writer_flushes_on_its_own(app: Flask, client: FlaskClient, site: None) -> None:
    views: ViewCounter = app.extensions["casebook.views"]
    views.max_pending = 2
    client.get("/cases/anli?from=gzh")
    client.get("/cases/anli?from=gzh")
    assert views.wait_idle(timeout=30)
    with app.app_context():
        assert db.session.scalar(select(ViewCount.count)) == 2


def test_counts_from_several_processes_add_up(app: Flask, content_dir: Path, tmp_path: Path, site: None) -> None:
    """Two app instances on one database stand in for two server processes, each with its own buffer."""
    from casebook import create_app

    other = create_app(
        {"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "instance", "SITE_URL": "https://x.org"}
    )
    for instance, n in ((app, 2), (other, 3)):
        client = instance.test_client()
        for _ in range(n):
            assert client.get("/cases/anli?from=qr").status_code == 200
    assert other.extensions["casebook.views"].flush()
    assert _counts(app) == {("case", "anli", "qr"): 5}
