"""Review actions through the HTTP client: publishing only what the reviewer saw, same-site redirects."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .staffkit import TOKEN_RE, entry_form, form_of, staff_client, token

VERSION_RE = re.compile(r'name="version" value="([^"]+)"')


@pytest.fixture
def staff(app: Flask, resync: Callable[[], Any]) -> dict[str, FlaskClient]:
    resync()
    return {name: staff_client(app, name, role) for name, role in (("editor1", "editor"), ("reviewer1", "reviewer"))}


def _save(client: FlaskClient, url: str, action: str = "save", **fields: str) -> None:
    data = {**form_of(client, url), **entry_form(**fields), "action": action}
    if url.endswith("/new/case"):
        data["slug"] = "louyuan-shenhe"
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def _review_form(client: FlaskClient) -> dict[str, str]:
    html = client.get("/staff/review/case/louyuan-shenhe").get_data(as_text=True)
    version, tok = VERSION_RE.search(html), TOKEN_RE.search(html)
    assert version and tok, html[:1000]
    return {"csrf_token": tok.group(1), "version": version.group(1), "to": "published"}


def test_publish_refuses_text_changed_after_the_review_page_was_opened(
    staff: dict[str, FlaskClient], client: FlaskClient, content_dir: Path
) -> None:
    editor, reviewer = staff["editor1"], staff["reviewer1"]
    _save(editor, "/staff/new/case", action="submit", body="先成立楼院党小组。")
    seen = _review_form(reviewer)
    # the editor changes the submitted entry while the reviewer is reading it
    _save(editor, "/staff/edit/case/louyuan-shenhe", body="先成立楼院党小组。未经审核的新段落。")
    refused = reviewer.post("/staff/status/case/louyuan-shenhe", data=seen, follow_redirects=True)
    assert refused.status_code == 200 and "又有新的修改" in refused.get_data(as_text=True)
    assert client.get("/cases/louyuan-shenhe").status_code == 404
    assert "status: submitted" in (content_dir / "cases" / "louyuan-shenhe.md").read_text(encoding="utf-8")
    # after looking again, publishing works
    reviewer.post("/staff/status/case/louyuan-shenhe", data=_review_form(reviewer))
    page = client.get("/cases/louyuan-shenhe")
    assert page.status_code == 200 and "未经审核的新段落" in page.get_data(as_text=True)


def test_publish_refuses_a_pending_edit_replaced_after_the_review_page_was_opened(
    staff: dict[str, FlaskClient], client: FlaskClient
) -> None:
    editor, reviewer = staff["editor1"], staff["reviewer1"]
    _save(reviewer, "/staff/new/case", action="publish", body="已发布的正文。")
    _save(editor, "/staff/edit/case/louyuan-shenhe", body="第一次修改。")
    seen = _review_form(reviewer)
    _save(editor, "/staff/edit/case/louyuan-shenhe", body="第二次修改，审核人没有看过。")
    reviewer.post("/staff/status/case/louyuan-shenhe", data=seen)
    html = client.get("/cases/louyuan-shenhe").get_data(as_text=True)
    assert "已发布的正文" in html and "第二次修改" not in html
    reviewer.post("/staff/status/case/louyuan-shenhe", data=_review_form(reviewer))
    assert "第二次修改" in client.get("/cases/louyuan-shenhe").get_data(as_text=True)


@pytest.mark.parametrize("back", ["https://evil.example/staff/", "//evil.example/", "/\\evil.example"])
def test_status_change_redirects_only_within_the_site(staff: dict[str, FlaskClient], back: str) -> None:
    editor = staff["editor1"]
    _save(editor, "/staff/new/case")
    data = {"csrf_token": token(editor, "/staff/review/case/louyuan-shenhe"), "to": "submitted", "back": back}
    response = editor.post("/staff/status/case/louyuan-shenhe", data=data)
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    same_site = editor.post("/staff/status/case/louyuan-shenhe", data={**data, "back": "/staff/entries"})
    assert same_site.headers["Location"] == "/staff/entries"


BASE_RE = re.compile(r'name="base" value="([^"]*)"')


def _settings_form(client: FlaskClient) -> dict[str, str]:
    html = client.get("/staff/settings/glossary").get_data(as_text=True)
    base, tok = BASE_RE.search(html), TOKEN_RE.search(html)
    assert base and tok, html[:1000]
    return {"csrf_token": tok.group(1), "base": base.group(1)}


def test_glossary_saved_meanwhile_is_a_conflict_not_overwritten(
    app: Flask, staff: dict[str, FlaskClient], content_dir: Path
) -> None:
    other = staff_client(app, "reviewer2", "reviewer")
    first, second = _settings_form(staff["reviewer1"]), _settings_form(other)
    theirs = "- term: 无主管楼院\n  synonyms: [三无楼院]\n"
    saved = other.post("/staff/settings/glossary", data={**second, "text": theirs})
    assert saved.status_code == 302
    mine = "- term: 网格员\n  synonyms: [网格长]\n"
    refused = staff["reviewer1"].post("/staff/settings/glossary", data={**first, "text": mine})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "保存冲突" in html and "网格长" in html and "三无楼院" in html  # both texts on the page
    assert (content_dir / "glossary.yml").read_text(encoding="utf-8") == theirs
    # saving again from the conflict page (now based on their version) goes through
    base = BASE_RE.search(html)
    tok = TOKEN_RE.search(html)
    assert base and tok
    merged = theirs + mine
    again = staff["reviewer1"].post(
        "/staff/settings/glossary", data={"csrf_token": tok.group(1), "base": base.group(1), "text": merged}
    )
    assert again.status_code == 302
    assert (content_dir / "glossary.yml").read_text(encoding="utf-8") == merged


def test_publish_without_the_version_the_reviewer_saw_is_refused(
    staff: dict[str, FlaskClient], client: FlaskClient, content_dir: Path
) -> None:
    _save(staff["editor1"], "/staff/new/case", action="submit", body="先成立楼院党小组。")
    form = _review_form(staff["reviewer1"])
    del form["version"]  # a hand-made POST (or an old page) that leaves the version out
    refused = staff["reviewer1"].post("/staff/status/case/louyuan-shenhe", data=form)
    assert refused.status_code == 409 and "缺少审核页上的版本信息" in refused.get_data(as_text=True)
    assert client.get("/cases/louyuan-shenhe").status_code == 404
    assert "status: submitted" in (content_dir / "cases" / "louyuan-shenhe.md").read_text(encoding="utf-8")
