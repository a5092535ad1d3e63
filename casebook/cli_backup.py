"""``casebook backup FILE.zip`` (see docs/operations.md).

Neither builds the app before its work is done: building it would upgrade and write the database
(backup must change nothing) or create an empty one (restore wants the folders empty).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from . import backup as backups
from . import config as settings


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _locations() -> tuple[Path, Path, Path, str]:
    """``(content folder, data folder, SQLite file, database URL)`` from the environment, nothing created."""
    # a SECRET_KEY given here keeps settings.build from generating DATA_DIR/secret_key (or the folder)
    conf = settings.build({"SECRET_KEY": "not used by backup or restore"})
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
