"""``casebook jobs …``: the background jobs (list them, or run the queued ones in the foreground)."""

from __future__ import annotations

import click
from flask import Flask

from . import jobs
from .cli_app import command_app, refuse_on_reader
from .job_models import Job
from .jobs import Reporter


def _app() -> Flask:
    return command_app()


def _line(job: Job) -> str:
    from .web import local_time

    progress = f"{job.done}/{job.total}" if job.total else "—"
    when = local_time(job.finished_at or job.started_at or job.created_at)
    parts = [f"#{job.id}", jobs.kind_label(job.kind), job.state_name, progress, when, job.created_by or "—"]
    return "\t".join(parts) + (f"\t{job.message}" if job.message else "")


@click.group("jobs", invoke_without_command=True, help="后台任务：list（默认）/ work。")
@click.pass_context
def jobs_group(ctx: click.Context) -> None:
    """Background jobs (search rebuilds, syncs) recorded in the database."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_jobs)


@jobs_group.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="最多列出几条。")
def list_jobs(limit: int) -> None:
    """List recent jobs: id, kind, state, progress, time, who queued it, message."""
    from .db import db

    _app()
    shown = jobs.recent(db.session, limit)
    for job in shown:
        click.echo(_line(job))
    if not shown:
        click.echo("没有后台任务。", err=True)


@jobs_group.command("work")
@click.option("--once", is_flag=True, help="运行完已排队的任务就退出（默认一直运行，每隔几秒查看一次）。")
def work(once: bool) -> None:
    """Run queued jobs in the foreground (servers started by casebook serve also run them)."""
    refuse_on_reader("jobs work")

    def show(job: Job, progress: Reporter) -> None:
        if progress.total:
            click.echo(f"\r#{job.id} {progress.message} {progress.done}/{progress.total}", nl=False, err=True)
        elif progress.message:
            click.echo(f"#{job.id} {progress.message}", err=True)

    def done(job: Job) -> None:
        click.echo(_line(job))

    runner = jobs.Runner(_app(), on_progress=show, on_finish=done)
    if once:
        finished = runner.run_pending()
        click.echo(f"运行了 {len(finished)} 个任务。", err=True)
        failed = [job for job in finished if job.state == "failed"]
        raise SystemExit(1 if failed else 0)
    click.echo("正在等待后台任务（Ctrl-C 退出）…", err=True)
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop(wait=0)
