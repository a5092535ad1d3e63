"""``casebook proposals …``: 征集 proposals kept in the database (the retention purge)."""

from __future__ import annotations

import click

from .cli_app import command_app


@click.group("proposals", help="征集建议：purge（按保存期限删除个人信息）。")
def proposals_group() -> None:
    """Residents' proposals (征集)."""


@proposals_group.command(
    "purge",
    help="删除提交已满 CASEBOOK_PROPOSAL_RETENTION_DAYS 天（默认 365 天）的建议中的姓名和电话，"
    "建议内容和答复保留；报告清除了多少条。网站服务每天也会自动运行一次。",
)
def purge() -> None:
    """Blank the name and phone of proposals older than the retention period; report how many."""
    from .db import db
    from .participation import proposals
    from .staff.models import utcnow

    app = command_app()
    days = app.config["CASEBOOK_PROPOSAL_RETENTION_DAYS"]
    count = proposals.purge(db.session, utcnow(), days)
    db.session.commit()
    click.echo(f"已删除 {count} 条建议中的个人信息（姓名、电话；保存期限 {days} 天）。")
