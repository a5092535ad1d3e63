"""Backup and restore of a whole library: ``manifest.py`` (the zip's format), ``write.py`` (a
consistent backup while the server runs), ``restore.py`` (to come).

The command line is ``cli_backup.py``; docs/operations.md is the guide. No Flask in this package.
"""

from __future__ import annotations

from .manifest import DATABASE, MANIFEST, SECRET, FileRecord, Manifest, unsafe_name
from .write import BackupError, BackupResult, create_backup, sqlite_path

__all__ = [
    "DATABASE",
    "MANIFEST",
    "SECRET",
    "BackupError",
    "BackupResult",
    "FileRecord",
    "Manifest",
    "create_backup",
    "sqlite_path",
    "unsafe_name",
]
