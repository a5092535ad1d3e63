"""casebook: 社区治理案例库 — Markdown content files mirrored into a catalog and served as pages.

The package root stays light: ``import casebook.content`` or ``import casebook.render`` (pure code)
loads no Flask, SQLAlchemy or Whoosh. The app factory lives in ``casebook.app`` and is importable
here as ``casebook.create_app``, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app, resource_dir

__all__ = ["create_app", "resource_dir"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'casebook' has no attribute {name!r}")
