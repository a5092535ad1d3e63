"""A catalog written by the previous release (no ``entry.chapters``) is rebuilt by ``casebook sync``.

Only the tables derived from ``content/`` are recreated; staff accounts, revisions, the audit log,
search misses and view counts survive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, inspect, select, text

from casebook import catalog
from casebook.cli import main
from casebook.db import db
from casebook.models import EntryRow, SearchMiss, Setting
from casebook.staff.models import AuditEvent, Revision, User

from .conftest import WriteEntry
from .staffkit import entry_form, form_of, login, staff_client

BILI = "https://www.bilibili.com/video/BV1xx411c7mD"


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, Revision, AuditEvent, SearchMiss)
        }


def test_sync_rebuilds_an_old_catalog_and_keeps_staff_data(
    app: Flask,
    resync: Callable[[], Any],
    runner: CliRunner,
    write_entry: WriteEntry,
    content_dir: Path,
    tmp_path: Path,
) -> None:
    write_entry("case", "old", title="旧案例")
    resync()
    editor = staff_client(app, "editor1", "editor")
    data = {**form_of(editor, "/staff/new/case"), **entry_form(), "slug": "saved", "action": "save"}
    assert editor.post("/staff/new/case", data=data).status_code == 302
    with app.app_context():
        db.session.add(SearchMiss(day=dt.date(2026, 1, 1), query="没找到", count=3))
        db.session.commit()
        generation = catalog.generation(db.session)
    before = _counts(app)
    assert before["staff_user"] == 1 and before["revision"] == 1 and before["search_miss_day"] == 1

    # What the previous release left behind: the entry table without chapters, no schema version.
    with app.app_context():
        db.session.execute(text("ALTER TABLE entry DROP COLUMN chapters"))
        db.session.execute(text("DELETE FROM setting WHERE key = 'catalog_schema'"))
        db.session.commit()
        columns = [c["name"] for c in inspect(db.engine).get_columns("entry")]
        assert "chapters" not in columns

    write_entry(
        "interview",
        "iv",
        raw=f"""\
        ---
        title: 楼院访谈
        topic: louyuan
        date: 2022-03-01
        video: {BILI}
        chapters:
          - at: "03:15"
            title: 楼院党小组怎么建
        ---
        正文。
        """,
    )
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    assert "同步完成" in result.output and "（全量）" in result.output

    with app.app_context():
        columns = [c["name"] for c in inspect(db.engine).get_columns("entry")]
        assert "chapters" in columns
        row = db.session.scalars(select(EntryRow).where(EntryRow.slug == "iv")).one()
        assert row.chapters == [{"at": 195, "title": "楼院党小组怎么建"}]
        slugs = set(db.session.scalars(select(EntryRow.slug)))
        assert slugs == {"old", "saved", "iv"}  # every content file is back in the rebuilt catalog
        assert db.session.get(Setting, catalog.SCHEMA_KEY).value == catalog.SCHEMA_VERSION  # type: ignore[union-attr]
        assert catalog.generation(db.session) > generation  # other processes drop their cached pages
    assert _counts(app) == before
    search = app.test_client().get("/api/search", query_string={"q": "党小组怎么建"}).get_json()["results"]
    assert [r["slug"] for r in search] == ["iv"]
    again = app.test_client()
    login(again, "editor1")  # the account still works
    assert again.get("/staff/").status_code == 200

    second = runner.invoke(main, ["sync"])  # the version is stored: no second rebuild
    assert second.exit_code == 0 and "（全量）" not in second.output


def test_an_old_catalog_opened_by_a_new_server_answers_pages_before_any_sync(
    app: Flask, resync: Callable[[], Any], write_entry: WriteEntry, content_dir: Path
) -> None:
    write_entry("case", "old", title="旧案例")
    resync()
    staff_client(app, "editor1", "editor")
    with app.app_context():
        db.session.execute(text("ALTER TABLE entry DROP COLUMN chapters"))
        db.session.execute(text("DELETE FROM setting WHERE key = 'catalog_schema'"))
        db.session.commit()
        db.engine.dispose()
    from casebook import create_app

    started = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": app.config["CASEBOOK_DATA_DIR"]})
    client = started.test_client()
    assert client.get("/").status_code == 200 and client.get("/cases/old").status_code == 404  # empty until synced
    login(client, "editor1")
    assert client.get("/staff/").status_code == 200
    assert _counts(started)["staff_user"] == 1
