"""``casebook backup`` and ``casebook restore``: a library built through the app's own routes (two
staff accounts, a published entry with an uploaded picture, its history, a pending edit, view counts)
is backed up while its app holds the database open, restored into fresh folders, and the restored
site must serve, find and log in exactly as before. Backups taken during a save, with commits still
in the WAL, of an older database; refusals (a library already there, unsafe names, damaged zips).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from casebook import create_app, migrate
from casebook.backup import DATABASE, MANIFEST, SECRET, create_backup, unsafe_name
from casebook.catalog import publish
from casebook.cli import main
from casebook.db import db
from casebook.share.models import ViewCount
from casebook.staff import writing
from casebook.staff.models import AuditEvent, Revision, User

from .conftest import PLACES, TOPICS
from .staffkit import PASSWORD, entry_form, form_of, login, staff_client, token
from .test_migrations import PASSWORD as OLD_PASSWORD
from .test_migrations import PUBLISHED as OLD_PUBLISHED
from .test_migrations import _old_database

SLUG = "beifen-yanlian"
EDIT = f"/staff/edit/case/{SLUG}"
MARKER = "议事协商演练"
SITE = {"SITE_URL": "http://backup.example.org", "SITE_NAME": "备份演练案例库"}
INTERVIEW = (
    "---\ntitle: 书记谈楼院议事\ntopic: louyuan\ndate: 2022-03-01\n---\n## 访谈要点\n\n问：怎么开始？答：先开会。\n"
)


def _environ(content: Path, data: Path) -> dict[str, str]:
    return {"CASEBOOK_CONTENT_DIR": str(content), "CASEBOOK_DATA_DIR": str(data)}


def _cli(args: list[str], content: Path, data: Path) -> Result:
    return CliRunner().invoke(main, args, env=_environ(content, data))


def _app(content: Path, data: Path) -> Flask:
    return create_app({"TESTING": True, "CONTENT_DIR": content, "DATA_DIR": data, **SITE})


def _new_content(root: Path) -> Path:
    for folder in ("interviews", "salons", "cases", "media"):
        (root / folder).mkdir(parents=True)
    (root / "topics.yml").write_text(TOPICS, encoding="utf-8")
    (root / "places.yml").write_text(PLACES, encoding="utf-8")
    return root


def _publish(app: Flask) -> None:
    with app.app_context():
        publish(db.session, Path(app.config["CASEBOOK_CONTENT_DIR"]), app.extensions["casebook.search"])


def _upload(client: FlaskClient, data: bytes, name: str, alt: str) -> dict[str, Any]:
    response = client.post(
        "/staff/upload",
        data={"file": (io.BytesIO(data), name), "alt": alt},
        headers={"Accept": "application/json", "X-CSRFToken": token(client, "/staff/new/case")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    result: dict[str, Any] = response.get_json()
    return result


def _save(client: FlaskClient, url: str, action: str = "save", **fields: str) -> None:
    data = {**form_of(client, url), **entry_form(**fields), "action": action}
    if url.endswith("/new/case"):
        data["slug"] = SLUG
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root``: its bytes and permission bits."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _rows(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """What only the database knows, row by row: accounts, revisions, audit, view counts."""
    with app.app_context():
        users = db.session.scalars(select(User).order_by(User.id))
        revisions = db.session.scalars(select(Revision).order_by(Revision.id))
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        counts = db.session.scalars(select(ViewCount).order_by(ViewCount.day, ViewCount.kind, ViewCount.slug))
        return {
            "users": [(u.id, u.name, u.role, u.password_hash, u.active, u.session_version) for u in users],
            "revisions": [(r.id, r.kind, r.slug, r.state, r.action, r.author, r.status, r.text) for r in revisions],
            "audit": [(e.id, e.at, e.user, e.action, e.target) for e in events],
            "views": [(v.day, v.kind, v.slug, v.source, v.count) for v in counts],
        }


@dataclass
class Library:
    """A library built through the app, and its backup."""

    content: Path
    data: Path
    app: Flask
    reviewer: FlaskClient
    picture: dict[str, Any]
    archive: Path
    output: str
    rows: dict[str, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("library")
    content, data = _new_content(root / "content"), root / "instance"
    (content / "interviews" / "tan.md").write_text(INTERVIEW, encoding="utf-8")
    app = _app(content, data)
    _publish(app)
    editor = staff_client(app, "编辑甲", "editor")
    reviewer = staff_client(app, "审核乙", "reviewer")
    photo = io.BytesIO()
    Image.new("RGB", (1200, 800), "orange").save(photo, "JPEG")
    picture = _upload(editor, photo.getvalue(), "议事会.jpg", "议事会现场")
    body = f"## 做法\n\n楼院{MARKER}先成立党小组。\n\n{picture['markdown']}\n"
    _save(reviewer, "/staff/new/case", action="publish", body=body, cover=picture["path"])
    _save(
        reviewer, EDIT, action="publish", body=body.replace("先成立党小组", "先成立楼院党小组"), cover=picture["path"]
    )
    _save(editor, EDIT, body="## 做法\n\n改为先开楼院议事会。", cover=picture["path"])  # waits for review
    reader = app.test_client()
    for url in (f"/cases/{SLUG}?from=gzh", f"/cases/{SLUG}?from=gzh", f"/cases/{SLUG}?from=qr", "/?from=group"):
        assert reader.get(url).status_code == 200
    assert app.extensions["casebook.views"].flush()
    rows = _rows(app)
    assert [r[3] for r in rows["revisions"]] == ["written", "written", "pending"] and rows["views"]
    archive = root / "backups" / "casebook.zip"
    archive.parent.mkdir()
    # the app is alive and holds its database connections (WAL mode) while the backup runs
    made = _cli(["backup", str(archive)], content, data)
    assert made.exit_code == 0, made.output
    yield Library(content, data, app, reviewer, picture, archive, made.output, rows)


def _fresh(tmp_path: Path) -> tuple[Path, Path]:
    """Content and data folders for a restore on a new machine: neither exists yet."""
    return tmp_path / "new-machine" / "content", tmp_path / "new-machine" / "instance"


# --- the round trip ---------------------------------------------------------------------------------


def test_the_zip_holds_content_uploads_database_and_key_with_a_manifest(library: Library) -> None:
    assert stat.S_IMODE(library.archive.stat().st_mode) == 0o600  # it holds the secret key
    assert "备份完成" in library.output and "会话密钥" in library.output
    with zipfile.ZipFile(library.archive) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read(MANIFEST))
        for record in manifest["files"]:
            assert hashlib.sha256(zf.read(record["path"])).hexdigest() == record["sha256"]
        database = zf.read(DATABASE)
    assert names == {r["path"] for r in manifest["files"]} | {MANIFEST}
    expected = {f"content/{rel}" for rel in _files(library.content)}
    assert {n for n in names if n.startswith("content/")} == expected
    assert f"content/media/{library.picture['path']}" in names
    assert SECRET in names and DATABASE in names
    assert all(n.startswith("content/") for n in names - {MANIFEST, DATABASE, SECRET})  # no search index: rebuilt
    assert manifest["migration_head"] == migrate.head() == manifest["database_revision"]
    assert manifest["created_at"].endswith("Z") and manifest["casebook_version"]
    assert manifest["counts"] == {"content": 4, "media": 3, "database": 1, "secret_key": 1}  # picture, phone copy, json
    assert database.startswith(b"SQLite format 3\x00")


def test_a_restored_library_serves_finds_and_logs_in_as_before(library: Library, tmp_path: Path) -> None:
    content, data = _fresh(tmp_path)
    done = _cli(["restore", str(library.archive)], content, data)
    assert done.exit_code == 0, done.output
    for said in ("备份已校验", "校验和全部一致", "已恢复内容文件夹", "已恢复数据库", "已恢复会话密钥", "恢复完成"):
        assert said in done.output, done.output
    assert "搜索索引已重建：2 篇" in done.output and f"数据库版本 {migrate.head()}：已是最新" in done.output
    # the files, byte for byte and mode for mode; the key and the database kept private
    assert _files(content) == _files(library.content)
    assert (data / "secret_key").read_bytes() == (library.data / "secret_key").read_bytes()
    for private in (data, data / "secret_key", data / "casebook.sqlite3"):
        assert stat.S_IMODE(private.stat().st_mode) & 0o077 == 0, private
    restored = _app(content, data)
    # what only the database knew: accounts (password hashes), history, the pending edit, audit, counts
    assert _rows(restored) == library.rows
    before, after = library.app.test_client(), restored.test_client()
    pages = ["/", "/topics/louyuan", f"/cases/{SLUG}", "/interviews/tan", "/cases/", f"/search?q={MARKER}"]
    pages += ["/api/entries", f"/api/search?q={MARKER}", "/feed.xml", "/sitemap.xml"]
    for url in pages:
        old, new = before.get(url), after.get(url)
        assert (new.status_code, new.get_data(as_text=True)) == (old.status_code, old.get_data(as_text=True)), url
    found = after.get("/api/search", query_string={"q": MARKER}).get_json()
    assert [hit["slug"] for hit in found["results"]] == [SLUG]
    page = after.get(f"/cases/{SLUG}").get_data(as_text=True)
    assert "先成立楼院党小组" in page and f'src="/media/{library.picture["path"]}"' in page
    for path in (library.picture["path"], library.picture["path"].replace("-1200w.", "-800w.")):
        served = after.get(f"/media/{path}")
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
        assert served.data == (library.content / "media" / path).read_bytes()
        served.close()
    # the same password logs in; a wrong one does not
    staff = restored.test_client()
    wrong = staff.post("/login", data={"name": "编辑甲", "password": "不对的密码 123", "csrf_token": token(staff)})
    assert wrong.status_code != 302
    login(staff, "编辑甲", PASSWORD)
    editing = staff.get(EDIT).get_data(as_text=True)
    assert "改为先开楼院议事会。" in editing  # the pending edit opens in the editor
    # the reviewer's login from before the backup is still good: same key, same session row
    cookie = library.reviewer.get_cookie(library.app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    kept = restored.test_client()
    kept.set_cookie(cookie.key, cookie.value)
    history = kept.get(f"/staff/history/case/{SLUG}")
    assert history.status_code == 200
    original = library.reviewer.get(f"/staff/history/case/{SLUG}").get_data(as_text=True)
    assert history.get_data(as_text=True).count('class="revision"') == original.count('class="revision"') == 3
    review = kept.get(f"/staff/review/case/{SLUG}").get_data(as_text=True)
    assert "改为先开楼院议事会" in review


def test_restore_fills_folders_where_casebook_was_started_once(library: Library, tmp_path: Path) -> None:
    """Installed, started once (an empty database and a new key), then restored: that is not a library."""
    content, data = _fresh(tmp_path)
    content.mkdir(parents=True)
    first = _app(content, data)
    _publish(first)  # as `casebook serve` does: an empty catalog and an empty search index
    visitor = first.test_client()  # what visitors of the empty site leave: a search, a bot at /login
    visitor.get("/search", query_string={"q": "没有的词"})
    login_page = visitor.get("/login").get_data(as_text=True)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert tok is not None
    assert visitor.post("/login", data={"name": "admin", "password": "x", "csrf_token": tok[1]}).status_code == 200
    with first.app_context():
        db.engine.dispose()  # the server is stopped before a restore
    assert (data / "casebook.sqlite3").is_file() and (data / "secret_key").is_file() and (data / "search").is_dir()
    assert not any(content.iterdir())
    done = _cli(["restore", str(library.archive)], content, data)
    assert done.exit_code == 0, done.output
    assert (data / "secret_key").read_bytes() == (library.data / "secret_key").read_bytes()
    restored = _app(content, data)
    assert _rows(restored)["users"] == library.rows["users"]
    found = restored.test_client().get("/api/search", query_string={"q": MARKER}).get_json()
    assert [hit["slug"] for hit in found["results"]] == [SLUG]  # the empty index was not kept


# --- backups of a library in use ---------------------------------------------------------------------


def _backup_process(archive: Path, content: Path, data: Path) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOOK_")}
    return subprocess.Popen(
        [sys.executable, "-c", "from casebook.cli import main; main()", "backup", str(archive)],
        env={**environ, **_environ(content, data)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _temporary_zips(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


def _zip_database(archive: Path, into: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(archive) as zf:
        into.write_bytes(zf.read(DATABASE))
    return sqlite3.connect(into)


def test_a_backup_waits_for_a_save_in_flight_so_file_and_history_agree(
    app: Flask, content_dir: Path, tmp_path: Path, resync: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    resync()
    editor = staff_client(app, "编辑甲", "editor")
    _save(editor, "/staff/new/case", body="第一版正文。")
    form = {**form_of(editor, EDIT), **entry_form(body="第二版正文。"), "action": "save"}
    reached, release = threading.Event(), threading.Event()
    real_audit = writing.audit

    def paused_audit(*args: Any, **kwargs: Any) -> None:
        real_audit(*args, **kwargs)
        reached.set()  # file written, revision added, nothing committed yet, content.lock held
        assert release.wait(60)

    monkeypatch.setattr(writing, "audit", paused_audit)
    answers: list[TestResponse] = []
    saver = threading.Thread(target=lambda: answers.append(editor.post(EDIT, data=form)))
    saver.start()
    try:
        assert reached.wait(60)
        assert "第二版正文。" in (content_dir / "cases" / f"{SLUG}.md").read_text("utf-8")
        archives = tmp_path / "backups"
        archives.mkdir()
        process = _backup_process(archives / "during-save.zip", content_dir, tmp_path / "instance")
        _wait_for(lambda: bool(_temporary_zips(archives)) or process.poll() is not None, "the backup to start")
        time.sleep(2.0)  # a backup that did not wait would be done by now (it takes ~0.1 s here)
        assert process.poll() is None, process.communicate()
        assert not (archives / "during-save.zip").exists()
    finally:
        release.set()
        saver.join(60)
    assert answers and answers[0].status_code == 302
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    with zipfile.ZipFile(archives / "during-save.zip") as zf:
        saved = zf.read(f"content/cases/{SLUG}.md").decode("utf-8")
    database = _zip_database(archives / "during-save.zip", tmp_path / "copy.sqlite3")
    texts = [row[0] for row in database.execute("SELECT text FROM revision WHERE state = 'written' ORDER BY id")]
    assert "第二版正文。" in saved and texts[-1] == saved  # the file and its newest revision, together


def _audit_targets(connection: sqlite3.Connection) -> list[str]:
    try:
        return [row[0] for row in connection.execute("SELECT target FROM audit_event")]
    except sqlite3.OperationalError:  # a file copy taken beside a WAL may not even have the table yet
        return []


def test_a_backup_reads_commits_still_in_the_wal_and_leaves_out_uncommitted_ones(
    app: Flask, tmp_path: Path, resync: Callable[[], Any], runner: CliRunner
) -> None:
    resync()
    path = tmp_path / "instance" / "casebook.sqlite3"
    committed = sqlite3.connect(path, isolation_level=None)
    committed.execute("PRAGMA wal_autocheckpoint=0")
    committed.execute(
        "INSERT INTO audit_event (at, user, action, target, detail) VALUES (?, '甲', 'x', 'in-wal', '')",
        ("2026-12-01 08:00:00",),
    )
    pending = sqlite3.connect(path, isolation_level=None, timeout=1)
    pending.execute("BEGIN IMMEDIATE")  # a writer in the middle of its transaction
    pending.execute(
        "INSERT INTO audit_event (at, user, action, target, detail) VALUES (?, '乙', 'x', 'uncommitted', '')",
        ("2026-12-01 08:00:00",),
    )
    try:
        assert Path(f"{path}-wal").stat().st_size > 0
        shutil.copy(path, tmp_path / "file-copy.sqlite3")  # what a file copy would have kept
        copied = sqlite3.connect(tmp_path / "file-copy.sqlite3")
        assert "in-wal" not in _audit_targets(copied)
        copied.close()
        made = runner.invoke(main, ["backup", "wal.zip"])
        assert made.exit_code == 0, made.output
    finally:
        pending.execute("ROLLBACK")
        pending.close()
        committed.close()
    snapshot = _zip_database(tmp_path / "wal.zip", tmp_path / "snapshot.sqlite3")
    targets = _audit_targets(snapshot)
    assert "in-wal" in targets and "uncommitted" not in targets
    assert snapshot.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file


def test_a_killed_backup_leaves_no_zip_under_the_final_name(
    app: Flask, content_dir: Path, tmp_path: Path, resync: Callable[[], Any]
) -> None:
    resync()
    archives = tmp_path / "backups"
    archives.mkdir()
    with open(tmp_path / "instance" / "content.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a save would: the backup stops half way, at the lock
        process = _backup_process(archives / "killed.zip", content_dir, tmp_path / "instance")
        _wait_for(lambda: bool(_temporary_zips(archives)) or process.poll() is not None, "the backup to start")
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert not (archives / "killed.zip").exists()
    assert all(p.name.startswith(".") for p in archives.iterdir())  # only hidden leftovers, never a .zip


def test_a_backup_of_an_older_database_is_upgraded_on_restore(content_dir: Path, tmp_path: Path) -> None:
    (content_dir / "cases" / "yishihui.md").write_text(OLD_PUBLISHED, encoding="utf-8")
    old = tmp_path / "old"
    _old_database(old)
    before = (old / "casebook.sqlite3").read_bytes()
    made = _cli(["backup", str(tmp_path / "old.zip")], content_dir, old)
    assert made.exit_code == 0, made.output
    assert (old / "casebook.sqlite3").read_bytes() == before  # a backup changes nothing
    with zipfile.ZipFile(tmp_path / "old.zip") as zf:
        assert json.loads(zf.read(MANIFEST))["database_revision"] is None
    content, data = tmp_path / "new" / "content", tmp_path / "new" / "data"
    done = _cli(["restore", str(tmp_path / "old.zip")], content, data)
    assert done.exit_code == 0, done.output
    assert f"数据库版本 {migrate.head()}：已从 0001 升级" in done.output
    restored = _app(content, data)
    client = restored.test_client()
    assert "每月开一次" in client.get("/cases/yishihui").get_data(as_text=True)
    login(client, "编辑小王", OLD_PASSWORD)
    assert "议事会每周开一次。" in client.get("/staff/edit/case/yishihui").get_data(as_text=True)
    with restored.app_context():
        assert db.session.execute(text("SELECT count FROM view_count")).scalar_one() == 42


# --- refusals ---------------------------------------------------------------------------------------


def _tree(library: Library) -> dict[str, tuple[bytes, int]]:
    """The library's files (readers write their marks into the -shm file: it is left out)."""
    assert library.app.extensions["casebook.views"].flush()  # no view count is written meanwhile
    found: dict[str, tuple[bytes, int]] = {}
    for root in (library.content, library.data):
        for rel, value in _files(root).items():
            if not rel.endswith("-shm"):
                found[f"{root}/{rel}"] = value
    return found


def test_restore_refuses_a_library_that_has_content_and_changes_nothing(library: Library) -> None:
    before = _tree(library)
    refused = _cli(["restore", str(library.archive)], library.content, library.data)
    assert refused.exit_code == 1
    assert "未恢复" in refused.output and "已有文件" in refused.output
    assert _tree(library) == before


def test_restore_refuses_a_database_with_data_even_into_an_empty_content_folder(
    library: Library, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    before = _tree(library)
    refused = _cli(["restore", str(library.archive)], empty, library.data)
    assert refused.exit_code == 1 and "已有数据" in refused.output
    assert not any(empty.iterdir()) and _tree(library) == before


def test_backup_refuses_to_replace_a_zip_unless_forced(library: Library, tmp_path: Path) -> None:
    target = tmp_path / "same.zip"
    target.write_bytes(b"yesterday")
    refused = _cli(["backup", str(target)], library.content, library.data)
    assert refused.exit_code == 1 and "已存在" in refused.output and target.read_bytes() == b"yesterday"
    forced = _cli(["backup", "--force", str(target)], library.content, library.data)
    assert forced.exit_code == 0 and zipfile.is_zipfile(target)


def test_a_failed_backup_leaves_nothing(content_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "none.zip"
    target.parent.mkdir()
    failed = _cli(["backup", str(target)], content_dir, tmp_path / "no-data-yet")
    assert failed.exit_code == 1 and "找不到数据库" in failed.output
    assert list(target.parent.iterdir()) == [] and not (tmp_path / "no-data-yet").exists()


def test_postgresql_is_pointed_to_pg_dump(content_dir: Path, tmp_path: Path) -> None:
    url = "postgresql://casebook@localhost/casebook"
    for args in (["backup", str(tmp_path / "pg.zip")], ["restore", __file__]):
        result = CliRunner().invoke(
            main, args, env={**_environ(content_dir, tmp_path / "d"), "CASEBOOK_DATABASE_URL": url}
        )
        assert result.exit_code == 1 and "pg_dump" in result.output, result.output
    assert not (tmp_path / "pg.zip").exists() and not (tmp_path / "d").exists()


def _rewritten(
    source: Path, target: Path, change: Callable[[list[tuple[zipfile.ZipInfo, bytes]], dict[str, Any]], None]
) -> Path:
    """A copy of a backup zip with members and manifest changed by ``change``."""
    with zipfile.ZipFile(source) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist() if info.filename != MANIFEST]
        manifest = json.loads(zf.read(MANIFEST))
    change(members, manifest)
    with zipfile.ZipFile(target, "w") as zf:
        for info, data in members:
            zf.writestr(info, data)
        zf.writestr(MANIFEST, json.dumps(manifest))
    return target


def _with_member(name: str, data: bytes = b"evil", symlink: bool = False) -> Callable[..., None]:
    def change(members: list[tuple[zipfile.ZipInfo, bytes]], manifest: dict[str, Any]) -> None:
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        members.append((info, data))
        record = {
            "path": name,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "mode": 0o644,
            "mtime_ns": 0,
        }
        manifest["files"].append(record)

    return change


@pytest.mark.parametrize(
    ("name", "symlink"),
    [
        ("../evil", False),
        ("content/../../evil", False),
        ("content/media/../../../evil", False),
        ("ABSOLUTE", False),
        ("content\\..\\..\\evil", False),
        ("content/media/evil.jpg", True),
    ],
)
def test_restore_refuses_names_that_leave_the_folders_and_writes_nothing(
    library: Library, tmp_path: Path, name: str, symlink: bool
) -> None:
    if name == "ABSOLUTE":
        name = str(tmp_path / "evil")
    target = "../../evil" if symlink else "x"
    archive = _rewritten(library.archive, tmp_path / "bad.zip", _with_member(name, target.encode(), symlink))
    with zipfile.ZipFile(archive) as zf:
        assert name in zf.namelist()  # the zip really carries the name as written
    content, data = _fresh(tmp_path)
    refused = _cli(["restore", str(archive)], content, data)
    assert refused.exit_code == 1 and "不能恢复的文件名" in refused.output, refused.output
    assert not (tmp_path / "evil").exists() and not (tmp_path / "new-machine").exists()


def _flip_a_byte(source: Path, target: Path) -> Path:
    raw = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as zf:
        biggest = max(zf.infolist(), key=lambda info: info.compress_size)
    raw[biggest.header_offset + 30 + len(biggest.filename.encode()) + biggest.compress_size // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    return target


def _truncate(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


def _edit_a_file(members: list[tuple[zipfile.ZipInfo, bytes]], manifest: dict[str, Any]) -> None:
    index = next(i for i, (info, _) in enumerate(members) if info.filename == "content/interviews/tan.md")
    members[index] = (members[index][0], members[index][1].replace("先开会".encode(), "先喝茶".encode()))


def _drop_manifest(members: list[tuple[zipfile.ZipInfo, bytes]], manifest: dict[str, Any]) -> None:
    manifest.clear()


def _from_a_newer_casebook(members: list[tuple[zipfile.ZipInfo, bytes]], manifest: dict[str, Any]) -> None:
    manifest["database_revision"] = "9999"


def _unlisted_member(members: list[tuple[zipfile.ZipInfo, bytes]], manifest: dict[str, Any]) -> None:
    members.append((zipfile.ZipInfo("content/extra.md"), b"not in the manifest"))


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (_truncate, "已损坏或不完整"),
        (_flip_a_byte, "已损坏"),
        (_edit_a_file, "校验和与清单不符"),
        (_drop_manifest, "清单"),
        (_from_a_newer_casebook, "比这个 casebook 新"),
        (_unlisted_member, "与清单不一致"),
    ],
)
def test_restore_refuses_a_damaged_zip_and_writes_nothing(
    library: Library, tmp_path: Path, damage: Callable[..., Any], said: str
) -> None:
    if damage in (_truncate, _flip_a_byte):
        archive = damage(library.archive, tmp_path / "bad.zip")
    else:
        archive = _rewritten(library.archive, tmp_path / "bad.zip", damage)
    content, data = _fresh(tmp_path)
    refused = _cli(["restore", str(archive)], content, data)
    assert refused.exit_code == 1 and "未恢复" in refused.output and said in refused.output, refused.output
    assert not (tmp_path / "new-machine").exists()


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "../x",
        "content/../x",
        "content/./x",
        "content//x",
        "C:/x",
        "content\\x",
        "x\x00",
        "other/x",
        "content/",
    ],
)
def test_names_a_backup_never_writes_are_unsafe(name: str) -> None:
    assert unsafe_name(name)


@pytest.mark.parametrize(
    "name", ["manifest.json", DATABASE, SECRET, "content/cases/a.md", "content/media/uploads/2026/x.jpg"]
)
def test_names_a_backup_writes_are_safe(name: str) -> None:
    assert unsafe_name(name) is None


# --- documentation ----------------------------------------------------------------------------------


def test_the_commands_and_the_operations_guide_are_documented() -> None:
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text("utf-8")
    guide = (root / "docs" / "operations.md").read_text("utf-8")
    assert "docs/operations.md" in readme
    assert "| `casebook backup" in readme and "| `casebook restore" in readme
    for topic in ("casebook backup /backups/casebook-$(date +%F).zip", "OnCalendar", "cron", "head -n -30", "pg_dump"):
        assert topic in guide, topic
    assert "secret_key" in guide and "0600" in guide
    helped = CliRunner().invoke(main, ["--help"])
    assert "backup" in helped.output and "restore" in helped.output
    for command in ("backup", "restore"):
        assert CliRunner().invoke(main, [command, "--help"]).exit_code == 0


def test_a_backup_reports_its_progress_in_bytes(library: Library, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    database = library.data / "casebook.sqlite3"
    result = create_backup(
        tmp_path / "progress.zip",
        content_dir=library.content,
        data_dir=library.data,
        database=database,
        progress=lambda done, total: calls.append((done, total)),
    )
    done = [d for d, _ in calls]
    assert done == sorted(done) and {t for _, t in calls} == {result.manifest.total_bytes}
    assert calls[-1][0] == result.manifest.total_bytes  # every byte of every file, the key included
