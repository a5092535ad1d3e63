"""The ``casebook`` command line: serve, sync, reindex, check, new, unused-uploads, user, backup, restore.

The same commands are available as ``flask --app casebook <command>``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click
from flask import Flask

from . import content, indexing
from .cli_app import (
    DISK_FULL_ADVICE,
    WRITER_COMMANDS,
    command_app,
    content_dir,
    progress_line,
    refuse_on_reader,
    search_index,
)
from .diskspace import DISK_FULL, is_disk_full
from .search import AnyIndex, PgSearchIndex
from .search.pg import cache_advice


def publish_content(app: Flask, quiet: bool = False) -> int:
    """``casebook sync``: publish the content folder, print what happened; the exit code (1: index behind)."""
    from . import turns
    from .catalog import publish
    from .db import db

    def waiting() -> None:
        if not quiet:
            click.echo("另一个 casebook 进程正在升级数据库或同步内容，等它完成后继续……", err=True)

    # one sync at a time (another one, or a server starting); in batches (publish's default): the
    # server may be running beside this command, and its saves must get their turn
    try:
        with turns.turn(turns.lock_path(Path(app.config["CASEBOOK_DATA_DIR"])), db.engine, on_wait=waiting):
            result = publish(
                db.session,
                Path(app.config["CASEBOOK_CONTENT_DIR"]),
                search_index(app),
                progress=None if quiet else progress_line("同步中"),
                index_progress=None if quiet else progress_line("索引中"),
            )
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        db.session.rollback()
        click.echo(f"同步未完成：{DISK_FULL_ADVICE}（{app.config['CASEBOOK_DATA_DIR']}）", err=True)
        return 1
    report = result.report
    if not quiet:
        click.echo(f"同步完成：{report.summary()}" + ("（全量）" if report.full else ""))
        if report.problems:
            click.echo("运行 casebook check 查看问题详情。", err=True)
        if result.index.step == "rebuilt":
            click.echo(f"搜索索引已重建：{result.index.count} 篇")
            _say_cache_advice(search_index(app))
    if not result.ok:
        if result.index.error == DISK_FULL:
            click.echo(f"搜索索引更新失败：{DISK_FULL_ADVICE}", err=True)
        else:
            click.echo(f"搜索索引更新失败：{result.index.error}；目录已同步。稍后运行 casebook reindex。", err=True)
        return 1
    return 0


@click.group(help="社区治理案例库 casebook: content files → catalog → pages.")
@click.version_option(package_name="casebook")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Entry point of the ``casebook`` console script."""
    if ctx.invoked_subcommand in WRITER_COMMANDS:
        refuse_on_reader(ctx.invoked_subcommand)


@main.command()
@click.option("--quiet", "-q", is_flag=True, help="只在出错时输出。")
def sync(quiet: bool) -> None:
    """Sync the catalog with the content folder (unchanged files are skipped)."""
    sys.exit(publish_content(command_app(), quiet))


@main.command()
def reindex() -> None:
    """Rebuild the search index into a fresh directory and swap it in atomically."""
    app = command_app()
    from .db import db

    root = Path(app.config["CASEBOOK_CONTENT_DIR"])
    index = search_index(app)
    count = indexing.rebuild(db.session, index, root, progress_line("索引中"))
    click.echo(f"搜索索引已重建：{count} 篇")
    _say_cache_advice(index)


def _say_cache_advice(index: AnyIndex) -> None:
    """After a rebuild on PostgreSQL: a hint when what searches read outgrows ``shared_buffers``."""
    if isinstance(index, PgSearchIndex):
        advice = cache_advice(*index.cache_sizes())
        if advice:
            click.echo(advice, err=True)


@main.command()
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="提示（warning）也算问题：有提示时退出码为 1。")
def check(directory: Path | None, strict: bool) -> None:
    """Print every content problem as path:line: message; exit 1 on errors (or, with --strict, warnings)."""
    root = directory or content_dir()
    if not root.is_dir():
        raise click.UsageError(f"内容目录 {root} 不存在")
    library = content.load(root)
    cwd = Path.cwd()
    for problem in library.problems:
        click.echo(problem.display(relative_to=cwd))
    warnings = sum(1 for p in library.problems if p.is_warning)
    errors = len(library.problems) - warnings
    counts = (
        f"{len(library.entries)} 篇条目，{len(library.projects)} 个民生实事项目，{len(library.learning)} 条借鉴记录"
    )
    click.echo(f"{counts}，{errors} 个问题，{warnings} 条提示", err=True)
    sys.exit(1 if errors or (strict and warnings) else 0)


@main.command()
@click.argument("kind", type=click.Choice(content.KINDS))
@click.option("--topic", required=True, help="主题 slug（见 content/topics.yml）。")
@click.option("--title", required=True, help="标题。")
@click.option("--slug", help="文件名（默认由标题拼音生成）。")
def new(kind: str, topic: str, title: str, slug: str | None) -> None:
    """Write a new draft interview, salon or case (its usual sections as a hint comment); print its path."""
    root = content_dir()
    rules, _ = content.load_rules(root)
    if topic not in rules.topics:
        raise click.UsageError(f"没有主题 {topic!r}；可用的主题：{', '.join(rules.topics)}")
    slug = slug or content.slugify(title)
    if not content.SLUG_RE.match(slug):
        raise click.UsageError(f"{slug!r} 不能作文件名，请用 --slug 指定（小写字母 a-z、数字 0-9 和 '-'）")
    taken = [p for k, p in content.iter_entry_files(root) if k == kind and p.stem == slug]
    path = content.entry_path(root, kind, slug)
    if taken or path.exists():
        click.echo(f"已存在：{(taken or [path])[0]}，未覆盖。可用 --slug 指定其他文件名。", err=True)
        sys.exit(1)
    entry = content.skeleton(kind, slug, title, topic, dt.date.today())
    text = content.serialize(entry)
    parsed, problems = content.parse_text(text, kind, slug, rules=rules, path=path)
    if parsed is None or problems:
        raise click.ClickException("; ".join(p.message for p in problems))
    content.write_atomic(path, text)
    click.echo(path)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option("--port", default=5000, show_default=True, type=int, help="端口。")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="进程数。")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="每进程线程数。")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Sync, then serve the site with gunicorn (several processes and threads); a reader serves
    what its writer synced (no content folder, no sync)."""
    app = command_app()
    if app.config["CASEBOOK_INSTANCE"] == "writer" and publish_content(app):
        sys.exit(1)
    click.echo(f"casebook 已启动：http://{host}:{port}/", err=True)
    from .server import run

    run({"bind": f"{host}:{port}", "workers": workers, "threads": threads})


@main.command("unused-uploads")
@click.option("--days", default=7, show_default=True, type=click.IntRange(0), help="只算上传超过这么多天的图片。")
@click.option("--delete", is_flag=True, help="删除列出的图片（默认只列出）。")
def unused_uploads(days: int, delete: bool) -> None:
    """List (or delete) uploaded pictures that no content file and no saved version mentions.

    Newer pictures are left alone (someone may be writing the entry that will use them).
    """
    from sqlalchemy import select

    from . import images
    from .db import db
    from .staff.models import Revision

    app = command_app()
    root = Path(app.config["CASEBOOK_CONTENT_DIR"])
    media = root / "media"
    texts = [p.read_text("utf-8", errors="replace") for p in sorted(root.rglob("*")) if p.suffix in _TEXT_FILES]
    texts += db.session.scalars(select(Revision.text))  # history and pending edits can bring a picture back
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    unused = images.unused_uploads(media, texts, before)
    cwd = Path.cwd()
    freed = 0
    for stored in unused:
        shown = os.path.relpath(media / stored.path, cwd)
        click.echo(f"{shown}\t{stored.uploaded_at}\t{stored.original_name}")
        if delete:
            freed += images.delete_upload(media, stored)
    summary = f"{len(unused)} 张图片没有被任何内容或历史版本引用（上传超过 {days} 天）"
    click.echo(f"{summary}；已删除，释放 {freed / 1e6:.1f} MB" if delete else summary, err=True)


_TEXT_FILES = {".md", ".yml", ".yaml"}


from .cli_users import user  # noqa: E402  (the group needs ``main`` defined above)

main.add_command(user)
from .cli_jobs import jobs_group  # noqa: E402

main.add_command(jobs_group)
from .cli_proposals import proposals_group  # noqa: E402

main.add_command(proposals_group)


def register_cli(app: Flask) -> None:
    """Make the commands available under ``flask --app casebook``."""
    for command in main.commands.values():
        app.cli.add_command(command)


from .cli_import import import_  # noqa: E402

main.add_command(import_)
from .cli_db import db_group  # noqa: E402

main.add_command(db_group)
from .cli_backup import backup, restore  # noqa: E402

main.add_command(backup)
main.add_command(restore)
