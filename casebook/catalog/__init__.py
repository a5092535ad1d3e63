"""The catalog: SQL rows mirrored from ``content/``, one sync loop over kind adapters, and publishing.

- ``sync.py``: the one incremental loop (content hash → upsert/delete rows → problems), per adapter
- ``adapter.py``: what that loop asks of a kind; ``entries.py`` and ``projects.py`` are the kinds
- ``mirror.py``: ``sync`` (every kind, in order) and ``refresh`` (one file after a save)
- ``documents.py``: catalog row → search document, one mapping for every kind
- ``state.py``: the catalog's settings (layout version, generation); ``report.py``: ``SyncReport``
- ``publish.py``: ``publish`` — sync → commit → search index, returning a ``PublishResult``

Services flush; the caller commits (``publish`` is the caller that does).
"""

from .entries import entry_row_values, preview_row, upsert_entry
from .mirror import refresh, sync
from .publish import IndexOutcome, PublishResult, publish, update_index
from .report import SyncReport
from .state import (
    SCHEMA_KEY,
    SCHEMA_VERSION,
    bump_generation,
    catalog_tables,
    generation,
    schema_is_current,
    upgrade_schema,
)
from .sync import BATCH

refresh_file = refresh
"""The name staff code used before there was one refresh for every kind."""

__all__ = [
    "BATCH",
    "SCHEMA_KEY",
    "SCHEMA_VERSION",
    "IndexOutcome",
    "PublishResult",
    "SyncReport",
    "bump_generation",
    "catalog_tables",
    "entry_row_values",
    "generation",
    "preview_row",
    "publish",
    "refresh",
    "refresh_file",
    "schema_is_current",
    "sync",
    "update_index",
    "upgrade_schema",
    "upsert_entry",
]
