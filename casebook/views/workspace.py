"""The staff services' workspace for this app: content folder, search index, lock, rebuild queue."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from .. import jobs
from ..db import db
from ..staff import editing
from .auth import current_user


def _queue_rebuild() -> None:
    user = current_user()
    jobs.enqueue(db.engine, "rebuild-search", created_by=user.name if user else "")
    jobs.wake()


def workspace() -> editing.Workspace:
    """Saves write into the content folder under one lock; a needed index rebuild is queued as a job."""
    config = current_app.config
    return editing.Workspace(
        root=Path(config["CASEBOOK_CONTENT_DIR"]),
        index=current_app.extensions["casebook.search"],
        lock_path=Path(config["CASEBOOK_DATA_DIR"]) / "content.lock",
        queue_rebuild=_queue_rebuild,
    )
