"""``casebook db``: the database's migration revision — upgrade, current, history.

These commands open the database themselves (not through the app, which would upgrade it first).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import Engine, create_engine

from . import migrate, private, turns
from .cli_app import command_settings, refuse_on_reader


@contextmanager
def _engine() -> Iterator[Engine]:
    """The configured database's engine, its connections closed at the end (a server's too)."""
    conf = command_settings()
    if conf["INSTANCE"] == "writer":  # a reader keeps nothing on its disk
        private.folder(conf["DATA_DIR"])
    engine = create_engine(conf["DATABASE_URL"])
    try:
        yield engine
    finally:
        engine.dispose()


@click.group("db")
def db_group() -> None:
    """数据库版本（迁移）：upgrade / current / history。"""


@db_group.command("upgrade")
def upgrade() -> None:
    """Upgrade the database to this casebook's revision (serve and sync also do it before use)."""
    refuse_on_reader("db upgrade")
    conf = command_settings()
    try:
        with _engine() as engine:
            done = migrate.prepare(engine, lock_path=turns.lock_path(conf["DATA_DIR"]))
    except migrate.DatabaseTooNew as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    said = {"current": "已是最新", "created": "已新建"}.get(done, done.replace("upgraded from", "已从") + " 升级")
    click.echo(f"数据库版本 {migrate.head()}：{said}")


@db_group.command("current")
def current() -> None:
    """Print the database's revision and whether it is this casebook's."""
    with _engine() as engine:
        found = migrate.current(engine)
    newest = migrate.head()
    if found is None:
        click.echo(f"未标记版本（新数据库，或迁移之前的版本）；本程序的版本是 {newest}")
    elif found == newest:
        click.echo(f"{found}（最新）")
    else:
        click.echo(f"{found}（本程序的版本是 {newest}；运行 casebook db upgrade）")


@db_group.command("history")
def history() -> None:
    """List the migrations, oldest first."""
    for revision, text in migrate.history():
        click.echo(f"{revision}  {text}")
