"""Publishing: content files → catalog → commit → search index, in one visible sequence.

``publish`` is what ``casebook sync`` and ``serve``, the ``sync`` background job (queued when staff
save the glossary or places) and tests call; staff saves of one item mirror it with
``mirror.refresh`` and commit together with their revision, then take the same index step
(``update_index``). Nothing here exits the process or prints: callers turn the ``PublishResult``
into messages and exit codes. The search index is derived, so its failure never undoes the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .. import indexing
from ..content import sweep_leftovers
from ..crashpoints import crash_point
from ..db import DbSession as Session
from ..diskspace import DISK_FULL, is_disk_full
from ..progress import Progress
from ..search import AnyIndex, IndexBusy
from .mirror import sync
from .report import SyncReport
from .sync import BATCH

logger = logging.getLogger(__name__)

WAITING_IN_REQUEST = 20
"""Keys a killed process left unindexed that a staff save's index step takes along (the rest wait
for the next sync, or for later saves): a save's reply must not wait for a whole sync's worth."""

IndexStep = Literal["unchanged", "updated", "rebuilt", "queued", "failed"]


@dataclass(frozen=True)
class IndexOutcome:
    """What the index step did: ``rebuilt`` (``count`` documents), ``queued`` for the job runner, …"""

    step: IndexStep
    count: int | None = None
    """Documents in the rebuilt index."""
    error: str = ""
    """Why the index is behind (``failed``, or ``queued`` after another writer held it)."""
    usable: bool = True
    """Whether searches can use the index meanwhile (False: there was none to update)."""


@dataclass(frozen=True)
class PublishResult:
    """What a publish did: the sync's counts and problems, then the index step."""

    report: SyncReport
    index: IndexOutcome = field(default_factory=lambda: IndexOutcome("unchanged"))

    @property
    def added(self) -> int:
        return self.report.added

    @property
    def changed(self) -> int:
        return self.report.updated

    @property
    def removed(self) -> int:
        return self.report.removed

    @property
    def problems(self) -> int:
        return self.report.problems

    @property
    def index_updated(self) -> bool:
        """Whether the index now reflects the catalog (nothing to do counts)."""
        return self.index.step in ("unchanged", "updated", "rebuilt")

    @property
    def ok(self) -> bool:
        """False only when the index could not be brought in step (the catalog is committed either way)."""
        return self.index.step != "failed"

    def summary(self) -> str:
        """One line for people, in Chinese."""
        line = f"同步完成：{self.report.summary()}"
        if self.index.step == "rebuilt":
            line += f"；搜索索引已重建：{self.index.count} 篇"
        elif self.index.step == "queued":
            line += "；搜索索引将在后台重建"
        elif self.index.step == "failed":
            line += f"；搜索索引更新失败：{self.index.error}"
        return line


def publish(
    session: Session,
    root: Path,
    index: AnyIndex,
    *,
    progress: Progress | None = None,
    index_progress: Progress | None = None,
    batch: int | None = BATCH,
    queue_rebuild: Callable[[], None] | None = None,
) -> PublishResult:
    """Sync the catalog with ``root``, commit, then bring the search index in step.

    ``batch``: commit every that many files, so saves beside a long sync get their turn (None: one
    transaction). ``queue_rebuild``: hand a whole-index rebuild to the job runner instead of doing
    it here (None: rebuild in place, as the CLI and the job itself do). Files a killed writer left
    in the content folder (its temporary file or kept copy) are removed first."""
    sweep_leftovers(root)
    report = sync(session, root, progress, batch=batch)
    session.commit()
    crash_point("after-catalog-commit")
    outcome = update_index(
        session, index, root, report.changed | report.gone, queue_rebuild=queue_rebuild, progress=index_progress
    )
    return PublishResult(report, outcome)


def update_index(
    session: Session,
    index: AnyIndex,
    root: Path,
    keys: Iterable[str],
    *,
    queue_rebuild: Callable[[], None] | None = None,
    wait: float | None = None,
    progress: Progress | None = None,
) -> IndexOutcome:
    """After a commit: rebuild when needed (or queue it), else (re)index ``keys`` and the keys left
    waiting by a process killed before its index step (``catalog.state.UNINDEXED``); failures are returned.

    With ``queue_rebuild`` (inside a request) only ``keys`` and at most ``WAITING_IN_REQUEST`` waiting
    ones are ever indexed here, waiting at most ``wait`` seconds for another writer; a whole rebuild
    goes to the job runner and searches answer from the old index meanwhile."""
    keys = set(keys)
    try:
        if queue_rebuild is None:
            if indexing.needs_rebuild(index, root):
                return IndexOutcome("rebuilt", count=indexing.rebuild(session, index, root, progress))
            done = indexing.update(session, index, root, keys, wait=wait)
            return IndexOutcome("updated" if done else "unchanged")
        usable = index.usable()
        done = indexing.update(session, index, root, keys, wait=wait, waiting=WAITING_IN_REQUEST) if usable else 0
        if not usable or indexing.needs_rebuild(index, root):
            queue_rebuild()
            return IndexOutcome("queued", usable=usable)
        return IndexOutcome("updated" if done else "unchanged")
    except IndexBusy as exc:  # a rebuild holds the index and may have read these rows already: one more after it
        if queue_rebuild is None:
            return IndexOutcome("failed", error=str(exc))
        queue_rebuild()
        return IndexOutcome("queued", error=str(exc))
    except Exception as exc:  # the catalog is committed: an index hiccup is reported, never raised
        if is_disk_full(exc):
            logger.error("search index update failed for %d keys: disk full (%s)", len(keys), exc)
            return IndexOutcome("failed", error=DISK_FULL)
        logger.exception("search index update failed for %d keys", len(keys))
        return IndexOutcome("failed", error=str(exc).strip() or type(exc).__name__)
