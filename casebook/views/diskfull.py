"""A full disk met by a write (``OSError`` with ENOSPC) answers 507 with one Chinese sentence, never
a bare 500; a staff form comes back filled in (``guards.disk_full``, which the database's own "disk
is full" reaches through ``guards.busy``, the handler of ``OperationalError``)."""

from __future__ import annotations

from flask import Flask
from flask.typing import ResponseReturnValue

from ..diskspace import is_disk_full
from .guards import disk_full


def _os_error(exc: OSError) -> ResponseReturnValue:
    if not is_disk_full(exc):
        raise exc  # any other OS error: the usual 500 page
    return disk_full(exc)


def init_app(app: Flask) -> None:
    app.register_error_handler(OSError, _os_error)
