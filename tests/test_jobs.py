"""The background job runner: queue, atomic claim, progress, failure, requeue of dead jobs, CLI, serve."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.orm import Session

from casebook import create_app, jobs
from casebook.cli import main
from casebook.db import db
from casebook.job_models import Job
from casebook.staff import accounts
from casebook.staff.models import User, utcnow

from .conftest import WriteEntry
from .test_packaging_and_server import free_port

WAIT = 20.0
"""Upper bound for waiting on another thread or process (never a measured time)."""

reached, release = threading.Event(), threading.Event()


@jobs.register("test-count", "测试：数数")
def _count(app: Flask, args: dict[str, Any], progress: jobs.Reporter) -> str:
    progress.stage("正在数数")
    progress(3, 10)
    if args.get("wait"):
        reached.set()
        assert release.wait(WAIT)
    progress(10, 10)
    return f"数完了 {args.get('upto', 10)} 个"


@jobs.register("test-broken", "测试：出错")
def _broken(app: Flask, args: dict[str, Any], progress: jobs.Reporter) -> str:
    raise RuntimeError("磁盘满了")


@pytest.fixture(autouse=True)
def _events() -> Iterator[None]:
    reached.clear()
    release.clear()
    yield
    release.set()


@pytest.fixture
def engine(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


def _job(engine: Engine, job_id: int) -> Job:
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _until(check: Callable[[], bool], wait: float = WAIT) -> None:
    deadline = time.monotonic() + wait
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def test_a_job_is_queued_claimed_run_and_done_with_its_message(app: Flask, engine: Engine) -> None:
    queued = jobs.enqueue(engine, "test-count", {"upto": 7}, created_by="审核老李")
    assert (queued.state, queued.created_by, queued.args) == ("queued", "审核老李", {"upto": 7})
    finished = jobs.run_one(app)
    assert finished is not None and finished.id == queued.id
    assert (finished.state, finished.message, finished.done, finished.total) == ("done", "数完了 7 个", 10, 10)
    assert finished.started_at and finished.finished_at and finished.heartbeat_at
    assert finished.started_at <= finished.finished_at and finished.attempts == 1
    assert jobs.run_one(app) is None  # nothing left


def test_progress_is_recorded_while_the_job_runs(app: Flask, engine: Engine) -> None:
    job = jobs.enqueue(engine, "test-count", {"wait": True})
    worker = threading.Thread(target=jobs.run_one, args=(app,), kwargs={"heartbeat_every": 0.01})
    worker.start()
    assert reached.wait(WAIT)
    try:
        _until(lambda: _job(engine, job.id).done == 3)
        running = _job(engine, job.id)
        assert (running.state, running.total, running.message, running.percent) == ("running", 10, "正在数数", 30)
    finally:
        release.set()
        worker.join(WAIT)
    assert _job(engine, job.id).state == "done"


def test_a_job_that_raises_is_failed_with_a_chinese_message(app: Flask, engine: Engine) -> None:
    job = jobs.enqueue(engine, "test-broken")
    finished = jobs.run_one(app)
    assert finished is not None and finished.id == job.id
    assert finished.state == "failed" and finished.state_name == "失败"
    assert finished.message == "运行出错（RuntimeError）：磁盘满了"


def test_an_unknown_kind_in_the_table_fails_instead_of_stopping_the_runner(app: Flask, engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Job(kind="gone-kind", queued_kind="gone-kind"))
        session.commit()
    finished = jobs.run_one(app)
    assert finished is not None and finished.state == "failed"
    assert finished.message == "未知的任务类型“gone-kind”"
    with pytest.raises(ValueError):
        jobs.enqueue(engine, "gone-kind")


def test_enqueueing_a_kind_already_queued_returns_the_queued_job(app: Flask, engine: Engine) -> None:
    first = jobs.enqueue(engine, "test-count", created_by="甲")
    again = jobs.enqueue(engine, "test-count", created_by="乙")
    assert again.id == first.id
    assert jobs.claim(engine, "worker-1") is not None
    # once it runs, a new change needs a new run: queued again, beside the running one
    third = jobs.enqueue(engine, "test-count", created_by="丙")
    assert third.id != first.id and third.state == "queued"
    with Session(engine) as session:
        states = session.execute(select(Job.id, Job.state).order_by(Job.id)).all()
    assert [tuple(row) for row in states] == [(first.id, "running"), (third.id, "queued")]


def test_two_threads_claiming_one_job_one_wins(app: Flask, engine: Engine) -> None:
    job = jobs.enqueue(engine, "test-count")
    start = threading.Barrier(4)
    won: list[Job | None] = []

    def claim(n: int) -> None:
        start.wait()
        won.append(jobs.claim(engine, f"worker-{n}"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    winners = [w for w in won if w is not None]
    assert len(won) == 4 and len(winners) == 1 and winners[0].id == job.id
    assert _job(engine, job.id).worker == winners[0].worker


def test_a_running_job_with_a_dead_heartbeat_is_requeued_and_run(app: Flask, engine: Engine) -> None:
    job = jobs.enqueue(engine, "test-count")
    assert jobs.claim(engine, "died-with-its-process") is not None
    assert jobs.run_one(app) is None  # fresh heartbeat: it is someone else's, left alone
    with Session(engine) as session:
        old = utcnow() - jobs.STALE_AFTER - dt.timedelta(seconds=1)
        session.execute(update(Job).where(Job.id == job.id).values(heartbeat_at=old))
        session.commit()
    finished = jobs.run_one(app)
    assert finished is not None and finished.id == job.id
    assert (finished.state, finished.attempts) == ("done", 2)
    assert finished.worker != "died-with-its-process"
    # the dead worker's late report changes nothing
    assert not jobs.finish(engine, job.id, "died-with-its-process", False, "迟到的结果", 0, 0)
    assert _job(engine, job.id).state == "done"


def test_a_job_waits_while_one_of_its_kind_runs(app: Flask, engine: Engine) -> None:
    first = jobs.enqueue(engine, "test-count")
    assert jobs.claim(engine, "worker-1") is not None
    second = jobs.enqueue(engine, "test-count")
    other = jobs.enqueue(engine, "test-broken")
    claimed = jobs.claim(engine, "worker-2")  # the other kind goes ahead; the second count waits
    assert claimed is not None and claimed.id == other.id
    assert jobs.claim(engine, "worker-3") is None and _job(engine, second.id).state == "queued"
    assert jobs.finish(engine, first.id, "worker-1", True, "好了", 10, 10)
    claimed = jobs.claim(engine, "worker-3")
    assert claimed is not None and claimed.id == second.id


def test_a_job_of_a_process_of_this_host_that_has_gone_is_requeued_at_once(app: Flask, engine: Engine) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs (a worker killed with -9)
    job = jobs.enqueue(engine, "test-count")
    assert jobs.claim(engine, f"{socket.gethostname()}:{gone.pid}:1:dead") is not None
    assert jobs.claim(engine, "another-host:1:1:x") is None
    finished = jobs.run_one(app)  # fresh heartbeat, but its process is gone: no ten-minute wait
    assert finished is not None and finished.id == job.id and finished.state == "done"
    alive = jobs.enqueue(engine, "test-count")
    assert jobs.claim(engine, f"{socket.gethostname()}:{os.getpid()}:1:alive") is not None
    assert jobs.run_one(app) is None and _job(engine, alive.id).state == "running"


def test_a_dead_job_whose_kind_is_queued_again_is_closed_not_doubled(app: Flask, engine: Engine) -> None:
    dead = jobs.enqueue(engine, "test-count")
    assert jobs.claim(engine, "dead-worker") is not None
    waiting = jobs.enqueue(engine, "test-count")
    assert jobs.requeue_stale(engine, older_than=dt.timedelta(seconds=-1)) == []
    assert _job(engine, dead.id).state == "failed" and "同类任务已在排队" in _job(engine, dead.id).message
    finished = jobs.run_one(app)
    assert finished is not None and finished.id == waiting.id and finished.state == "done"


def test_a_runner_thread_picks_up_jobs_and_gives_a_running_one_back_when_stopped(app: Flask, engine: Engine) -> None:
    runner = jobs.start_runner(app, poll=3600, heartbeat_every=0.01)  # only wake() makes it look
    try:
        job = jobs.enqueue(engine, "test-count", {"wait": True})
        jobs.wake()
        assert reached.wait(WAIT)
        assert _job(engine, job.id).state == "running"
        runner.stop(wait=0)
        stopped = _job(engine, job.id)
        assert (stopped.state, stopped.message) == ("queued", "服务进程退出，任务已重新排队")
    finally:
        release.set()
        runner.stop()
    # the abandoned run ends without overwriting the queued state; the next worker runs it again
    assert _job(engine, job.id).state == "queued"
    finished = jobs.run_one(app)
    assert finished is not None and finished.id == job.id and finished.state == "done"


def test_cli_jobs_work_once_runs_the_queued_sync(
    app: Flask, engine: Engine, runner: CliRunner, write_entry: WriteEntry, client: FlaskClient
) -> None:
    write_entry("case", "louyuan", title="楼院议事会")
    job = jobs.enqueue(engine, "sync", created_by="审核老李")
    assert client.get("/cases/louyuan").status_code == 404  # not synced yet
    result = runner.invoke(main, ["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert f"#{job.id}\t同步内容\t已完成" in result.stdout
    assert "同步完成：新增 1" in result.stdout and "运行了 1 个任务" in result.stderr
    assert client.get("/cases/louyuan").status_code == 200
    assert client.get("/api/search", query_string={"q": "议事"}).get_json()["total"] == 1
    listed = runner.invoke(main, ["jobs"])
    assert listed.exit_code == 0 and f"#{job.id}\t同步内容\t已完成" in listed.stdout and "审核老李" in listed.stdout
    assert runner.invoke(main, ["jobs", "list"]).stdout == listed.stdout
    # a failed job makes `work --once` exit 1
    jobs.enqueue(engine, "test-broken")
    failed = runner.invoke(main, ["jobs", "work", "--once"])
    assert failed.exit_code == 1 and "磁盘满了" in failed.stdout


def test_search_keeps_answering_from_the_old_index_during_a_rebuild(
    app: Flask, engine: Engine, client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "louyuan", title="楼院议事会", body="三无楼院的做法。")
    resync()
    queued = jobs.enqueue(engine, "rebuild-search")
    seen: list[tuple[str, int]] = []

    def pause(job: Job, progress: jobs.Reporter) -> None:
        if progress.total and progress.done == progress.total:  # every document written, not yet swapped in
            answer = client.get("/api/search", query_string={"q": "三无楼院"}).get_json()
            seen.append((_job(engine, job.id).state, answer["total"]))

    finished = jobs.run_one(app, on_progress=pause)
    assert finished is not None and finished.id == queued.id
    assert finished.state == "done" and finished.message == "搜索索引已重建：1 篇"
    assert seen == [("running", 1)]
    assert client.get("/api/search", query_string={"q": "三无楼院"}).get_json()["total"] == 1


def test_an_existing_database_gains_the_job_table_with_nothing_lost(content_dir: Path, tmp_path: Path) -> None:
    overrides = {"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "old"}
    old = create_app(overrides)
    with old.app_context():
        accounts.add_user(db.session, "老用户", "editor", "足够长的密码 123")
        db.session.commit()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE job"))
            connection.execute(text("DROP TABLE alembic_version"))  # as the release before migrations left it
        assert "job" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
    upgraded = create_app(overrides)
    with upgraded.app_context():
        assert "job" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(User.name)) == "老用户"
        assert jobs.enqueue(db.engine, "sync").state == "queued"


def test_casebook_serve_runs_queued_jobs_in_its_workers(
    tmp_path: Path, content_dir: Path, write_entry: WriteEntry
) -> None:
    data = tmp_path / "data"
    app = create_app({"CONTENT_DIR": content_dir, "DATA_DIR": data})
    with app.app_context():
        job_id = jobs.enqueue(db.engine, "rebuild-search").id
    port = free_port()
    env = {**os.environ, "CASEBOOK_CONTENT_DIR": str(content_dir), "CASEBOOK_DATA_DIR": str(data)}
    command = [sys.executable, "-c", "from casebook.cli import main; main()", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with app.app_context():
            _until(lambda: _job(db.engine, job_id).state in ("done", "failed") or server.poll() is not None, 90)
            assert _job(db.engine, job_id).state == "done"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
