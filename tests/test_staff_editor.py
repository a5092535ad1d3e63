"""The editor and the review workflow through the HTTP client, with real files, DB and index."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casebook.db import db
from casebook.staff.models import AuditEvent, Revision

from .staffkit import BASE_RE, TOKEN_RE, entry_form, form_of, publish_form, staff_client, token


@pytest.fixture
def staff(app: Flask, resync: Callable[[], Any]) -> dict[str, FlaskClient]:
    resync()
    accounts = (("editor1", "editor"), ("editor2", "editor"), ("reviewer1", "reviewer"))
    return {name: staff_client(app, name, role) for name, role in accounts}


def _create(client: FlaskClient, slug: str = "louyuan-sanbu", action: str = "save", **fields: str) -> Any:
    data = {**form_of(client, "/staff/new/case"), **entry_form(**fields), "slug": slug, "action": action}
    return client.post("/staff/new/case", data=data)


def _search(client: FlaskClient, q: str) -> list[str]:
    return [r["slug"] for r in client.get("/api/search", query_string={"q": q}).get_json()["results"]]


def test_new_entry_is_a_draft_file_hidden_from_the_public(
    staff: dict[str, FlaskClient], content_dir: Path, client: FlaskClient
) -> None:
    r = _create(staff["editor1"])
    assert r.status_code == 302 and r.headers["Location"].startswith("/staff/edit/case/louyuan-sanbu")
    text = (content_dir / "cases" / "louyuan-sanbu.md").read_text(encoding="utf-8")
    assert "status: draft" in text and "先成立楼院党小组" in text
    assert client.get("/cases/louyuan-sanbu").status_code == 404
    assert "楼院自治的三个步骤" not in client.get("/cases/").get_data(as_text=True)
    assert "louyuan-sanbu" not in client.get("/feed.xml").get_data(as_text=True)
    assert "louyuan-sanbu" not in client.get("/sitemap.xml").get_data(as_text=True)
    assert _search(client, "楼院党小组") == []
    view = staff["editor1"].get("/staff/view/case/louyuan-sanbu").get_data(as_text=True)
    assert "草稿" in view and "先成立楼院党小组" in view
    assert "楼院自治的三个步骤" in staff["editor1"].get("/staff/").get_data(as_text=True)  # 我的草稿


def test_validation_error_keeps_everything_typed(staff: dict[str, FlaskClient], content_dir: Path) -> None:
    r = _create(staff["editor1"], date="2026-13-45", community="不存在社区", tags="楼院、自治", summary="一句摘要")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "date" in html and "不存在社区" in html and "楼院、自治" in html and "一句摘要" in html
    assert "先成立楼院党小组" in html and 'value="louyuan-sanbu"' in html
    assert 'class="error"' in html
    assert not (content_dir / "cases" / "louyuan-sanbu.md").exists()


def test_field_errors_name_the_field_as_the_form_labels_it(staff: dict[str, FlaskClient]) -> None:
    """A content file's message names the front-matter key (``title：不能为空``); under the
    editor's input staff read the field's Chinese label instead."""
    r = _create(staff["editor1"], title="", date="2026-13-45", video="ftp://example.org/video/1")
    assert r.status_code == 422
    errors = re.findall(r'<span class="error"[^>]*>([^<]*)</span>', r.get_data(as_text=True))
    assert any(e.startswith("标题") for e in errors), errors
    assert any(e.startswith("日期") for e in errors), errors
    assert not [e for e in errors if re.search(r"\b(title|date)\b", e)], errors
    # the value as typed is quoted as typed, even where it holds the key
    assert any(e.startswith("视频链接") and "ftp://example.org/video/1" in e for e in errors), errors


def test_taken_slug_is_refused_without_overwriting(staff: dict[str, FlaskClient], content_dir: Path) -> None:
    assert _create(staff["editor1"]).status_code == 302
    before = (content_dir / "cases" / "louyuan-sanbu.md").read_bytes()
    r = _create(staff["editor2"], title="另一篇")
    assert r.status_code == 422 and "已被占用" in r.get_data(as_text=True)
    assert (content_dir / "cases" / "louyuan-sanbu.md").read_bytes() == before


def test_submit_review_publish(staff: dict[str, FlaskClient], client: FlaskClient, content_dir: Path) -> None:
    editor, reviewer = staff["editor1"], staff["reviewer1"]
    assert _create(editor, action="submit").status_code == 302
    assert "status: submitted" in (content_dir / "cases" / "louyuan-sanbu.md").read_text(encoding="utf-8")
    dash = reviewer.get("/staff/").get_data(as_text=True)
    assert re.search(r'待审核 <span class="count">1</span>', dash)
    # an editor cannot publish
    tok = token(editor, "/staff/review/case/louyuan-sanbu")
    editor.post("/staff/status/case/louyuan-sanbu", data=publish_form(editor, "case", "louyuan-sanbu"))
    assert client.get("/cases/louyuan-sanbu").status_code == 404
    tok = token(reviewer, "/staff/review/case/louyuan-sanbu")
    reviewer.post("/staff/status/case/louyuan-sanbu", data=publish_form(reviewer, "case", "louyuan-sanbu"))
    page = client.get("/cases/louyuan-sanbu")
    assert page.status_code == 200 and "先成立楼院党小组" in page.get_data(as_text=True)
    assert _search(client, "楼院党小组") == ["louyuan-sanbu"]
    # unpublish takes it down again
    reviewer.post("/staff/status/case/louyuan-sanbu", data={"to": "draft", "csrf_token": tok})
    assert client.get("/cases/louyuan-sanbu").status_code == 404
    assert _search(client, "楼院党小组") == []


def _publish_new(staff: dict[str, FlaskClient]) -> None:
    assert _create(staff["reviewer1"], action="publish").status_code == 302


def test_edit_of_published_entry_waits_for_review(
    staff: dict[str, FlaskClient], client: FlaskClient, content_dir: Path
) -> None:
    _publish_new(staff)
    path = content_dir / "cases" / "louyuan-sanbu.md"
    published = path.read_bytes()
    editor = staff["editor1"]
    data = {**form_of(editor, "/staff/edit/case/louyuan-sanbu"), **entry_form(body="## 做法\n\n改为先开楼院议事会。")}
    r = editor.post("/staff/edit/case/louyuan-sanbu", data={**data, "action": "save"})
    assert r.status_code == 302
    assert path.read_bytes() == published  # the file is untouched
    assert "先成立楼院党小组" in client.get("/cases/louyuan-sanbu").get_data(as_text=True)
    assert _search(client, "楼院议事会") == []
    # the editor sees their pending text when they come back
    assert "改为先开楼院议事会" in editor.get("/staff/edit/case/louyuan-sanbu").get_data(as_text=True)
    review = staff["reviewer1"].get("/staff/review/case/louyuan-sanbu").get_data(as_text=True)
    assert "<del>先成立楼院党小组</del><ins>改为先开楼院议事会</ins>。" in review  # a character-level diff
    staff["reviewer1"].post(
        "/staff/status/case/louyuan-sanbu", data=publish_form(staff["reviewer1"], "case", "louyuan-sanbu")
    )
    assert "改为先开楼院议事会" in path.read_text(encoding="utf-8")
    assert "改为先开楼院议事会" in client.get("/cases/louyuan-sanbu").get_data(as_text=True)
    assert _search(client, "楼院议事会") == ["louyuan-sanbu"]


def test_second_save_does_not_overwrite_the_first(staff: dict[str, FlaskClient], content_dir: Path) -> None:
    assert _create(staff["editor1"]).status_code == 302
    one, two = staff["editor1"], staff["editor2"]
    form_one = form_of(one, "/staff/edit/case/louyuan-sanbu")
    form_two = form_of(two, "/staff/edit/case/louyuan-sanbu")
    r1 = one.post("/staff/edit/case/louyuan-sanbu", data={**form_one, **entry_form(body="甲的修改。")})
    assert r1.status_code == 302
    r2 = two.post("/staff/edit/case/louyuan-sanbu", data={**form_two, **entry_form(body="乙的修改。")})
    assert r2.status_code == 409
    html = r2.get_data(as_text=True)
    assert "保存冲突" in html and "乙的修改。" in html and "甲的修改。" in html
    text = (content_dir / "cases" / "louyuan-sanbu.md").read_text(encoding="utf-8")
    assert "甲的修改" in text and "乙的修改" not in text
    # the conflict form carries the new base: saving again (after merging) goes through
    new_base = BASE_RE.search(html)
    new_token = TOKEN_RE.search(html)
    assert new_base and new_token
    data = {"csrf_token": new_token.group(1), "base": new_base.group(1), **entry_form(body="甲乙合并。")}
    assert two.post("/staff/edit/case/louyuan-sanbu", data=data).status_code == 302
    assert "甲乙合并" in (content_dir / "cases" / "louyuan-sanbu.md").read_text(encoding="utf-8")


def test_history_and_restore(staff: dict[str, FlaskClient], app: Flask, content_dir: Path) -> None:
    editor, reviewer = staff["editor1"], staff["reviewer1"]
    assert _create(editor).status_code == 302
    for body in ("第二版正文。", "第三版正文。"):
        data = {**form_of(editor, "/staff/edit/case/louyuan-sanbu"), **entry_form(body=body)}
        assert editor.post("/staff/edit/case/louyuan-sanbu", data=data).status_code == 302
    history = reviewer.get("/staff/history/case/louyuan-sanbu").get_data(as_text=True)
    assert history.count('class="revision"') == 3
    assert "第<del>二</del><ins>三</ins>版正文。" in history
    with app.app_context():
        first = db.session.query(Revision).order_by(Revision.id).first()
        assert first is not None
        first_id = first.id
    # editors cannot restore; reviewers can, and a restore is itself a new revision
    tok = token(editor, "/staff/history/case/louyuan-sanbu")
    assert editor.post(f"/staff/restore/{first_id}", data={"csrf_token": tok}).status_code == 403
    tok = token(reviewer, "/staff/history/case/louyuan-sanbu")
    assert reviewer.post(f"/staff/restore/{first_id}", data={"csrf_token": tok}).status_code == 302
    assert "先成立楼院党小组" in (content_dir / "cases" / "louyuan-sanbu.md").read_text(encoding="utf-8")
    with app.app_context():
        revisions = db.session.query(Revision).order_by(Revision.id).all()
        assert [r.action for r in revisions] == ["create", "edit", "edit", "restore"]
        assert revisions[-1].author == "reviewer1"
        actions = {e.action for e in db.session.query(AuditEvent)}
    assert {"login", "create", "edit", "restore"} <= actions


def test_expired_token_brings_the_form_back_with_the_text(staff: dict[str, FlaskClient], content_dir: Path) -> None:
    editor = staff["editor1"]
    data = {**entry_form(body="一个小时的写作成果。"), "slug": "louyuan-sanbu", "csrf_token": "expired", "base": ""}
    r = editor.post("/staff/new/case", data=data)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "一个小时的写作成果。" in html and "页面已过期" in html
    fresh = TOKEN_RE.search(html)
    assert fresh and fresh.group(1) != "expired"
    assert not (content_dir / "cases" / "louyuan-sanbu.md").exists()
    assert editor.post("/staff/new/case", data={**data, "csrf_token": fresh.group(1)}).status_code == 302


def test_expired_login_keeps_the_text(staff: dict[str, FlaskClient], app: Flask) -> None:
    stranger = app.test_client()  # no session at all: as after the session cookie expired
    data = {**entry_form(body="写了很久的内容。"), "slug": "abc", "csrf_token": "whatever", "base": ""}
    r = stranger.post("/staff/new/case", data=data)
    assert r.status_code == 401  # the role check answers first (issue 13): only the typed text comes back
    html = r.get_data(as_text=True)
    assert "写了很久的内容。" in html and "登录已失效" in html
    assert 'name="csrf_token"' not in html  # a page to copy from, not the editor


def test_long_transcript_saves_through_the_form(staff: dict[str, FlaskClient], content_dir: Path) -> None:
    paragraph = "居民代表在楼院议事会上发言，讨论加装电梯和停车管理的具体办法。" * 10
    body = "\n\n".join(f"**问{n}：**{paragraph}" for n in range(650))
    assert len(body) >= 200_000
    r = _create(staff["editor1"], body=body)
    assert r.status_code == 302, r.status_code
    saved = (content_dir / "cases" / "louyuan-sanbu.md").read_text(encoding="utf-8")
    assert saved.count("**问") == 650
    data = {**form_of(staff["editor1"], "/staff/edit/case/louyuan-sanbu"), **entry_form(body=body + "\n\n补充一句。")}
    assert staff["editor1"].post("/staff/edit/case/louyuan-sanbu", data=data).status_code == 302
    history = staff["editor1"].get("/staff/history/case/louyuan-sanbu").get_data(as_text=True)
    assert "补充一句。↵\n</ins>" in history


def test_preview_uses_the_public_sanitizer(staff: dict[str, FlaskClient]) -> None:
    editor = staff["editor1"]
    tok = token(editor, "/staff/new/case")
    r = editor.post(
        "/staff/preview",
        json={"body": "## 标题\n\n*强调*<script>alert(1)</script>[x](javascript:alert(1))"},
        headers={"X-CSRFToken": tok},
    )
    html = r.get_json()["html"]
    assert "<h2" in html and "<em>强调</em>" in html
    assert "<script" not in html and "javascript:" not in html
    assert editor.post("/staff/preview", json={"body": "x"}).status_code == 400  # no token


def test_glossary_edit_is_validated_and_applied(
    staff: dict[str, FlaskClient], client: FlaskClient, write_entry: Callable[..., Path], resync: Callable[[], Any]
) -> None:
    write_entry("case", "laojiu", body="老旧散楼院的改造经验。", title="老旧散楼院")
    resync()
    reviewer = staff["reviewer1"]
    tok = token(reviewer, "/staff/settings/glossary")
    bad = "- term: 无主管楼院\n  synonyms: [三无楼院\n"
    r = reviewer.post("/staff/settings/glossary", data={"text": bad, "csrf_token": tok})
    assert r.status_code == 422 and "glossary.yml:" in r.get_data(as_text=True)
    assert "三无楼院" in r.get_data(as_text=True)
    good = "- term: 无主管楼院\n  synonyms: [三无楼院, 老旧散楼院]\n"
    assert reviewer.post("/staff/settings/glossary", data={"text": good, "csrf_token": tok}).status_code == 302
    assert _search(client, "三无楼院") == ["laojiu"]


def test_publishing_commits_when_the_content_folder_is_a_git_repository(
    staff: dict[str, FlaskClient], content_dir: Path
) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-C", str(content_dir), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    assert _create(staff["editor1"], action="submit").status_code == 302
    reviewer = staff["reviewer1"]
    reviewer.post("/staff/status/case/louyuan-sanbu", data=publish_form(reviewer, "case", "louyuan-sanbu"))
    log = subprocess.run([*git, "log", "--format=%an|%s"], capture_output=True, text=True, check=True).stdout
    assert log.splitlines()[0] == "reviewer1|发布 case/louyuan-sanbu: 楼院自治的三个步骤"


def test_saving_an_entry_whose_file_vanished_keeps_the_text(staff: dict[str, FlaskClient], content_dir: Path) -> None:
    assert _create(staff["editor1"]).status_code == 302
    editor = staff["editor1"]
    form = form_of(editor, "/staff/edit/case/louyuan-sanbu")
    (content_dir / "cases" / "louyuan-sanbu.md").unlink()
    r = editor.post("/staff/edit/case/louyuan-sanbu", data={**form, **entry_form(body="刚写好的一段话。")})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "已不存在" in html and "刚写好的一段话。" in html
