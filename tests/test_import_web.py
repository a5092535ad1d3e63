"""/staff/import and /staff/convert through the Flask test client, as a logged-in editor."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casebook.db import db
from casebook.models import EntryRow
from casebook.staff.models import AuditEvent, Revision

from .convertkit import interview_docx, png
from .staffkit import staff_client, token

JSON = {"Accept": "application/json"}


@pytest.fixture
def editor(app: Flask, resync: Callable[[], Any]) -> FlaskClient:
    resync()
    return staff_client(app, "编辑小王", "editor")


def post_import(client: FlaskClient, data: bytes, name: str, **fields: str) -> Any:
    form: dict[str, Any] = {"kind": "interview", "topic": "louyuan", "csrf_token": token(client, "/staff/import")}
    form.update(fields)
    form["file"] = (io.BytesIO(data), name)
    return client.post("/staff/import", data=form, content_type="multipart/form-data")


def test_dashboard_links_to_the_import_page(editor: FlaskClient) -> None:
    page = editor.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/import"' in page
    form = editor.get("/staff/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and "第1期·无主管楼院治理" in form


def test_import_lands_in_the_editor_with_the_report(editor: FlaskClient, app: Flask, content_dir: Path) -> None:
    response = post_import(editor, interview_docx(picture=png(900, 600)), "访谈记录.docx")
    assert response.status_code == 302
    match = re.match(r"^/staff/edit/interview/ba-lou-yuan-guan-qi-lai\?saved=1&imported=(\d+)$", response.location)
    assert match, response.location
    event_id = int(match.group(1))
    page = editor.get(response.location).get_data(as_text=True)
    assert 'value="把楼院管起来"' in page and "已导入为草稿" in page
    assert "**问：**楼院没人管，先做什么？" in page
    assert 'class="tidy-body"' in page  # the 整理格式 button is in the toolbar

    text = (content_dir / "interviews" / "ba-lou-yuan-guan-qi-lai.md").read_text(encoding="utf-8")
    assert "status: draft" in text and "](media/uploads/" in text
    with app.app_context():
        row = db.session.scalar(select(EntryRow).where(EntryRow.slug == "ba-lou-yuan-guan-qi-lai"))
        assert row is not None and row.status == "draft"
        revisions = db.session.scalars(select(Revision).where(Revision.slug == "ba-lou-yuan-guan-qi-lai")).all()
        assert [(r.action, r.author) for r in revisions] == [("create", "编辑小王")]
        event = db.session.get(AuditEvent, event_id)
        assert event is not None and (event.action, event.target) == ("import", "interview/ba-lou-yuan-guan-qi-lai")
        assert event.detail.startswith("文件：访谈记录.docx\n已转换：")

    report = editor.get(f"/staff/import/report/{event_id}.json", headers=JSON).get_json()
    assert report["report"][0] == "文件：访谈记录.docx" and any("1 张图片已保存" in line for line in report["report"])
    html = editor.get(f"/staff/import/report/{event_id}").get_data(as_text=True)
    assert "导入报告" in html and "1 张图片已保存到 media/uploads/" in html
    assert editor.get("/search?q=楼院党小组").status_code == 200
    audit_page = editor.get("/staff/history/interview/ba-lou-yuan-guan-qi-lai").get_data(as_text=True)
    assert "编辑小王" in audit_page


def test_a_second_import_of_the_same_title_gets_its_own_slug(editor: FlaskClient, content_dir: Path) -> None:
    assert post_import(editor, interview_docx(), "a.docx").status_code == 302
    second = post_import(editor, interview_docx(), "a.docx")
    assert second.status_code == 302 and "/ba-lou-yuan-guan-qi-lai-2?" in second.location
    taken = post_import(editor, interview_docx(), "a.docx", slug="ba-lou-yuan-guan-qi-lai")
    assert taken.status_code == 422 and "已被占用" in taken.get_data(as_text=True)


def test_a_rejected_upload_comes_back_filled_in(editor: FlaskClient, content_dir: Path) -> None:
    response = post_import(editor, b"%PDF-1.4 not a docx", "report.docx", title="我填的标题", slug="my-slug")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "不是 .docx 格式" in page and "请改正后重新选择文件" in page
    assert 'value="我填的标题"' in page and 'value="my-slug"' in page
    assert list((content_dir / "interviews").iterdir()) == []
    bad_topic = post_import(editor, interview_docx(), "a.docx", topic="nope")
    assert bad_topic.status_code == 422 and "请选择主题" in bad_topic.get_data(as_text=True)
    empty = post_import(editor, b"", "空白.docx", title="我填的标题")
    page = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "文件“空白.docx”是空的" in page and 'value="我填的标题"' in page


def test_a_file_larger_than_the_apps_usual_limit_reaches_the_importer(editor: FlaskClient) -> None:
    big = b"x" * (25 * 1024 * 1024)  # over the 20 MB every other form is held to, under the 50 MB for imports
    response = post_import(editor, big, "big.docx")
    assert response.status_code == 422 and "不是 .docx 格式" in response.get_data(as_text=True)


def test_import_needs_login_and_a_token(client: FlaskClient, editor: FlaskClient, content_dir: Path) -> None:
    assert client.get("/staff/import").status_code == 302
    anonymous = client.post("/staff/import", data={"kind": "case"})
    assert anonymous.status_code in (302, 400, 401)
    expired = editor.post(
        "/staff/import",
        data={"kind": "salon", "topic": "louyuan", "title": "留着", "file": (io.BytesIO(b"x"), "a.txt")},
        content_type="multipart/form-data",
    )
    page = expired.get_data(as_text=True)
    assert expired.status_code == 400 and "页面已过期" in page and 'value="留着"' in page
    assert list((content_dir / "salons").iterdir()) == []


def test_convert_endpoint(editor: FlaskClient, client: FlaskClient) -> None:
    csrf = {"X-CSRFToken": token(editor, "/staff/new/case"), **JSON}
    html = "<p><strong>一、背景</strong></p><p>第一行<br>第二行</p><p>1、甲</p><p>2、乙</p>"
    answer = editor.post("/staff/convert", json={"html": html}, headers=csrf)
    assert answer.status_code == 200
    assert answer.get_json()["markdown"] == "## 一、背景\n\n第一行\n\n第二行\n\n1. 甲\n2. 乙\n"
    assert answer.get_json()["report"][0].startswith("已转换：2 段，1 个标题，1 个列表")
    text = editor.post("/staff/convert", json={"text": "标题行\n问：好吗？\n答：好。"}, headers=csrf).get_json()
    assert text["markdown"] == "标题行\n\n**问：**好吗？\n\n**答：**好。\n"  # a paste keeps its first line
    tidy = editor.post("/staff/convert", json={"tidy": "一、做法\n　　正文"}, headers=csrf).get_json()
    assert tidy == {"markdown": "## 一、做法\n\n正文\n", "report": []}
    assert editor.post("/staff/convert", json={"nothing": 1}, headers=csrf).status_code == 400
    assert editor.post("/staff/convert", json={"text": "字" * 4_000_001}, headers=csrf).status_code == 413
    assert editor.post("/staff/convert", json={"html": html}, headers=JSON).status_code == 400  # no CSRF token
    assert client.post("/staff/convert", json={"html": html}, headers=JSON).status_code in (400, 401)


def test_pasted_pictures_with_data_are_stored_like_uploads(editor: FlaskClient, content_dir: Path) -> None:
    import base64

    uri = "data:image/png;base64," + base64.b64encode(png(1000, 500)).decode()
    csrf = {"X-CSRFToken": token(editor, "/staff/new/case"), **JSON}
    html = f'<p>前文</p><p><img src="{uri}" alt="贴进来的图"></p><p><img src="https://elsewhere.example/x.png"></p>'
    answer = editor.post("/staff/convert", json={"html": html}, headers=csrf).get_json()
    match = re.search(r"!\[贴进来的图\]\(media/(uploads/\d{4}/[0-9a-f]{16}-1000w\.png)\)", answer["markdown"])
    assert match, answer
    assert (content_dir / "media" / match.group(1)).is_file()
    assert "](https://elsewhere.example" not in answer["markdown"]
    assert "<!-- 此处原有第 2 张图片（x.png，来自 elsewhere.example）" in answer["markdown"]
    assert any("elsewhere.example 不在允许的图片网站之列" in line for line in answer["report"])


def test_html_nested_too_deep_is_refused_in_chinese_not_a_crash(editor: FlaskClient) -> None:
    deep = "<div>" * 3000 + "正文" + "</div>" * 3000
    tok = token(editor, "/staff/new/case")
    answer = editor.post("/staff/convert", json={"html": deep}, headers={"X-CSRFToken": tok})
    assert answer.status_code == 422 and "嵌套太深" in answer.get_json()["error"]
    refused = post_import(editor, deep.encode(), "深.html")
    assert refused.status_code == 422 and "嵌套太深" in refused.get_data(as_text=True)
