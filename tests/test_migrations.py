"""Versioned migrations: a database of the last release before them (c290105) is upgraded with nothing
lost; a fresh one is created at the newest revision; migrations and models describe the same schema;
a database from a newer casebook is refused; ``casebook db`` tells the revision."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, select, text

from casebook import create_app, jobs, migrate
from casebook.cli import main
from casebook.db import db
from casebook.staff.models import Revision

from . import pgkit
from .conftest import WriteEntry
from .staffkit import form_of, login

FIXTURE = Path(__file__).parent / "fixtures" / "c290105-schema.sql"
PASSWORD = "迁移之前的 密码 123"
PUBLISHED = "---\ntitle: 楼院议事会\ntopic: louyuan\ndate: 2022-03-01\n---\n议事会每月开一次。\n"
PENDING = "---\ntitle: 楼院议事会\ntopic: louyuan\ndate: 2022-03-01\n---\n议事会每周开一次。\n"


def _old_database(data: Path) -> Path:
    """A database exactly as c290105 created it, with what a district had put in it."""
    data.mkdir(parents=True, exist_ok=True)
    path = data / "casebook.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(FIXTURE.read_text(encoding="utf-8"))
    now = "2026-11-30 08:00:00.000000"
    hashed = PasswordHasher().hash(PASSWORD)
    connection.execute(
        "INSERT INTO staff_user (id, name, name_key, role, password_hash, active, session_version, created_at)"
        " VALUES (1, '编辑小王', '编辑小王', 'editor', ?, 1, 1, ?)",
        (hashed, now),
    )
    revisions = [
        (1, PUBLISHED, "published", "written", "create", now),
        (2, PENDING, "published", "pending", "edit", now),
    ]
    for rid, body, status, state, action, at in revisions:
        connection.execute(
            "INSERT INTO revision (id, kind, slug, text, title, status, state, action, author, created_at, note)"
            " VALUES (?, 'case', 'yishihui', ?, '楼院议事会', ?, ?, ?, '编辑小王', ?, '')",
            (rid, body, status, state, action, at),
        )
    connection.execute("INSERT INTO view_count VALUES ('2026-11-29', 'case', 'yishihui', 'wechat', 42)")
    connection.execute(
        "INSERT INTO audit_event (at, user, action, target, detail)"
        " VALUES (?, '编辑小王', 'edit', 'case/yishihui', '')",
        (now,),
    )
    connection.execute("INSERT INTO search_miss VALUES ('没找到的词', 7, '2026-11-28 23:30:00.000000')")
    connection.execute("INSERT INTO setting VALUES ('rules_fingerprint', '\"old\"')")
    connection.commit()
    connection.close()
    return path


@pytest.mark.skipif(
    pgkit.wanted(), reason="the fixture is c290105's SQLite schema dump (that release made SQLite files)"
)
def test_a_c290105_database_is_upgraded_with_nothing_lost(
    content_dir: Path, tmp_path: Path, write_entry: WriteEntry, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_entry("case", "yishihui", raw=PUBLISHED)
    data = tmp_path / "old"
    _old_database(data)
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data})
    with app.app_context():
        assert migrate.current(db.engine) == migrate.head()
        tables = set(inspect(db.engine).get_table_names())
        assert {"review_comment", "job", "staff_user", "revision", "view_count"} <= tables
        assert "chapters" in {c["name"] for c in inspect(db.engine).get_columns("entry")}
        states = db.session.execute(select(Revision.state).order_by(Revision.id)).scalars().all()
        assert states == ["written", "pending"]
        views = db.session.execute(text("SELECT count FROM view_count")).scalar_one()
        assert views == 42
        misses = db.session.execute(text("SELECT day, query, count FROM search_miss_day")).all()
        assert [tuple(m) for m in misses] == [("2026-11-29", "没找到的词", 7)]  # on the Beijing day last seen
        assert jobs.enqueue(db.engine, "sync").state == "queued"  # the new tables work
    # the content is read again by the next sync; the account, its pending edit and the counts are there
    monkeypatch.setenv("CASEBOOK_CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("CASEBOOK_DATA_DIR", str(data))
    assert runner.invoke(main, ["sync", "-q"]).exit_code == 0
    client = app.test_client()
    assert "每月开一次" in client.get("/cases/yishihui").get_data(as_text=True)
    login(client, "编辑小王", PASSWORD)
    editor = client.get("/staff/edit/case/yishihui").get_data(as_text=True)
    assert "议事会每周开一次。" in editor  # the pending edit of the old release opens in the editor
    assert form_of(client, "/staff/edit/case/yishihui")["base"]
    assert runner.invoke(main, ["db", "current"]).output.strip() == f"{migrate.head()}（最新）"


def test_a_fresh_database_is_created_at_the_newest_revision(content_dir: Path, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "new"})
    with app.app_context():
        assert migrate.current(db.engine) == migrate.head()
        again = migrate.prepare(db.engine)
    assert again == "current"


def test_the_migrations_build_exactly_the_schema_the_models_declare(tmp_path: Path) -> None:
    """On SQLite, and on PostgreSQL in the PostgreSQL run: the same migrations serve both."""
    engine = create_engine(pgkit.database_url(tmp_path))
    with engine.begin() as connection:
        migrate.upgrade(connection)  # from an empty database, one migration after the other
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), migrate.target_metadata()
        )
    engine.dispose()
    assert differences == []


@pytest.mark.skipif(pgkit.wanted(), reason="compares the SQLite file's bytes before and after")
def test_a_database_from_a_newer_casebook_is_refused_untouched(
    content_dir: Path, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "newer"
    create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data})
    path = data / "casebook.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    before = path.read_bytes()
    with pytest.raises(migrate.DatabaseTooNew, match="比这个 casebook 新"):
        create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data})
    monkeypatch.setenv("CASEBOOK_CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("CASEBOOK_DATA_DIR", str(data))
    refused = runner.invoke(main, ["sync"])
    assert refused.exit_code == 1 and "比这个 casebook 新" in refused.output
    upgrade = runner.invoke(main, ["db", "upgrade"])
    assert upgrade.exit_code == 1 and "请升级 casebook" in upgrade.output
    assert path.read_bytes() == before


def test_db_commands_tell_the_revision_and_the_history(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBOOK_DATA_DIR", str(tmp_path / "cli"))
    assert "未标记版本" in runner.invoke(main, ["db", "current"]).output
    assert runner.invoke(main, ["db", "upgrade"]).output.strip() == f"数据库版本 {migrate.head()}：已新建"
    assert runner.invoke(main, ["db", "current"]).output.strip() == f"{migrate.head()}（最新）"
    listed = runner.invoke(main, ["db", "history"]).output.splitlines()
    assert listed[0].startswith("0001  ") and "c290105" in listed[0]
    assert listed[-1].startswith(f"{migrate.head()}  ")


@pytest.mark.skipif(pgkit.wanted(), reason="starts from c290105's SQLite schema dump")
def test_two_processes_starting_together_migrate_once(content_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "together"
    _old_database(data)
    results: list[str] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            engine = create_engine(f"sqlite:///{data / 'casebook.sqlite3'}")
            results.append(migrate.prepare(engine, lock_path=data / "migrate.lock"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == ["current", "current", "upgraded from 0001"]


def test_a_0004_database_keeps_its_audit_log_and_login_attempts_through_0005(content_dir: Path, tmp_path: Path) -> None:
    """0005 (issue 13): failed logins keep their address, audit events count repeats."""
    data = tmp_path / "at0004"
    data.mkdir()
    engine = create_engine(pgkit.database_url(data))
    with engine.begin() as connection:
        command.upgrade(migrate._config(connection), "0004")
        connection.execute(
            text(
                'INSERT INTO audit_event (at, "user", action, target, detail)'
                " VALUES ('2026-12-01 08:00:00.000000', '编辑小王', 'login-failed', '', '')"
            )
        )
        connection.execute(text("INSERT INTO login_attempt (name_key, at) VALUES ('编辑小王', 1.5)"))
    engine.dispose()
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data})
    with app.app_context():
        assert migrate.current(db.engine) == migrate.head()
        audit = db.session.execute(text('SELECT "user", action, times FROM audit_event')).all()
        attempts = db.session.execute(text("SELECT name_key, address, at FROM login_attempt")).all()
    assert [tuple(row) for row in audit] == [("编辑小王", "login-failed", 1)]
    assert [tuple(row) for row in attempts] == [("编辑小王", "", 1.5)]


def test_a_0007_database_gains_ratings_and_project_surveys_through_0009(tmp_path: Path) -> None:
    """0009 (issue 15, 评议): the rating table, ``project.survey_json``, and a full re-read of the
    project files at the next sync, so a file's ``survey:`` reaches the catalog and the page."""
    root = tmp_path / "content"
    for folder in ("interviews", "salons", "cases", "media", "projects/2023"):
        (root / folder).mkdir(parents=True)
    (root / "topics.yml").write_text("[]\n", encoding="utf-8")
    (root / "places.yml").write_text("{}\n", encoding="utf-8")
    project = root / "projects" / "2023" / "shitang.md"
    project.write_text("---\ntitle: 社区食堂\nyear: 2023\nlead: 区民政局\nstage: 完成\n---\n说明。\n", "utf-8")
    data = tmp_path / "at0007"
    data.mkdir()
    engine = create_engine(pgkit.database_url(data))
    with engine.begin() as connection:
        command.upgrade(migrate._config(connection), "0007")
        connection.execute(text("INSERT INTO public_post (form, source, at) VALUES ('x', 'y', 1.5)"))
        connection.execute(text("INSERT INTO setting (key, value) VALUES ('rules_fingerprint', '\"old\"')"))
    engine.dispose()
    first = create_app({"TESTING": True, "CONTENT_DIR": root, "DATA_DIR": data})
    with first.app_context():
        from casebook.catalog import sync

        assert db.session.execute(text("SELECT key FROM setting WHERE key = 'rules_fingerprint'")).first() is None
        sync(db.session, root)
        db.session.commit()
        assert migrate.current(db.engine) == migrate.head()
        columns = {c["name"] for c in inspect(db.engine).get_columns("project")}
        assert "survey_json" in columns and "rating" in inspect(db.engine).get_table_names()
        assert db.session.execute(text("SELECT form FROM public_post")).scalars().all() == ["x"]
    # the file gains a survey with no other change: the next sync reads it (as after the upgrade)
    survey = "survey:\n  method: 入户问卷\n  satisfied: 9\n  basically: 1\n"
    project.write_text(project.read_text("utf-8").replace("stage: 完成\n", "stage: 完成\n" + survey), "utf-8")
    with first.app_context():
        sync(db.session, root)
        db.session.commit()
    page = first.test_client().get("/projects/2023/shitang").get_data(as_text=True)
    assert "入户问卷" in page and "100.0%" in page and "共 10 人" in page
