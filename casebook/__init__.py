"""casebook: 社区治理案例库 — Markdown content files mirrored into a catalog and served as pages.

The package root stays light: ``import casebook.content`` or ``import casebook.render`` (pure code)
loads no Flask, SQLAlchemy or Whoosh. The app factory lives in ``casebook.factory`` (the app itself
is built in ``casebook.app``) and is importable here as ``casebook.create_app``, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import resource_dir
    from .factory import create_app

__all__ = ["create_app", "resource_dir"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .factory import create_app

        return create_app
    if name == "resource_dir":
        from .app import resource_dir

        return resource_dir
    raise AttributeError(f"module 'casebook' has no attribute {name!r}")
