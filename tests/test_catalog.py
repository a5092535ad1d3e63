"""``casebook sync``: incremental mirroring of content files into the catalog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload, undefer

from casebook.db import db
from casebook.models import EntryRow, ProblemRow, TopicRow

from .conftest import WriteEntry

Resync = Callable[[], Any]


def rows(app: Flask) -> dict[str, EntryRow]:
    with app.app_context():
        stmt = select(EntryRow).options(undefer(EntryRow.body_html), selectinload(EntryRow.tag_rows))
        return {r.key: r for r in db.session.scalars(stmt)}


def problems(app: Flask) -> list[str]:
    with app.app_context():
        return [p.display() for p in db.session.scalars(select(ProblemRow).order_by(ProblemRow.path))]


def test_first_sync_adds_and_renders(app: Flask, write_entry: WriteEntry, resync: Resync) -> None:
    write_entry("interview", "one", body="## 要点\n\n**加粗**", tags=["楼院", "自治"])
    report = resync()
    assert (report.added, report.full) == (1, True)
    row = rows(app)["interview/one"]
    assert row.body_html == '<h2 id="要点">要点</h2>\n<p><strong>加粗</strong></p>'  # rendered at sync time
    assert row.tags == ["楼院", "自治"] and row.year == 2022
    with app.app_context():
        first = db.session.scalars(select(TopicRow).order_by(TopicRow.number)).first()
        assert first is not None and first.label == "第1期·无主管楼院治理"


def test_no_change_sync_skips_everything(write_entry: WriteEntry, resync: Resync) -> None:
    for i in range(5):
        write_entry("case", f"c{i}")
    resync()
    report = resync()
    assert (report.added, report.updated, report.removed, report.unchanged, report.full) == (0, 0, 0, 5, False)


def test_changed_and_deleted_files(app: Flask, write_entry: WriteEntry, resync: Resync) -> None:
    write_entry("case", "keep")
    gone = write_entry("case", "gone")
    write_entry("case", "edit", title="旧标题")
    resync()
    write_entry("case", "edit", title="新标题")
    gone.unlink()
    report = resync()
    assert (report.updated, report.removed, report.unchanged) == (1, 1, 1)
    current = rows(app)
    assert current["case/edit"].title == "新标题"
    assert "case/gone" not in current


def test_broken_file_never_stops_sync(app: Flask, write_entry: WriteEntry, resync: Resync) -> None:
    write_entry("case", "ok")
    write_entry("case", "bad", raw="---\ntitle: [unclosed\n---\nx\n")
    write_entry("salon", "no-title", raw="---\ntopic: louyuan\ndate: 2022-01-01\n---\nx\n")
    report = resync()
    assert report.added == 1 and report.invalid == 2
    assert set(rows(app)) == {"case/ok"}
    found = problems(app)
    assert found[0].startswith("cases/bad.md:2: YAML 格式错误")
    assert found[1] == "salons/no-title.md:1: 缺少必填字段 title"


def test_file_that_breaks_is_removed_and_problem_clears_when_fixed(
    app: Flask, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "flip", title="好")
    resync()
    write_entry("case", "flip", date="2022-13-01")
    resync()
    assert "case/flip" not in rows(app)
    assert problems(app) == ["cases/flip.md:4: date：日期“2022-13-01”无效，应写成 YYYY-MM-DD，例如 2022-03-01"]
    write_entry("case", "flip", title="好")
    resync()
    assert "case/flip" in rows(app) and problems(app) == []


def test_topics_change_revalidates_unchanged_files(
    app: Flask, content_dir: Path, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "a", topic="yiqing")
    resync()
    topics = (content_dir / "topics.yml").read_text("utf-8")
    (content_dir / "topics.yml").write_text(topics.replace("slug: yiqing", "slug: yiqing-fangkong"), "utf-8")
    report = resync()
    assert report.full and "case/a" not in rows(app)
    assert problems(app) == ["cases/a.md:3: 未知主题“yiqing”，topics.yml 中没有，是否指：yiqing-fangkong"]


def test_duplicate_winner_deleted_lets_other_file_in(
    app: Flask, content_dir: Path, write_entry: WriteEntry, resync: Resync
) -> None:
    first = content_dir / "cases" / "a" / "same.md"
    first.parent.mkdir()
    write_entry("case", "same", title="第二个")
    first.write_text("---\ntitle: 第一个\ntopic: louyuan\ndate: 2022-01-01\n---\nx\n", "utf-8")
    resync()
    assert rows(app)["case/same"].title == "第一个"
    assert problems(app) == ["cases/same.md:1: 重复的 slug：case/same 已由 cases/a/same.md 使用"]
    first.unlink()
    resync()
    assert rows(app)["case/same"].title == "第二个"
    assert problems(app) == []


def test_status_is_mirrored_for_staff_but_drafts_stay_private(
    app: Flask, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "draft", status="draft")
    write_entry("case", "sub", status="submitted")
    resync()
    assert {k: r.status for k, r in rows(app).items()} == {"case/draft": "draft", "case/sub": "submitted"}


def test_a_batched_sync_commits_as_it_goes_and_ends_like_a_whole_one(
    app: Flask, content_dir: Path, write_entry: WriteEntry
) -> None:
    from casebook.catalog import sync

    for i in range(23):
        write_entry("case", f"c{i:02}", body=f"第 {i} 篇。")
    write_entry("case", "broken", raw="---\ntitle: [未闭合\n---\n正文\n")
    commits: list[int] = []
    with app.app_context():
        event.listen(db.session, "after_commit", lambda session: commits.append(1))
        report = sync(db.session, content_dir, batch=10)
        db.session.commit()
    assert len(commits) >= 3  # 24 files, 10 per transaction, then the end
    assert (report.added, report.full) == (23, True)
    assert rows(app)["case/c07"].body_html == "<p>第 7 篇。</p>"
    assert [p.split(":")[0] for p in problems(app)] == ["cases/broken.md"]
    with app.app_context():
        again = sync(db.session, content_dir, batch=10)
    assert (again.unchanged, again.added, again.updated) == (24, 0, 0)
