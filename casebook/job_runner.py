"""The job runner: a thread per server process that claims queued jobs, runs them, beats, records.

See ``job_queue`` for the table and its claims; the kinds themselves are in ``job_kinds``.
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
from typing import Any

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .db import db
from .job_models import Job
from .job_queue import (
    HEARTBEAT_SECONDS,
    KINDS,
    POLL_SECONDS,
    STALE_AFTER,
    ProgressHook,
    Reporter,
    claim,
    enqueue_due,
    failure_message,
    finish,
    heartbeat,
    release,
    requeue_stale,
)

logger = logging.getLogger(__name__)


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
        kind = KINDS.get(job.kind)
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
                enqueue_due(self.engine)  # recurring kinds (the daily proposal purge)
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
