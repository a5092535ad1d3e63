"""``casebook import FILE``: a .docx, .html/.htm, .md or .txt file as a new draft entry."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app, has_app_context

from . import config as settings
from . import content, importing
from .convert import ConvertError


def _image_hosts() -> frozenset[str]:
    if has_app_context():
        return frozenset(current_app.config["CASEBOOK_IMPORT_IMAGE_HOSTS"])
    return settings.import_image_hosts()


def _content_dir() -> Path:
    if has_app_context():
        return Path(current_app.config["CASEBOOK_CONTENT_DIR"])
    return settings.content_dir()


def _fail(message: str) -> NoReturn:
    click.echo(f"无法导入：{message}", err=True)
    sys.exit(1)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, type=click.Choice(content.KINDS), help="类型：一谈、微沙龙或微案例。")
@click.option("--topic", required=True, help="主题 slug（见 content/topics.yml）。")
@click.option("--title", help="标题（默认取文件里的标题）。")
@click.option("--scope", type=click.Choice(content.SCOPES), help="微案例的范围：local（本区）或 national（微分享）。")
@click.option("--slug", help="文件名（默认由标题拼音生成）。")
def import_(file: Path, kind: str, topic: str, title: str | None, scope: str | None, slug: str | None) -> None:
    """Import a .docx, .html, .md or .txt file as a draft entry; print its path (report on stderr)."""
    root = _content_dir()
    rules, _ = content.load_rules(root)
    if topic not in rules.topics:
        raise click.UsageError(f"没有主题 {topic!r}；可用的主题：{', '.join(rules.topics)}")
    if scope and kind != "case":
        raise click.UsageError("--scope 只用于 --kind case（微案例、微分享）")
    if slug is not None and not content.SLUG_RE.match(slug):
        raise click.UsageError(f"{slug!r} 不能作文件名：只能用小写字母 a-z、数字 0-9 和 '-'")
    size = file.stat().st_size
    if size > importing.MAX_FILE_BYTES:
        _fail(importing.too_big(size))
    files_dir = file.with_name(file.stem + "_files")
    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail(f"读不了这个文件（{exc.strerror or '无法打开'}）：{file}")
    try:
        conversion = importing.convert_file(
            data, file.name, places=rules.places, files_dir=files_dir if files_dir.is_dir() else None
        )
    except ConvertError as exc:
        _fail(exc.message)
    chosen, notes = importing.title_for(conversion, title, file.name)
    slug = slug or content.slugify(chosen)
    if not content.SLUG_RE.match(slug):  # the file's title, not the command, is the problem: exit 1
        _fail(f"无法从标题“{chosen}”生成文件名，请用 --slug 指定（小写字母 a-z、数字 0-9 和 '-'）")
    taken = [p for k, p in content.iter_entry_files(root) if k == kind and p.stem == slug]
    path = content.entry_path(root, kind, slug)
    if taken or path.exists():
        _fail(f"已存在：{(taken or [path])[0]}，未覆盖。可用 --slug 指定其他文件名。")
    try:
        draft, pictures = importing.draft_with_pictures(
            conversion, root / "media", importing.PictureRules(hosts=_image_hosts()),
            kind=kind, slug=slug, topic=topic, title=chosen, scope=scope, rules=rules, path=path,
            today=dt.date.today(),
        )  # fmt: skip
    except ConvertError as exc:
        _fail(exc.message)
    content.write_atomic(path, draft.text)
    click.echo(path)
    for line in [*conversion.report, *notes, *pictures, *draft.report]:
        click.echo(line, err=True)
