"""What every ``casebook`` command shares: the app it runs in, the content folder, progress lines."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context

from . import config as settings
from .app import build_app
from .diskspace import DISK_FULL, is_disk_full
from .migrate import DatabaseNotReady, DatabaseTooNew
from .progress import Progress
from .search import AnyIndex

DISK_FULL_ADVICE = f"{DISK_FULL}。已同步的部分保留，写了一半的不会留下；清理磁盘空间后再运行 casebook sync 即可补完"
"""The one line a command prints when the disk is full (never a traceback)."""


def command_app() -> Flask:
    """The current app (under ``flask --app``), or a new one pushed for this command."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    try:
        app = build_app()
    except (DatabaseTooNew, DatabaseNotReady) as exc:
        raise click.ClickException(str(exc)) from None
    except settings.SettingError as exc:
        raise _bad_setting(exc) from None
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        click.echo(f"无法打开数据库：{DISK_FULL_ADVICE}", err=True)
        sys.exit(1)
    app_context = app.app_context()
    app_context.push()
    command = click.get_current_context()
    command.call_on_close(app_context.pop)
    command.call_on_close(app.extensions["casebook.search"].close)  # its files or database connections
    return app


def command_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings for a command that builds no app (db, backup, restore): a bad one is one line."""
    try:
        return settings.build(overrides)
    except settings.SettingError as exc:
        raise _bad_setting(exc) from None


def _bad_setting(exc: settings.SettingError) -> click.ClickException:
    return click.ClickException(f"设置有误：{exc}")


WRITER_COMMANDS = frozenset({"sync", "reindex", "new", "import", "backup", "restore", "unused-uploads"})
"""Commands that read or write the content folder (or the search index built from it): a reader has neither."""


def refuse_on_reader(command: str) -> None:
    """Stop ``command`` with one line when this machine is a reader (``CASEBOOK_INSTANCE=reader``)."""
    app_instance = current_app.config.get("CASEBOOK_INSTANCE") if has_app_context() else None
    instance = app_instance or os.environ.get("CASEBOOK_INSTANCE", "")
    if str(instance).strip().lower() == "reader":
        raise click.ClickException(
            f"这是只读服务器（CASEBOOK_INSTANCE=reader）：casebook {command} 要用内容文件夹或改数据库结构，"
            "请在编辑服务器（writer）上运行"
        )


def content_dir() -> Path:
    """The content folder of the current app, else the configured one (commands that need no app)."""
    if has_app_context():
        return Path(current_app.config["CASEBOOK_CONTENT_DIR"])
    return settings.content_dir()


def search_index(app: Flask) -> AnyIndex:
    """The app's search index."""
    index: AnyIndex = app.extensions["casebook.search"]
    return index


def progress_line(label: str) -> Progress:
    """A progress line on stderr for long runs (1,000 files or more), rewritten in place."""

    def show(done: int, total: int) -> None:
        if total >= 1000:
            click.echo(f"\r{label} {done}/{total}", nl=done >= total, err=True)

    return show
