"""``casebook backup FILE.zip`` and ``casebook restore FILE.zip`` (see docs/operations.md).

Neither builds the app before its work is done: building it would upgrade and write the database
(backup must change nothing) or create an empty one (restore wants the folders empty).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click
from flask import has_app_context

from . import backup as backups
from . import migrate
from .cli_app import command_settings


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _locations() -> tuple[Path, Path, Path, str]:
    """``(content folder, data folder, SQLite file, database URL)`` from the environment, nothing created."""
    # a SECRET_KEY given here keeps the settings from generating DATA_DIR/secret_key (or the folder)
    conf = command_settings({"SECRET_KEY": "not used by backup or restore"})
    try:
        database = backups.sqlite_path(conf["DATABASE_URL"])
    except backups.BackupError as exc:
        _fail(str(exc))
    return conf["CONTENT_DIR"], conf["DATA_DIR"], database, conf["DATABASE_URL"]


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


class _Progress:
    """A progress line on stderr at most every two seconds, so only long runs print any."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.shown = self.started

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown >= 2.0:
            self.shown = now
            share = 100 * done // total if total else 100
            click.echo(f"{self.label} {_megabytes(done)} / {_megabytes(total)}（{share}%）", err=True)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="FILE 已存在时替换它（默认拒绝）。")
def backup(file: Path, force: bool) -> None:
    """Back up content, uploads, database and secret key into FILE.zip (safe while the server runs)."""
    content_dir, data_dir, database, _ = _locations()
    target = file.resolve()
    if not target.parent.is_dir():
        _fail(f"文件夹 {target.parent} 不存在：请先建好它。")
    if target.exists() and not force:
        _fail(f"{file} 已存在，未覆盖。换一个文件名，或加 --force 替换它。")
    started = time.monotonic()
    try:
        result = backups.create_backup(
            target, content_dir=content_dir, data_dir=data_dir, database=database, progress=_Progress("备份中")
        )
    except backups.BackupError as exc:
        _fail(f"备份失败：{exc}")
    except OSError as exc:
        _fail(f"备份失败：{exc}（没有留下不完整的 {file}）")
    seconds = time.monotonic() - started
    counts = result.manifest.counts()
    click.echo(f"备份完成：{target}（{_megabytes(result.zip_bytes)}，用时 {seconds:.1f} 秒）")
    revision = result.manifest.database_revision or "未标记"
    click.echo(
        f"  内容文件 {counts['content']} 个，上传和媒体图片 {counts['media']} 个，"
        f"数据库 1 个（版本 {revision}，编辑保存等待了 {result.locked_seconds:.2f} 秒）"
        + (f"，会话密钥 {backups.SECRET}" if counts["secret_key"] else "")
    )
    click.echo("  搜索索引不在备份里：恢复时重建。")
    for skipped in result.skipped:
        click.echo(f"  未备份：{skipped}（符号链接、特殊文件、非 UTF-8 名字，或备份时被删除）", err=True)
    if counts["secret_key"]:
        click.echo("  注意：备份里有会话密钥（secret_key），文件权限为 0600；请只存放在可信的地方。", err=True)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Restore FILE.zip into an empty or missing content and data folder, then migrate and rebuild search."""
    content_dir, data_dir, database, url = _locations()
    try:
        backups.check_target(content_dir, data_dir, database)
        manifest = backups.verify(file, _Progress("校验中"))
        backups.check_space(manifest, content_dir, database)
    except backups.RestoreRefused as exc:
        _fail(f"未恢复：{exc}")
    counts = manifest.counts()
    click.echo(
        f"备份已校验：{file}（{manifest.created_at} 由 casebook {manifest.casebook_version} 写成，"
        f"{len(manifest.files)} 个文件，{_megabytes(manifest.total_bytes)}，校验和全部一致）"
    )
    if has_app_context():  # under ``flask --app casebook``: let go of the empty database the app opened
        from .db import db

        db.session.remove()
        db.engine.dispose()
    try:
        result = backups.restore(
            file, manifest, content_dir=content_dir, data_dir=data_dir, database=database, progress=_Progress("恢复中")
        )
    except backups.RestoreRefused as exc:
        _fail(f"未恢复：{exc}")
    except OSError as exc:
        _fail(f"恢复失败：{exc}（临时文件已删除；清空目标文件夹后可重试）")
    click.echo(f"已恢复内容文件夹 {content_dir}：内容文件 {counts['content']} 个，上传和媒体图片 {counts['media']} 个")
    if result.secret_key:
        click.echo(f"已恢复会话密钥 {result.secret_key}")
    click.echo(f"已恢复数据库 {database}（备份时版本 {manifest.database_revision or '未标记'}）")
    _migrate(url, data_dir)
    _publish()
    click.echo("恢复完成。")


def _migrate(url: str, data_dir: Path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        done = migrate.prepare(engine, lock_path=data_dir / "migrate.lock")
    except migrate.DatabaseTooNew as exc:
        _fail(str(exc))
    finally:
        engine.dispose()
    said = {"current": "已是最新", "created": "已新建"}.get(done, done.replace("upgraded from", "已从") + " 升级")
    click.echo(f"数据库版本 {migrate.head()}：{said}")


def _publish() -> None:
    """Sync the catalog with the restored files, then make sure the search index is built from it,
    in a fresh app (an index a first start left in the data folder is empty: never kept)."""
    from .app import build_app
    from .catalog import publish
    from .cli_app import progress_line
    from .db import db
    from .indexing import rebuild

    app = build_app()
    root = Path(app.config["CASEBOOK_CONTENT_DIR"])
    index = app.extensions["casebook.search"]
    with app.app_context():
        progress, index_progress = progress_line("同步中"), progress_line("索引中")
        result = publish(db.session, root, index, progress=progress, index_progress=index_progress)
        click.echo(result.summary())
        if result.index.step == "rebuilt":
            return
        try:
            count = rebuild(db.session, index, root, progress_line("索引中"))
        except Exception as exc:  # the library is restored; only the derived index is missing
            _fail(f"搜索索引没有建成（{exc}）：请运行 casebook reindex。")
        click.echo(f"搜索索引已重建：{count} 篇")
