"""The job queue: background work recorded in the ``job`` table, run by any server process.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask
from sqlalchemy import CursorResult, Engine, exists, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from .db import DbSession
from .job_models import Job
from .staff.models import utcnow

logger = logging.getLogger(__name__)

POLL_SECONDS = 3.0
"""How often an idle runner looks for queued jobs (``wake()`` cuts the wait short in-process)."""
HEARTBEAT_SECONDS = 5.0
STALE_AFTER = dt.timedelta(minutes=10)
"""A running job without a heartbeat for this long is requeued. Generous on purpose: with SQLite a
long sync holds the write lock and heartbeats wait for it."""

JobFunction = Callable[[Flask, dict[str, Any], "Reporter"], str | None]
ProgressHook = Callable[[Job, "Reporter"], None]


DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    run: JobFunction
    every: dt.timedelta | None = None
    """Queued by the runners on their own once this long has passed since the last one (e.g. daily)."""


KINDS: dict[str, JobKind] = {}


def register(name: str, label: str, every: dt.timedelta | None = None) -> Callable[[JobFunction], JobFunction]:
    """Register a job kind: ``label`` is its Chinese name for staff; ``every`` makes it recurring."""

    def add(run: JobFunction) -> JobFunction:
        KINDS[name] = JobKind(name, label, run, every)
        return run

    return add


def enqueue_due(engine: Engine, now: dt.datetime | None = None) -> list[str]:
    """Queue each recurring kind whose last job was queued ``every`` ago or more (or never); the kinds
    queued. Several processes may call it together: ``enqueue`` keeps one waiting job per kind."""
    now = now or utcnow()
    queued = []
    for kind in KINDS.values():
        if kind.every is None:
            continue
        with Session(engine) as session:
            last = session.scalar(select(Job.created_at).where(Job.kind == kind.name).order_by(Job.id.desc()).limit(1))
        if last is None or now - last >= kind.every:
            enqueue(engine, kind.name, created_by="每日任务")
            queued.append(kind.name)
    return queued


def kind_label(name: str) -> str:
    """The Chinese name of a job kind (unknown kinds show as recorded)."""
    kind = KINDS.get(name)
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
    if kind not in KINDS:
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
