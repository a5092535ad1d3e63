"""The app factory as ``casebook.create_app`` and ``flask --app casebook`` see it: the app plus its commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from .app import build_app
from .cli import register_cli


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app (defaults → ``CASEBOOK_*`` environment → ``overrides``) with the casebook commands."""
    app = build_app(overrides)
    register_cli(app)
    return app
