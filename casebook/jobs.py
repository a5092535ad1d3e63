"""Background jobs, as callers import them: the table and claims in ``job_queue`` (how the queue
works is told there), the runner thread in ``job_runner``, the kinds in ``job_kinds``."""

from __future__ import annotations

from . import job_kinds
from .job_models import STATE_NAMES, Job
from .job_queue import (
    STALE_AFTER,
    Reporter,
    claim,
    enqueue,
    enqueue_due,
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
    "enqueue_due",
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
