"""``casebook unused-uploads``: pictures nothing mentions any more, listed and (on request) deleted."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from PIL import Image

from casebook import images
from casebook.cli import main
from casebook.db import db
from casebook.staff.models import Revision

from .conftest import WriteEntry


def _upload(content_dir: Path, name: str, days_ago: int) -> images.StoredImage:
    data = io.BytesIO()
    Image.new("RGB", (1200, 700), "teal").save(data, "PNG")  # wider than the phone copy: three files
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return images.store_upload(data.getvalue(), name, content_dir / "media", now=moment)


def test_lists_then_deletes_only_old_pictures_nothing_mentions(
    app: Flask, runner: CliRunner, content_dir: Path, write_entry: WriteEntry
) -> None:
    in_body = _upload(content_dir, "楼院改造前.png", 30)
    as_cover = _upload(content_dir, "封面.png", 30)
    in_history = _upload(content_dir, "旧版本里的图.png", 30)
    orphan = _upload(content_dir, "没用上的图.png", 30)
    recent = _upload(content_dir, "刚上传的图.png", 1)
    write_entry("case", "with-pictures", body=f"改造前：\n\n{in_body.markdown}\n", cover=as_cover.path)
    with app.app_context():
        db.session.add(
            Revision(kind="case", slug="old", text=f"早先的版本 {in_history.markdown}", action="edit", author="editor")
        )
        db.session.commit()
    media = content_dir / "media"
    files = {s.path: [s.path, s.phone_path, s.meta_path] for s in (in_body, as_cover, in_history, orphan, recent)}
    assert all((media / f).exists() for paths in files.values() for f in paths if f)

    listed = runner.invoke(main, ["unused-uploads"])
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == [f"content/media/{orphan.path}"]
    assert "没用上的图.png" in listed.stdout
    assert "1 张图片" in listed.stderr
    assert all((media / f).exists() for paths in files.values() for f in paths if f)  # listing deletes nothing

    deleted = runner.invoke(main, ["unused-uploads", "--delete"])
    assert deleted.exit_code == 0, deleted.output
    assert "已删除" in deleted.stderr
    assert not any((media / f).exists() for f in files[orphan.path] if f)
    others = [f for path, paths in files.items() if path != orphan.path for f in paths if f]
    assert all((media / f).exists() for f in others)

    assert runner.invoke(main, ["unused-uploads"]).stdout == ""
    with_recent = runner.invoke(main, ["unused-uploads", "--days", "0"])
    assert [line.split("\t")[0] for line in with_recent.stdout.splitlines()] == [f"content/media/{recent.path}"]


def test_a_bad_days_value_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["unused-uploads", "--days", "-1"])
    assert result.exit_code == 2
    assert "-1" in result.output
