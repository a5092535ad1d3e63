"""Production serving with gunicorn: several worker processes, each with threads.

Each worker builds its own app; everything shared across requests lives in the database.
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
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from . import create_app

        return create_app()


def run(options: dict[str, Any]) -> None:
    """Serve until interrupted; ``options`` are gunicorn settings (bind, workers, threads)."""
    defaults = {"worker_class": "gthread", "accesslog": "-", "timeout": 60, "graceful_timeout": 10}
    _Gunicorn({**defaults, **options}).run()
