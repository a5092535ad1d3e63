"""A small job runner: background work recorded in the ``job`` table, run by any server process.

Staff actions that take long (a search index rebuild, a full sync) are *enqueued*, never run in
the request. Every server process (and ``casebook jobs work``) runs a ``Runner``: a thread that
polls the table, *claims* the oldest queued job with an ``UPDATE … WHERE state='queued'`` that
only one worker can win, runs it while a second thread writes a heartbeat with the progress, and
records the outcome. A running job whose heartbeat is older than ``STALE_AFTER`` belonged to a
process that died: it is queued again. Jobs are kinds registered with ``register``: functions
taking the app, the job's arguments and a progress callback, returning a short result message.
This module gathers them: the table in ``job_queue``, the thread in ``job_runner``, the kinds in ``job_kinds``.

Bookkeeping uses its own short sessions and commits at once, so other processes see it and it
never mixes with the job's own work (which uses ``db.session`` inside an app context).
"""

from __future__ import annotations

from . import job_kinds
from .job_models import STATE_NAMES, Job
from .job_queue import (
    STALE_AFTER,
    Reporter,
    claim,
    enqueue,
    failure_message,
    finish,
    heartbeat,
    kind_label,
    latest,
    recent,
    register,
    release,
    requeue_stale,
)
from .job_runner import Runner, run_one, start_runner, wake, worker_token

__all__ = [
    "STALE_AFTER",
    "STATE_NAMES",
    "Job",
    "Reporter",
    "Runner",
    "claim",
    "enqueue",
    "failure_message",
    "finish",
    "heartbeat",
    "job_kinds",
    "kind_label",
    "latest",
    "recent",
    "register",
    "release",
    "requeue_stale",
    "run_one",
    "start_runner",
    "wake",
    "worker_token",
]
