"""Reliability (issue 13, findings 17–19 and 6): killed processes, processes starting together, a
full disk, and who may read the data folder. Processes are real (``subprocess``) where the finding
is about processes; a full disk is an ``OSError(ENOSPC)`` or SQLite's "database or disk is full"
injected at the write or the commit."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from casebook import create_app, turns
from casebook.catalog import state
from casebook.cli import main
from casebook.crashpoints import ENV as CRASH_AT
from casebook.db import db
from casebook.search import IndexDoc, SearchIndex, search

from .conftest import WriteEntry
from .staffkit import entry_form, form_of, staff_client

CLI = [sys.executable, "-c", "from casebook.cli import main; main()"]
REPO = Path(__file__).resolve().parent.parent


def _env(content_dir: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "CASEBOOK_CONTENT_DIR": str(content_dir), "CASEBOOK_DATA_DIR": str(data_dir), **extra}
    env.pop(CRASH_AT, None)
    env.update(extra)
    return env


def _casebook(content_dir: Path, data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = _env(content_dir, data_dir, **extra)
    return subprocess.run(
        [*CLI, *args], cwd=data_dir.parent, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _found(content_dir: Path, data_dir: Path, word: str) -> list[str]:
    """Keys the search finds for ``word``, as a fresh server process would answer."""
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data_dir})
    data = app.test_client().get("/api/search", query_string={"q": word}).json
    assert data is not None and "results" in data, data
    return [f"{hit['kind']}/{hit['slug']}" for hit in data["results"]]


# --- 17: the search index follows the catalog, even when a process dies between them -------------


def test_a_sync_killed_after_its_catalog_commit_is_finished_by_the_next_sync(
    content_dir: Path, write_entry: WriteEntry, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    for n in range(3):
        write_entry("case", f"c{n}", body=f"第 {n} 篇的正文。", scope="local")
    first = _casebook(content_dir, data_dir, "sync")
    assert first.returncode == 0, first.stderr
    write_entry("case", "c1", body="第 1 篇的正文，加上了标记词甲乙丙丁。", scope="local")

    killed = _casebook(content_dir, data_dir, "sync", **{CRASH_AT: "after-catalog-commit"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _found(content_dir, data_dir, "甲乙丙丁") == []  # the catalog has it, the index not yet

    again = _casebook(content_dir, data_dir, "sync")
    assert again.returncode == 0, again.stderr
    assert "未变 3" in again.stdout  # nothing to re-read: the catalog was committed before the kill
    assert _found(content_dir, data_dir, "甲乙丙丁") == ["case/c1"]


SAVE_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from casebook import create_app, turns
from tests.staffkit import entry_form, form_of, staff_client

app = create_app({{"TESTING": True, "CONTENT_DIR": Path({content!r}), "DATA_DIR": Path({data!r})}})
client = staff_client(app, "reviewer1", "reviewer")
data = {{**form_of(client, "/staff/edit/case/c1"), **entry_form(body="保存后被杀：标记词戊己庚辛。")}}
data["scope"] = "local"
data["action"] = "publish"
client.post("/staff/edit/case/c1", data=data)
print("not killed")
"""


def test_a_staff_save_killed_after_its_commit_is_indexed_by_the_next_sync(
    content_dir: Path, write_entry: WriteEntry, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    write_entry("case", "c1", body="原来的正文。", scope="local")
    assert _casebook(content_dir, data_dir, "sync").returncode == 0
    script = SAVE_SCRIPT.format(repo=str(REPO), content=str(content_dir), data=str(data_dir))
    env = _env(content_dir, data_dir, **{CRASH_AT: "after-save-commit"})
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert "戊己庚辛" in (content_dir / "cases" / "c1.md").read_text("utf-8")
    assert _found(content_dir, data_dir, "戊己庚辛") == []

    again = _casebook(content_dir, data_dir, "sync")
    assert again.returncode == 0, again.stderr
    assert "未变 1" in again.stdout
    assert _found(content_dir, data_dir, "戊己庚辛") == ["case/c1"]


def test_index_markers_are_cleared_by_the_index_step_and_a_later_one_survives(
    app: Flask, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "a", body="正文。", scope="local")
    resync()
    with app.app_context():
        assert state.unindexed(db.session) == {}  # the sync's index step read and cleared its markers
        state.mark_unindexed(db.session, ["case/a"])
        db.session.commit()
        seen = state.unindexed(db.session)
        state.mark_unindexed(db.session, ["case/a"])  # a save committed while an index step runs
        db.session.commit()
        state.clear_unindexed(db.session, seen)
        db.session.commit()
        assert list(state.unindexed(db.session).values()) == ["case/a"]  # only what was read is forgotten


KILLED_WRITE = """
import os, signal, sys
from pathlib import Path
from casebook import content
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # killed with the new text half on disk
content.write_atomic(Path(sys.argv[1]), "---\\ntitle: 写了一半\\n")
"""


def test_what_a_writer_killed_mid_write_leaves_is_removed_by_the_next_sync(
    content_dir: Path, write_entry: WriteEntry, tmp_path: Path
) -> None:
    """Found by the server-kill proof (tests/test_proofs.py): a server killed between the temporary
    file's creation and its rename left ``.c1.md.<random>.tmp`` in content/ for good."""
    data_dir = tmp_path / "data"
    path = write_entry("case", "c1", body="原来的正文。", scope="local")
    before = path.read_bytes()
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(path)], capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = [p.name for p in path.parent.iterdir() if p != path]
    assert len(left) == 1 and left[0].startswith(f".c1.md.{killed_pid(left[0])}.") and left[0].endswith(".tmp")
    assert path.read_bytes() == before  # the file itself is whole: the old text
    folder = path.parent
    mine = folder / f".c2.md.{os.getpid()}.abcd1234.tmp"  # a write under way in a running process
    old_unnamed, new_unnamed = folder / ".c3.md.k2j4h5g6.tmp", folder / ".c4.md.a1b2c3d4.tmp"
    dead_keep = folder / f".c1.md.{killed_pid(left[0])}.keep"
    for leftover in (mine, old_unnamed, new_unnamed, dead_keep):
        leftover.write_text("x", "utf-8")
    os.utime(old_unnamed, (0, 0))  # from a release that named no process: removed once an hour old

    done = _casebook(content_dir, data_dir, "sync")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted([".c4.md.a1b2c3d4.tmp", mine.name, "c1.md"])
    assert _found(content_dir, data_dir, "原来的正文") == ["case/c1"]


def killed_pid(name: str) -> int:
    return int(name.split(".")[3])


# --- 18: processes starting together on a fresh data folder take turns ----------------------------


def test_two_syncs_started_together_on_a_fresh_data_folder_both_succeed(
    content_dir: Path, write_entry: WriteEntry, tmp_path: Path
) -> None:
    for n in range(12):
        write_entry("case", f"c{n}", body=f"第 {n} 篇。", scope="local", tags=["议事", f"标签{n}"])
    for trial in range(3):
        data_dir = tmp_path / f"data{trial}"
        env = _env(content_dir, data_dir)
        both = [
            subprocess.Popen([*CLI, "sync"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120) for process in both]
        for process, (_, err) in zip(both, outputs, strict=True):
            assert process.returncode == 0, f"trial {trial}: {err.decode()[-2000:]}"
        report = sorted(out.decode() for out, _ in outputs)
        assert "新增 12" in report[0] + report[1], report  # one of them did the work ...
        assert any("未变 12" in text for text in report), report  # ... the other found it done
        again = _casebook(content_dir, data_dir, "sync")
        assert again.returncode == 0 and "未变 12" in again.stdout, again.stdout + again.stderr
        assert _found(content_dir, data_dir, "议事") and len(_found(content_dir, data_dir, "标签")) == 12


HOLD_SCRIPT = """
import sys, time
from pathlib import Path
from casebook import turns
with turns.turn(Path(sys.argv[1])):
    print("holding", flush=True)
    time.sleep(60)
"""


def test_the_turn_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    """A lock the operating system drops with its holder: no stale lock file or row to clean up."""
    path = turns.lock_path(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        waited: list[bool] = []
        with pytest.raises(TimeoutError):
            _take_within(path, 0.3, waited)
        assert waited == [True]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    _take_within(path, 5, [])  # free again: nothing was left behind


def _take_within(path: Path, seconds: float, waited: list[bool]) -> None:
    """Take the turn in a thread; TimeoutError when it is not had within ``seconds``."""
    done = threading.Event()

    def take() -> None:
        with turns.turn(path, on_wait=lambda: waited.append(True)):
            done.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    if not done.wait(seconds):
        raise TimeoutError
    thread.join()


# --- 19: a full disk: a clear message, the form back, the file as it was ---------------------------


def _full_disk_at_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, data written to any regular file does not fit (a directory's fsync still works)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _full_disk_at_commit(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """The next commit fails as SQLite (or the OS) does on a full disk, and so does any later write."""
    real = Session.commit

    def commit(self: Session) -> None:
        self.rollback()  # what SQLite leaves: nothing of the transaction
        _full_disk_at_fsync(monkeypatch)
        raise error

    monkeypatch.setattr(Session, "commit", commit)
    assert real is not commit


SQLITE_FULL = OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))


@pytest.fixture
def reviewer(app: Flask, write_entry: WriteEntry, resync: Callable[[], Any]) -> FlaskClient:
    write_entry("case", "c1", body="原来的正文。", scope="local")
    resync()
    return staff_client(app, "reviewer1", "reviewer")


def _save(client: FlaskClient, body: str) -> Any:
    data = {**form_of(client, "/staff/edit/case/c1"), **entry_form(body=body), "scope": "local", "action": "publish"}
    return client.post("/staff/edit/case/c1", data=data)


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(_full_disk_at_fsync, id="content-write"),
        pytest.param(lambda mp: _full_disk_at_commit(mp, SQLITE_FULL), id="sqlite-commit"),
        pytest.param(lambda mp: _full_disk_at_commit(mp, OSError(errno.ENOSPC, "No space")), id="oserror-commit"),
    ],
)
def test_a_save_on_a_full_disk_comes_back_with_the_typed_text_and_leaves_the_file(
    reviewer: FlaskClient, content_dir: Path, monkeypatch: pytest.MonkeyPatch, inject: Callable[..., None]
) -> None:
    path = content_dir / "cases" / "c1.md"
    before = path.read_bytes()
    inject(monkeypatch)
    refused = _save(reviewer, "磁盘满时写的正文。")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 507, html[:2000]
    assert "磁盘空间不足" in html and "磁盘满时写的正文。" in html and 'name="csrf_token"' in html
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["c1.md"]  # no temporary or kept copy left
    monkeypatch.undo()  # space again: the same form saves
    assert _save(reviewer, "磁盘满时写的正文。").status_code == 302
    assert "磁盘满时写的正文。" in path.read_text("utf-8")


def test_a_new_entry_on_a_full_disk_leaves_no_file(
    reviewer: FlaskClient, content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _full_disk_at_commit(monkeypatch, SQLITE_FULL)
    data = {**form_of(reviewer, "/staff/new/case"), **entry_form(body="新的正文。"), "slug": "fresh"}
    refused = reviewer.post("/staff/new/case", data=data)
    assert refused.status_code == 507 and "新的正文。" in refused.get_data(as_text=True)
    assert not (content_dir / "cases" / "fresh.md").exists()


@pytest.mark.parametrize("error", [SQLITE_FULL, OSError(errno.ENOSPC, "No space left on device")])
def test_sync_on_a_full_disk_says_so_in_one_line(
    runner: CliRunner, write_entry: WriteEntry, error: BaseException
) -> None:
    write_entry("case", "a", body="正文。", scope="local")
    assert runner.invoke(main, ["sync"]).exit_code == 0
    write_entry("case", "a", body="改过的正文，标记词壬癸。", scope="local")
    with pytest.MonkeyPatch.context() as full:
        _full_disk_at_commit(full, error)
        result = runner.invoke(main, ["sync"])
    assert result.exit_code == 1 and not isinstance(result.exception, Exception), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "磁盘空间不足" in lines[0] and "Traceback" not in result.output, result.output
    again = runner.invoke(main, ["sync"])
    assert again.exit_code == 0 and "更新 1" in again.output, again.output


def test_sync_whose_index_write_finds_the_disk_full_says_so_and_the_next_sync_finishes(
    runner: CliRunner, write_entry: WriteEntry, content_dir: Path, tmp_path: Path
) -> None:
    write_entry("case", "a", body="正文。", scope="local")
    assert runner.invoke(main, ["sync"]).exit_code == 0
    write_entry("case", "a", body="改过的正文，标记词子丑。", scope="local")

    def no_space(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as full:
        full.setattr(SearchIndex, "update", no_space)
        result = runner.invoke(main, ["sync"])
    assert result.exit_code == 1 and "磁盘空间不足" in result.output, result.output
    assert runner.invoke(main, ["sync"]).exit_code == 0
    assert _found(content_dir, tmp_path / "instance", "子丑") == ["case/a"]


def test_an_index_update_the_full_disk_stops_at_its_start_gives_the_index_back(
    new_index: Callable[..., SearchIndex], tmp_path: Path
) -> None:
    """Found with the full-disk proof (tests/test_proofs.py): Whoosh's writer takes the index's lock,
    then makes a temporary folder, which a full ext4 or xfs disk refuses; the half-made writer kept
    the lock until the garbage collector freed it, and meanwhile every update — a sync, another
    server's save — failed with ``LockError``."""
    index = new_index(tmp_path / "search")
    doc = IndexDoc(key="case/a", kind="case", slug="a", title="标题", topic="louyuan", date="2023-05-01", body="正文")
    index.rebuild([doc])
    real = os.makedirs

    def makedirs(name: Any, *args: Any, **kwargs: Any) -> None:
        if str(name).endswith(".tmp"):  # the writer's temporary folder: a new folder needs a block
            raise OSError(errno.ENOSPC, "No space left on device")
        real(name, *args, **kwargs)

    with pytest.MonkeyPatch.context() as full:
        full.setattr(os, "makedirs", makedirs)
        with pytest.raises(OSError) as failed:  # kept, as a logged error's traceback may be kept
            index.update([doc])
    assert failed.value.errno == errno.ENOSPC
    index.update([IndexDoc(**{**doc.__dict__, "body": "空间又有了"})])  # was: whoosh.index.LockError
    index.update([IndexDoc(**{**doc.__dict__, "body": "空间又有了，再写一次"})])  # its commit gave the lock back
    assert [hit.key for hit in search(index, "再写").hits] == ["case/a"]


# --- 6: the data folder is private: 0700, its files 0600, a warning when it is not ----------------


def _exposed(folder: Path) -> list[str]:
    """Everything under ``folder`` (itself included) that group or others may read or enter."""
    found = [folder, *folder.rglob("*")]
    return [
        f"{p} {stat.filemode(p.lstat().st_mode)}" for p in found if not p.is_symlink() and p.lstat().st_mode & 0o077
    ]


def test_the_data_folder_and_every_file_in_it_are_private(
    app: Flask, reviewer: FlaskClient, tmp_path: Path, runner: CliRunner
) -> None:
    """A fresh data folder after a sync, a staff save, a rebuild and the database's WAL files."""
    assert _save(reviewer, "保存一次：草稿、修订和审计都写进数据库。").status_code == 302
    assert runner.invoke(main, ["reindex"]).exit_code == 0
    data = tmp_path / "instance"
    names = {p.name for p in data.iterdir()}
    assert {"casebook.sqlite3", "casebook.sqlite3-wal", "secret_key", "search"} <= names, names
    assert _exposed(data) == []


def test_start_up_warns_when_the_data_folder_or_database_is_readable_by_others(
    content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "old-instance"
    settings = {"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data}
    create_app(settings)
    assert not [r for r in caplog.records if "chmod" in r.getMessage()]  # a fresh folder: private, no warning
    data.chmod(0o755)  # as an earlier release left it
    (data / "casebook.sqlite3").chmod(0o644)
    caplog.clear()
    create_app(settings)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "chmod" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert f"chmod 700 {data}" in warnings[0] and f"chmod 600 {data}/casebook.sqlite3" in warnings[0]
    assert "0755" in warnings[0] and "0644" in warnings[0]
