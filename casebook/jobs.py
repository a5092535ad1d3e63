"""A small job runner: background work recorded in the ``job`` table, run by any server process.

Staff actions that take long (a search index rebuild, a full sync) are *enqueued*, never run in
the request. Every server process (and ``casebook jobs work``) runs a ``Runner``: a thread that
polls the table, *claims* the oldest queued job with an ``UPDATE … WHERE state='queued'`` that
only one worker can win, runs it while a second thread writes a heartbeat with the progress, and
records the outcome. A running job whose heartbeat is older than ``STALE_AFTER`` belonged to a
process that died: it is queued again. Jobs are kinds registered with ``register``: functions
taking the app, the job's arguments and a progress callback, returning a short result message.

Bookkeeping uses its own short sessions and commits at once, so other processes see it and it
never mixes with the job's own work (which uses ``db.session`` inside an app context).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from flask import Flask
from sqlalchemy import CursorResult, Engine, exists, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from .db import DbSession, db
from .job_models import STATE_NAMES, Job
from .staff.models import utcnow

__all__ = ["STATE_NAMES", "Job", "Reporter", "Runner", "enqueue", "register", "run_one", "start_runner", "wake"]

logger = logging.getLogger(__name__)

POLL_SECONDS = 3.0
"""How often an idle runner looks for queued jobs (``wake()`` cuts the wait short in-process)."""
HEARTBEAT_SECONDS = 5.0
STALE_AFTER = dt.timedelta(minutes=10)
"""A running job without a heartbeat for this long is requeued. Generous on purpose: with SQLite a
long sync holds the write lock and heartbeats wait for it."""

JobFunction = Callable[[Flask, dict[str, Any], "Reporter"], str | None]
ProgressHook = Callable[[Job, "Reporter"], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    run: JobFunction


_KINDS: dict[str, JobKind] = {}


def register(name: str, label: str) -> Callable[[JobFunction], JobFunction]:
    """Register a job kind: ``label`` is its Chinese name for staff."""

    def add(run: JobFunction) -> JobFunction:
        _KINDS[name] = JobKind(name, label, run)
        return run

    return add


def kind_label(name: str) -> str:
    """The Chinese name of a job kind (unknown kinds show as recorded)."""
    kind = _KINDS.get(name)
    return kind.label if kind else name


class Reporter:
    """The progress callback a job gets: call it with ``(done, total)``; ``stage`` names the step."""

    def __init__(self, job: Job, hook: ProgressHook | None = None) -> None:
        self.job, self.hook = job, hook
        self.done = self.total = 0
        self.message = ""

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.hook is not None:
            self.hook(self.job, self)

    def stage(self, message: str) -> None:
        """Name what the job is doing now (shown while it runs)."""
        self.message = message[:1000]
        self(0, 0)


# --- the table ---------------------------------------------------------------------------------


def enqueue(engine: Engine, kind: str, args: dict[str, Any] | None = None, created_by: str = "") -> Job:
    """Queue a job and commit; when one of this kind is already waiting, return that one instead."""
    if kind not in _KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    with Session(engine, expire_on_commit=False) as session:
        waiting = session.scalar(select(Job).where(Job.queued_kind == kind))
        if waiting is not None:
            return waiting
        job = Job(kind=kind, args=args or {}, queued_kind=kind, created_by=created_by[:100])
        session.add(job)
        try:
            session.commit()
        except IntegrityError:  # another process queued the same kind a moment ago
            session.rollback()
            waiting = session.scalar(select(Job).where(Job.queued_kind == kind))
            if waiting is None:
                raise
            return waiting
        return job


def claim(engine: Engine, token: str) -> Job | None:
    """Take the oldest queued job for the worker ``token``; None when nothing is queued."""
    with Session(engine, expire_on_commit=False) as session:
        running = aliased(Job)
        # one job of a kind at a time: a rebuild queued while another runs waits for it (instead of
        # waiting on the index lock in a second worker and failing after its timeout)
        free = ~exists().where(running.kind == Job.kind, running.state == "running")
        for _ in range(10):  # another worker may win each candidate; then try the next one
            candidate = session.scalar(select(Job.id).where(Job.state == "queued", free).order_by(Job.id).limit(1))
            session.rollback()  # end the read before writing (SQLite cannot upgrade a stale snapshot)
            if candidate is None:
                return None
            now = utcnow()
            won = _changed(
                session,
                update(Job)
                .where(Job.id == candidate, Job.state == "queued", free)
                .values(
                    state="running",
                    queued_kind=None,
                    worker=token,
                    attempts=Job.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                    done=0,
                    total=0,
                    message="",
                ),
            )
            if won:
                return session.get(Job, candidate)
    return None


def heartbeat(engine: Engine, job_id: int, token: str, done: int, total: int, message: str) -> bool:
    """Record that the job is alive, with its progress; False when this worker no longer owns it."""
    with Session(engine) as session:
        return _changed(
            session,
            update(Job)
            .where(Job.id == job_id, Job.worker == token, Job.state == "running")
            .values(heartbeat_at=utcnow(), done=done, total=total, message=message),
        )


def finish(engine: Engine, job_id: int, token: str, ok: bool, message: str, done: int, total: int) -> bool:
    """Record the outcome (``done`` or ``failed``); False when this worker no longer owned the job."""
    now = utcnow()
    with Session(engine) as session:
        return _changed(
            session,
            update(Job)
            .where(Job.id == job_id, Job.worker == token, Job.state == "running")
            .values(
                state="done" if ok else "failed",
                message=message[:1000],
                done=done,
                total=total,
                finished_at=now,
                heartbeat_at=now,
            ),
        )


def _dead_here(token: str | None) -> bool:
    """Whether ``token`` names a process of this host that no longer exists (a crash, a kill -9)."""
    host, _, rest = (token or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def requeue_stale(engine: Engine, older_than: dt.timedelta = STALE_AFTER) -> list[int]:
    """Queue again the running jobs whose heartbeat is older than ``older_than``, or whose worker
    was a process of this host that has gone (no need to wait for the heartbeat then); their ids."""
    cutoff = utcnow() - older_than
    with Session(engine) as session:
        running = session.execute(select(Job.id, Job.worker, Job.heartbeat_at).where(Job.state == "running")).all()
        session.rollback()
    stale = [(job_id, token) for job_id, token, beat in running if beat is None or beat < cutoff or _dead_here(token)]
    requeued = []
    for job_id, token in stale:
        state = release(engine, job_id, token, "上次运行中断（进程已退出或失去响应），已重新排队")
        if state is not None:
            logger.warning("job %s had no heartbeat since before %s: %s", job_id, cutoff, state)
        if state == "queued":
            requeued.append(job_id)
    return requeued


def release(engine: Engine, job_id: int, token: str, message: str) -> str | None:
    """Put a running job back in the queue; its new state (``failed`` when its kind is queued already)."""
    with Session(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            return None
        guard = (Job.id == job_id, Job.worker == token, Job.state == "running")
        try:
            requeue = update(Job).where(*guard).values(state="queued", queued_kind=job.kind, message=message)
            return "queued" if _changed(session, requeue) else None
        except IntegrityError:  # the same kind is queued already: that job will do the work
            session.rollback()
            closed = "运行中断（进程已退出）；同类任务已在排队，将由它完成"
            close = update(Job).where(*guard).values(state="failed", message=closed, finished_at=utcnow())
            return "failed" if _changed(session, close) else None


def _changed(session: Session, statement: Any) -> bool:
    """Run an UPDATE, commit, and say whether it changed exactly one row."""
    result = cast(CursorResult[Any], session.execute(statement.execution_options(synchronize_session=False)))
    session.commit()
    return result.rowcount == 1


def recent(session: DbSession, limit: int = 8) -> list[Job]:
    """Jobs to show staff: everything waiting or running, then the latest finished ones."""
    active = list(session.scalars(select(Job).where(Job.state.in_(("queued", "running"))).order_by(Job.id)))
    finished = session.scalars(
        select(Job).where(Job.state.in_(("done", "failed"))).order_by(Job.id.desc()).limit(max(0, limit - len(active)))
    )
    return [*active, *finished]


def latest(session: DbSession, kind: str) -> Job | None:
    """The most recent job of ``kind``."""
    return session.scalar(select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(1))


def failure_message(exc: BaseException) -> str:
    """A failed job's message for staff, in Chinese (the details go to the server log)."""
    if isinstance(exc, SQLAlchemyError):
        detail = "数据库出错，详见服务器日志"
    elif isinstance(exc, OSError) and not isinstance(exc, TimeoutError) and exc.strerror:
        detail = f"读写文件出错：{exc.strerror}（{exc.filename or ''}）"
    else:
        detail = str(exc).strip() or "没有更多说明"
    return f"运行出错（{type(exc).__name__}）：{detail}"[:1000]


# --- running ---------------------------------------------------------------------------------------


def worker_token() -> str:
    """A unique claim token naming this host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"[:200]


_runners: weakref.WeakSet[Runner] = weakref.WeakSet()


def wake() -> None:
    """Tell this process's runners to look for queued jobs now (after an enqueue)."""
    for runner in list(_runners):
        runner.wakeup.set()


class Runner:
    """Runs queued jobs: ``run_next`` once, ``run_pending`` until the queue is empty, or a thread."""

    def __init__(
        self,
        app: Flask,
        *,
        poll: float = POLL_SECONDS,
        heartbeat_every: float = HEARTBEAT_SECONDS,
        stale_after: dt.timedelta = STALE_AFTER,
        on_progress: ProgressHook | None = None,
        on_finish: Callable[[Job], None] | None = None,
    ) -> None:
        self.app, self.poll, self.heartbeat_every, self.stale_after = app, poll, heartbeat_every, stale_after
        self.on_progress, self.on_finish = on_progress, on_finish
        with app.app_context():
            self.engine: Engine = db.engine
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.current: tuple[int, str] | None = None
        self.thread: threading.Thread | None = None
        _runners.add(self)

    def run_next(self) -> Job | None:
        """Claim and run one queued job; return it as finished, or None when none was queued."""
        requeue_stale(self.engine, self.stale_after)
        token = worker_token()
        job = claim(self.engine, token)
        if job is None:
            return None
        self.current = (job.id, token)
        reporter = Reporter(job, self.on_progress)
        beating = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job.id, token, reporter, beating), daemon=True)
        beat.start()
        try:
            ok, message = self._run(job, reporter)
        except BaseException:  # interrupted (Ctrl-C, exit): let another worker take it over
            release(self.engine, job.id, token, "运行被中断，已重新排队")
            raise
        finally:
            beating.set()
            beat.join()
            self.current = None
        if not finish(self.engine, job.id, token, ok, message, reporter.done, reporter.total):
            logger.warning("job %s finished after another worker took it over; outcome not recorded", job.id)
        with Session(self.engine) as session:
            finished = session.get(Job, job.id)
        if finished is not None and self.on_finish is not None:
            self.on_finish(finished)
        return finished

    def _run(self, job: Job, reporter: Reporter) -> tuple[bool, str]:
        kind = _KINDS.get(job.kind)
        if kind is None:
            return False, f"未知的任务类型“{job.kind}”"
        logger.info("job %s (%s) started", job.id, job.kind)
        try:
            with self.app.app_context():
                result = kind.run(self.app, dict(job.args or {}), reporter)
        except Exception as exc:
            logger.exception("job %s (%s) failed", job.id, job.kind)
            return False, failure_message(exc)
        logger.info("job %s (%s) done", job.id, job.kind)
        return True, result or "已完成"

    def _beat(self, job_id: int, token: str, reporter: Reporter, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_every):
            try:
                if not heartbeat(self.engine, job_id, token, reporter.done, reporter.total, reporter.message):
                    logger.warning("job %s is no longer ours (requeued by another worker?)", job_id)
            except SQLAlchemyError as exc:  # e.g. SQLite busy while the job itself holds the write lock
                logger.info("heartbeat of job %s not written: %s", job_id, exc)

    def run_pending(self) -> list[Job]:
        """Run queued jobs until none is left; the finished jobs."""
        finished = []
        while not self.stopping.is_set() and (job := self.run_next()) is not None:
            finished.append(job)
        return finished

    def run_forever(self) -> None:
        """Poll and run jobs until ``stop``."""
        while not self.stopping.is_set():
            try:
                self.run_pending()
            except Exception:  # a database hiccup must not end the runner
                logger.exception("job runner: polling failed")
            self.wakeup.wait(self.poll)
            self.wakeup.clear()

    def start(self) -> Runner:
        """Run in a daemon thread."""
        self.thread = threading.Thread(target=self.run_forever, name="casebook-jobs", daemon=True)
        self.thread.start()
        return self

    def stop(self, wait: float = 5.0) -> None:
        """Stop polling; a job still running after ``wait`` seconds is put back in the queue."""
        self.stopping.set()
        self.wakeup.set()
        if self.thread is not None:
            self.thread.join(wait)
        current = self.current
        if current is not None:
            release(self.engine, *current, "服务进程退出，任务已重新排队")


def start_runner(app: Flask, **options: Any) -> Runner:
    """Start a runner thread for this process (server workers call this; tests only when they mean to)."""
    return Runner(app, **options).start()


def run_one(app: Flask, **options: Any) -> Job | None:
    """Run one queued job in this thread (for tests and scripts)."""
    return Runner(app, **options).run_next()


# --- the kinds ---------------------------------------------------------------------------------


def _paths(app: Flask) -> tuple[Path, Any]:
    return Path(app.config["CASEBOOK_CONTENT_DIR"]), app.extensions["casebook.search"]


@register("rebuild-search", "重建搜索索引")
def rebuild_search(app: Flask, args: dict[str, Any], progress: Reporter) -> str:
    """Rebuild the whole search index into a fresh directory and swap it in."""
    from . import indexing

    root, index = _paths(app)
    progress.stage("正在重建搜索索引")
    count = indexing.rebuild(db.session, index, root, progress)
    return f"搜索索引已重建：{count} 篇"


@register("sync", "同步内容")
def sync_content(app: Flask, args: dict[str, Any], progress: Reporter) -> str:
    """``casebook sync``: catalog from the content folder, then the search index."""
    from . import catalog, indexing

    root, index = _paths(app)
    progress.stage("正在同步内容")
    report = catalog.sync(db.session, root, progress, batch=catalog.BATCH)
    db.session.commit()
    progress.stage("正在更新搜索索引")
    count = indexing.follow(db.session, index, root, report.changed | report.gone, progress)
    summary = f"同步完成：{report.summary()}"
    return summary + (f"；搜索索引已重建：{count} 篇" if count is not None else "")
