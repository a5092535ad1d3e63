"""What every staff write shares: where it goes (``Workspace``: content folder, search index, a lock
file shared by processes) and what it did (``Outcome``). No Flask, no database here."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import private
from ..search import AnyIndex


@dataclass
class Outcome:
    """What a save or an action did; ``errors`` maps a field key ('' for the whole form) to messages."""

    ok: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict_text: str | None = None
    """The version saved meanwhile by someone else (the user's own text is kept in the form)."""
    pending: bool = False
    entry: Any = None
    message: str = ""
    index_warning: str = ""

    def error(self, key: str, message: str) -> Outcome:
        self.errors.setdefault(key, []).append(message)
        return self


@dataclass(frozen=True)
class Workspace:
    """Where saves go: the content folder, the search index and a lock file shared by processes."""

    root: Path
    index: AnyIndex
    lock_path: Path
    queue_rebuild: Callable[[], None] | None = None
    """Queues a whole-index rebuild to run outside the request (None: rebuild in place, as the CLI does)."""

    @contextmanager
    def locked(self) -> Iterator[None]:
        with private.lock_file(self.lock_path) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
