"""``casebook user …``: staff accounts from the command line (the staff area offers the same)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from .cli_app import command_app
from .db import DbSession
from .staff import accounts
from .staff.models import User, audit


def _session() -> DbSession:
    from .db import db

    command_app()
    return db.session


def _read_password(prompt: str) -> str:
    """Prompted twice on a terminal; otherwise the first line of stdin."""
    if sys.stdin.isatty():
        value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
        return value
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(1)


@click.group(help="工作人员账号：add / list / disable / enable / passwd / role。")
def user() -> None:
    """Manage staff accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, help=f"角色：{' | '.join(accounts.ROLES)}。")
def add(name: str, role: str) -> None:
    """Add an account; the password is prompted (or read from stdin's first line)."""
    session = _session()
    if role not in accounts.ROLES:
        _fail(f"未知角色“{role}”，应为 {' | '.join(accounts.ROLES)}")
    if accounts.find(session, name) is not None:
        _fail(f"用户“{name}”已存在")
    password = _read_password("密码")
    try:
        created = accounts.add_user(session, name, role, password)
    except accounts.AccountError as exc:
        session.rollback()
        _fail(str(exc))
        return
    audit(session, "cli", "user-add", created.name, role)
    session.commit()
    click.echo(f"已添加 {created.name}（{role}）")


@user.command("list")
def list_users() -> None:
    """List accounts: name, role, 在用/已停用, last login (in CASEBOOK_TIMEZONE)."""
    from .web import local_time

    session = _session()
    for row in session.scalars(select(User).order_by(User.name_key)):
        last = local_time(row.last_login) if row.last_login else "-"
        click.echo(f"{row.name}\t{row.role}\t{'在用' if row.active else '已停用'}\t{last}")


def _change(name: str, action: str, apply: object) -> None:
    session = _session()
    try:
        changed = apply(session)  # type: ignore[operator]
    except accounts.AccountError as exc:
        session.rollback()
        _fail(str(exc))
        return
    audit(session, "cli", f"user-{action}", changed.name)
    session.commit()
    click.echo(f"{changed.name}: {action}")


@user.command()
@click.argument("name")
def disable(name: str) -> None:
    """Disable an account (its sessions end at their next request)."""
    _change(name, "disable", lambda s: accounts.set_active(s, name, False))


@user.command()
@click.argument("name")
def enable(name: str) -> None:
    """Enable a disabled account."""
    _change(name, "enable", lambda s: accounts.set_active(s, name, True))


@user.command()
@click.argument("name")
def passwd(name: str) -> None:
    """Set a new password (prompted, or stdin's first line)."""
    session = _session()
    if accounts.find(session, name) is None:
        _fail(f"没有用户“{name}”")
    password = _read_password("新密码")
    _change(name, "passwd", lambda s: accounts.set_password(s, name, password))


@user.command()
@click.argument("name")
@click.argument("role")
def role(name: str, role: str) -> None:
    """Change an account's role."""
    _change(name, "role", lambda s: accounts.set_role(s, name, role))
