"""The ``job`` table: background work recorded in the database, so any server process can run it.

A job is ``queued`` → ``running`` → ``done`` or ``failed``. ``queued_kind`` holds the kind while
the job waits and is cleared when a worker claims it; its unique constraint (NULLs never collide)
keeps at most one waiting job per kind in any database, even when two processes enqueue at once.
Timestamps are naive UTC, like every other table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base
from .staff.models import utcnow

STATE_NAMES = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
"""Job states as staff read them."""


class Job(Base):
    """One background job and its progress."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state", "state", "id"), Index("ix_job_kind", "kind", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    queued_kind: Mapped[str | None] = mapped_column(String(40), unique=True)
    """``kind`` while queued, NULL afterwards: one waiting job per kind."""
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(1000), default="")
    """What it is doing while running; its result when done; the reason when failed."""
    created_by: Mapped[str] = mapped_column(String(100), default="")
    worker: Mapped[str] = mapped_column(String(200), default="")
    """The claim token of the worker (host, process, thread) that runs or ran it."""
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, self.state)

    @property
    def active(self) -> bool:
        """Still waiting or running."""
        return self.state in ("queued", "running")

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, when the job reported a total."""
        if self.total <= 0:
            return None
        return max(0, min(100, self.done * 100 // self.total))
