"""One sync loop for every kind, and the publish service: sync → commit → index, returning a result.

Entries and 民生实事 projects go through the same loop (kind adapters); these tests drive both
kinds side by side through ``casebook sync`` and the pages, then call ``publish`` directly.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from casebook import jobs
from casebook.catalog import PublishResult, publish
from casebook.cli import main
from casebook.db import db

from . import pgkit
from .conftest import WriteEntry

PROJECT = """\
    title: 加装电梯{n}
    year: 2021
    lead: 区住建局
    stage: 实施
    related: [{related}]
"""


def write_project(content_dir: Path, slug: str, n: int = 1, related: str = "", year: int = 2021) -> Path:
    path = content_dir / "projects" / str(year) / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    front = textwrap.dedent(PROJECT.format(n=n, related=related)).replace("year: 2021", f"year: {year}")
    path.write_text(f"---\n{front}---\n项目说明。\n", encoding="utf-8")
    return path


def sync(runner: CliRunner) -> str:
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    return result.stdout


def search(client: FlaskClient, query: str) -> list[str]:
    results = client.get("/api/search", query_string={"q": query}).json["results"]  # type: ignore[index]
    return sorted(f"{r['kind']}/{r['slug']}" for r in results)


def test_entries_and_projects_sync_through_one_loop(
    runner: CliRunner, client: FlaskClient, content_dir: Path, write_entry: WriteEntry
) -> None:
    write_entry("case", "louyuan", title="楼院自治")
    write_project(content_dir, "dianti", related="case/louyuan")
    assert "新增 2，更新 0，删除 0，未变 0" in sync(runner)
    assert client.get("/cases/louyuan").status_code == 200
    assert client.get("/projects/2021/dianti").status_code == 200
    assert search(client, "电梯") == ["project/dianti"]

    # unchanged files of both kinds are skipped by their hash
    assert "新增 0，更新 0，删除 0，未变 2" in sync(runner)

    # a change to each kind is re-read; the index follows both
    write_entry("case", "louyuan", title="楼院自治新篇")
    write_project(content_dir, "dianti", n=2, related="case/louyuan")
    assert "新增 0，更新 2，删除 0，未变 0" in sync(runner)
    assert "加装电梯2" in client.get("/projects/2021/dianti").get_data(as_text=True)
    assert "楼院自治新篇" in client.get("/cases/louyuan").get_data(as_text=True)

    # a second file with a taken key is reported in its kind's words, and neither kind loses its row
    # (the first holder of each key is read again with it: "更新 2")
    (content_dir / "cases" / "old").mkdir()
    write_entry("case", "louyuan", title="重复的楼院").rename(content_dir / "cases" / "old" / "louyuan.md")
    write_entry("case", "louyuan", title="楼院自治新篇")
    write_project(content_dir, "dianti", n=3, related="case/louyuan", year=2022)
    assert "新增 0，更新 2，删除 0，未变 0，无法载入 2；问题 2 条" in sync(runner)
    problems = runner.invoke(main, ["check"]).stdout
    assert "content/cases/old/louyuan.md:1: 重复的 slug：case/louyuan 已由" in problems
    assert "content/projects/2022/dianti.md:1: 重复的项目 slug：dianti 已由 projects/2021/dianti.md 使用" in problems
    assert client.get("/projects/2021/dianti").status_code == 200

    # the winner of each key goes: the other file takes its place (both kinds alike)
    (content_dir / "cases" / "louyuan.md").unlink()
    (content_dir / "projects" / "2021" / "dianti.md").unlink()
    assert "新增 2，更新 0，删除 2，未变 0，无法载入 0" in sync(runner)  # rows follow their file
    assert "重复的楼院" in client.get("/cases/louyuan").get_data(as_text=True)
    moved = client.get("/projects/2021/dianti")
    assert moved.status_code == 301 and moved.location.endswith("/projects/2022/dianti")
    assert client.get("/projects/2022/dianti").status_code == 200

    # deleted files of both kinds lose their rows, pages and index documents
    shutil.rmtree(content_dir / "cases" / "old")
    shutil.rmtree(content_dir / "projects")
    assert "新增 0，更新 0，删除 2，未变 0" in sync(runner)
    assert client.get("/cases/louyuan").status_code == 404
    assert client.get("/projects/2022/dianti").status_code == 404
    assert search(client, "电梯") == [] and search(client, "楼院") == []


def test_projects_are_reread_when_the_entries_they_name_change(
    runner: CliRunner, client: FlaskClient, content_dir: Path, write_entry: WriteEntry
) -> None:
    write_project(content_dir, "dianti", related="case/louyuan")
    sync(runner)
    assert "没有条目“case/louyuan”" in runner.invoke(main, ["check"]).stdout
    write_entry("case", "louyuan", title="楼院自治")
    # the project file did not change, but the entry it names now exists: it is read again
    assert "新增 1，更新 1，删除 0，未变 0" in sync(runner)
    assert "/cases/louyuan" in client.get("/projects/2021/dianti").get_data(as_text=True)


def published(app: Flask, content_dir: Path, **options: object) -> PublishResult:
    with app.app_context():
        return publish(db.session, content_dir, app.extensions["casebook.search"], **options)  # type: ignore[arg-type]


def test_publish_returns_what_it_did(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry
) -> None:
    write_entry("case", "a", body="可以搜索的正文。")
    write_entry("case", "b", raw="no front matter")
    first = published(app, content_dir)
    assert (first.added, first.changed, first.removed, first.problems) == (1, 0, 0, 1)
    assert first.index.step == "rebuilt" and first.index.count == 1 and first.index_updated and first.ok
    assert first.summary().startswith("同步完成：新增 1") and "搜索索引已重建：1 篇" in first.summary()
    assert search(client, "搜索") == ["case/a"]

    assert published(app, content_dir).index.step == "unchanged"
    write_entry("case", "a", body="换了的正文。")
    again = published(app, content_dir)
    assert (again.added, again.changed, again.index.step) == (0, 1, "updated")
    assert search(client, "换了") == ["case/a"] and search(client, "搜索") == []


def test_publish_can_leave_the_rebuild_to_the_job_runner(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry
) -> None:
    write_entry("case", "a")
    queued: list[str] = []
    result = published(app, content_dir, queue_rebuild=lambda: queued.append("rebuild"))
    assert queued == ["rebuild"]  # no index yet: a whole rebuild, never inside the caller
    assert result.index.step == "queued" and not result.index.usable and not result.index_updated and result.ok
    assert client.get("/cases/a").status_code == 200  # the catalog is committed meanwhile


def _block_index(app: Flask, tmp_path: Path) -> None:
    """Make the search index impossible to write: a file where Whoosh's folder goes, or (the
    PostgreSQL backend) views where its tables go."""
    if pgkit.search_wanted():
        with app.app_context(), db.engine.begin() as connection:
            for table in ("search_doc", "search_state"):
                connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
            connection.execute(text("CREATE VIEW search_doc AS SELECT 1 AS docnum"))
            connection.execute(text("CREATE VIEW search_state AS SELECT 'x'::text AS key, 'y'::text AS value"))
        return
    blocked = tmp_path / "instance" / "search"
    shutil.rmtree(blocked, ignore_errors=True)
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("not a directory")


def test_an_index_failure_is_a_result_not_an_exit(
    app: Flask, client: FlaskClient, runner: CliRunner, content_dir: Path, tmp_path: Path, write_entry: WriteEntry
) -> None:
    write_entry("case", "a")
    _block_index(app, tmp_path)
    result = published(app, content_dir)
    assert result.index.step == "failed" and result.index.error and not result.ok
    assert result.added == 1 and client.get("/cases/a").status_code == 200  # committed before the index step
    assert "搜索索引更新失败" in result.summary()

    write_entry("case", "b")
    cli = runner.invoke(main, ["sync"])
    assert cli.exit_code == 1 and "新增 1" in cli.stdout
    assert "搜索索引更新失败" in cli.stderr and "casebook reindex" in cli.stderr


def test_the_sync_job_publishes_and_fails_visibly_when_the_index_cannot_follow(
    app: Flask, client: FlaskClient, content_dir: Path, tmp_path: Path, write_entry: WriteEntry
) -> None:
    write_entry("case", "a")
    with app.app_context():
        jobs.enqueue(db.engine, "sync", created_by="测试")
    done = jobs.run_one(app)
    assert done is not None and done.state == "done"
    assert done.message == "同步完成：新增 1，更新 0，删除 0，未变 0，无法载入 0；问题 0 条；搜索索引已重建：1 篇"
    assert client.get("/cases/a").status_code == 200

    _block_index(app, tmp_path)
    write_entry("case", "b")
    with app.app_context():
        jobs.enqueue(db.engine, "sync", created_by="测试")
    failed = jobs.run_one(app)
    assert failed is not None and failed.state == "failed"
    assert "新增 1" in failed.message and "搜索索引更新失败" in failed.message  # staff see both halves
    assert client.get("/cases/b").status_code == 200  # the catalog part is published all the same
