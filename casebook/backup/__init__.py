"""Backup and restore of a whole library: ``manifest.py`` (the zip's format), ``write.py`` (a
consistent backup while the server runs), ``restore.py`` (checks, then unpacking into empty folders).

The command line is ``cli_backup.py``; docs/operations.md is the guide. No Flask in this package.
"""

from __future__ import annotations

from .manifest import DATABASE, MANIFEST, SECRET, FileRecord, Manifest, unsafe_name
from .restore import RestoreRefused, RestoreResult, check_space, check_target, has_data, restore, verify
from .write import BackupError, BackupResult, create_backup, sqlite_path

__all__ = [
    "DATABASE",
    "MANIFEST",
    "SECRET",
    "BackupError",
    "BackupResult",
    "FileRecord",
    "Manifest",
    "RestoreRefused",
    "RestoreResult",
    "check_space",
    "check_target",
    "create_backup",
    "has_data",
    "restore",
    "sqlite_path",
    "unsafe_name",
    "verify",
]
