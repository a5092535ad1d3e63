"""Production serving with gunicorn: several worker processes, each with threads.

Each worker builds its own app; everything shared across requests lives in the database. Each
worker of a writer (not of a reader, ``CASEBOOK_INSTANCE=reader``) also runs a background-job
runner thread (``casebook.jobs``), started once the worker has loaded its app (``post_worker_init``)
and stopped when it exits (a job it was running goes back in the queue for another worker).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # a setting this gunicorn release does not know is left out
                self.cfg.set(key, value)

    def load(self) -> Flask:
        from .app import build_app

        return build_app()  # serving needs no commands on app.cli


def _start_jobs(worker: Any) -> None:
    """gunicorn ``post_worker_init``: run background jobs in this worker process."""
    from .jobs import start_runner

    if worker.wsgi.config["CASEBOOK_INSTANCE"] == "reader":
        worker.casebook_jobs = None  # jobs write content files and the catalog: the writer's work
        return
    worker.casebook_jobs = start_runner(worker.wsgi)


def _stop_jobs(server: Any, worker: Any) -> None:
    """gunicorn ``worker_exit``: stop the runner; a job it is still running is queued again."""
    runner = getattr(worker, "casebook_jobs", None)
    if runner is not None:
        runner.stop()


def run(options: dict[str, Any]) -> None:
    """Serve until interrupted; ``options`` are gunicorn settings (bind, workers, threads)."""
    defaults = {
        "worker_class": "gthread",
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        # gunicorn's maximum (its default, 4094 bytes, is ~450 percent-encoded Chinese characters): a
        # pasted paragraph reaches the app, which answers it with its own Chinese 414 page (web.py)
        "limit_request_line": 8190,
        # gunicorn ≥ 25 opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl): a
        # second casebook on the machine would take it from the first. casebook does not use it.
        "control_socket_disable": True,
        "post_worker_init": _start_jobs,
        "worker_exit": _stop_jobs,
    }
    _Gunicorn({**defaults, **options}).run()
