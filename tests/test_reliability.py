"""Reliability (issue 13, findings 17–19 and 6): killed processes, processes starting together, a
full disk, and who may read the data folder. Processes are real (``subprocess``) where the finding
is about processes; a full disk is an ``OSError(ENOSPC)`` or SQLite's "database or disk is full"
injected at the write or the commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from casebook import create_app, turns
from casebook.catalog import state
from casebook.crashpoints import ENV as CRASH_AT
from casebook.db import db

from .conftest import WriteEntry

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
