"""The data folder is private: it holds password hashes, drafts, the audit log and session ids.

Whatever casebook creates there is made for its owner only — folders 0700, files 0600, set where
each is created (never through the process umask, which would also change the content files the
editor writes for other readers) — and ``exposed`` finds what an earlier release or an operator
left readable, for the warning ``build_app`` logs at start-up. Pure: ``os`` only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

FOLDER = 0o700
FILE = 0o600
OTHERS = 0o077
"""Group and other permission bits: none of them should be set on anything in the data folder."""


def folder(path: Path) -> Path:
    """``path`` as a folder; one this call creates is 0700 (its missing parents get the usual mode).
    An existing folder keeps the mode its owner gave it: ``exposed`` reports it."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=FOLDER)
        path.chmod(FOLDER)  # the umask may have taken bits from the owner too
    return path


def touch(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist (an SQLite database, before SQLite
    creates it with the umask's 0644: its ``-wal`` and ``-shm`` files then take the same mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE))


def lock_file(path: Path) -> IO[bytes]:
    """Open (creating it 0600) a file to ``flock``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, FILE), "r+b")


def restrict(*paths: Path) -> None:
    """Make these files, and the regular files directly inside these folders, 0600 (symbolic links
    are left alone: ``chmod`` would follow them)."""
    for path in paths:
        if path.is_symlink():
            continue
        if path.is_dir():
            for child in path.iterdir():
                if not child.is_symlink() and child.is_file() and child.stat().st_mode & OTHERS:
                    child.chmod(FILE)
        elif path.is_file() and path.stat().st_mode & OTHERS:
            path.chmod(FILE)


def exposed(paths: Iterable[Path]) -> list[tuple[Path, int]]:
    """Those of ``paths`` that exist and that group or others may use: ``(path, mode)``."""
    found: list[tuple[Path, int]] = []
    for path in paths:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & OTHERS:
            found.append((path, mode))
    return found


def warning(data_dir: Path, found: list[tuple[Path, int]]) -> str:
    """The operator's warning about ``found`` (from ``exposed``), with the commands that fix it."""
    listed = ", ".join(f"{path} ({mode:04o})" for path, mode in found)
    files = " ".join(str(path) for path, _ in found if path != data_dir)
    fix = " && ".join(
        ([f"chmod 700 {data_dir}"] if any(p == data_dir for p, _ in found) else [])
        + ([f"chmod 600 {files}"] if files else [])
    )
    return (
        f"other users on this machine can read the data folder: {listed}; it holds password hashes, "
        f"drafts, the audit log and session ids. Fix with: {fix}"
    )
