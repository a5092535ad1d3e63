"""The review loop that talks: returns with a comment (需修改), comment threads, and readable diffs.

Everything goes through the HTTP client with real files, database and index; the fixtures build
their own content (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from casebook import create_app
from casebook.db import db
from casebook.staff import accounts
from casebook.staff.models import AuditEvent, ReviewComment, Revision

from .staffkit import TOKEN_RE, entry_form, form_of, staff_client, token

SLUG = "louyuan-tuihui"
EDIT = f"/staff/edit/case/{SLUG}"
REVIEW = f"/staff/review/case/{SLUG}"
VERSION_RE = re.compile(r'name="version" value="([^"]+)"')
FIELD_ROW_RE = re.compile(r'<th scope="row">([^<]*)</th>')


@pytest.fixture
def staff(app: Flask, resync: Callable[[], Any]) -> dict[str, FlaskClient]:
    resync()
    accounts_ = (("editor1", "editor"), ("editor2", "editor"), ("reviewer1", "reviewer"))
    return {name: staff_client(app, name, role) for name, role in accounts_}


def _save(client: FlaskClient, url: str, action: str = "save", **fields: str) -> None:
    data = {**form_of(client, url), **entry_form(**fields), "action": action}
    if url.endswith("/new/case"):
        data["slug"] = SLUG
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def _review_form(client: FlaskClient) -> dict[str, str]:
    html = client.get(REVIEW).get_data(as_text=True)
    version, tok = VERSION_RE.search(html), TOKEN_RE.search(html)
    assert version and tok, html[:1000]
    return {"csrf_token": tok.group(1), "version": version.group(1)}


def _return(client: FlaskClient, comment: str) -> Any:
    return client.post(f"/staff/return/case/{SLUG}", data={**_review_form(client), "comment": comment})


def _section(html: str, heading: str) -> str:
    """The dashboard section under ``<h2>heading …``."""
    start = html.index(f"<h2>{heading}")
    return html[start : html.index("</section>", start)]


def _published_with_pending_edit(staff: dict[str, FlaskClient]) -> None:
    _save(staff["reviewer1"], "/staff/new/case", action="publish", body="## 做法\n\n先成立楼院党小组。")
    _save(staff["editor1"], EDIT, body="## 做法\n\n改为先开楼院议事会。")


def _revisions(app: Flask) -> list[Revision]:
    with app.app_context():
        return list(db.session.scalars(select(Revision).where(Revision.slug == SLUG).order_by(Revision.id)))


def _comments(app: Flask) -> list[ReviewComment]:
    with app.app_context():
        return list(db.session.scalars(select(ReviewComment).order_by(ReviewComment.id)))


def test_returned_edit_goes_back_to_its_editor_with_the_comment(
    staff: dict[str, FlaskClient], client: FlaskClient, app: Flask, content_dir: Path
) -> None:
    _published_with_pending_edit(staff)
    published = (content_dir / "cases" / f"{SLUG}.md").read_bytes()
    r = _return(staff["reviewer1"], "第二段请补充议事会的次数。\n其他都可以。")
    assert r.status_code == 302
    # nothing is discarded: the edit is kept as a returned revision, the published file is untouched
    assert [rev.state for rev in _revisions(app)] == ["written", "returned"]
    assert (content_dir / "cases" / f"{SLUG}.md").read_bytes() == published
    public = client.get(f"/cases/{SLUG}").get_data(as_text=True)
    assert "先成立楼院党小组" in public and "改为先开楼院议事会" not in public
    # the editor (another account) finds it on the dashboard, with the comment's first line
    mine = _section(staff["editor1"].get("/staff/").get_data(as_text=True), "退回给我")
    assert '退回给我 <span class="count">1</span>' in mine
    assert "第二段请补充议事会的次数。" in mine and "其他都可以" not in mine and f"/staff/edit/case/{SLUG}" in mine
    others = _section(staff["editor2"].get("/staff/").get_data(as_text=True), "退回给我")
    assert '退回给我 <span class="count">0</span>' in others
    # the editor page opens with the returned text and the comment at the top
    editor_page = staff["editor1"].get(EDIT).get_data(as_text=True)
    assert "改为先开楼院议事会" in editor_page
    top = editor_page[editor_page.index("</h1>") : editor_page.index('<form class="editor"')]
    assert "需修改" in top and "第二段请补充议事会的次数。\n其他都可以。" in top and "reviewer1" in top
    # the staff preview shows the returned text, saying it is that and not what is published
    preview = staff["editor1"].get(f"/staff/view/case/{SLUG}").get_data(as_text=True)
    assert "改为先开楼院议事会" in preview and "被退回的修改，尚未发布" in preview
    # it left the review queue and waits for its editor instead
    queue = staff["reviewer1"].get("/staff/review").get_data(as_text=True)
    assert '待审核 <span class="count">0</span>' in queue and "需修改" in queue
    with app.app_context():
        events = [(e.action, e.user) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("return", "reviewer1") in events
    # saving again makes a new pending revision and clears 需修改
    _save(staff["editor1"], EDIT, body="## 做法\n\n改为先开楼院议事会，每月一次。")
    assert [rev.state for rev in _revisions(app)] == ["written", "returned", "pending"]
    mine = _section(staff["editor1"].get("/staff/").get_data(as_text=True), "退回给我")
    assert '退回给我 <span class="count">0</span>' in mine
    queue = staff["reviewer1"].get("/staff/review").get_data(as_text=True)
    assert '待审核 <span class="count">1</span>' in queue and "曾退回，已重新提交" in queue
    assert "需修改" not in staff["editor1"].get(EDIT).get_data(as_text=True)
    # the reviewer can see what changed since the return
    review = staff["reviewer1"].get(REVIEW).get_data(as_text=True)
    assert "与上次退回的版本相比" in review and "<ins>，每月一次</ins>" in review
    # once published, a later edit is not marked as returned any more
    staff["reviewer1"].post(f"/staff/status/case/{SLUG}", data={**_review_form(staff["reviewer1"]), "to": "published"})
    assert "每月一次" in client.get(f"/cases/{SLUG}").get_data(as_text=True)
    _save(staff["editor1"], EDIT, body="## 做法\n\n改为先开楼院议事会，每月一次，轮流主持。")
    queue = staff["reviewer1"].get("/staff/review").get_data(as_text=True)
    assert '待审核 <span class="count">1</span>' in queue and "曾退回" not in queue


def test_returned_submitted_entry_becomes_a_draft_marked_needs_changes(
    staff: dict[str, FlaskClient], app: Flask, content_dir: Path
) -> None:
    _save(staff["editor1"], "/staff/new/case", action="submit", body="先成立楼院党小组。")
    path = content_dir / "cases" / f"{SLUG}.md"
    before = path.read_text(encoding="utf-8")
    assert "status: submitted" in before
    # never published: the review page shows the whole article as the public page will
    page = staff["reviewer1"].get(REVIEW).get_data(as_text=True)
    assert "从未发布过，以下是全文" in page and '<article class="entry' in page and "先成立楼院党小组。" in page
    assert _return(staff["reviewer1"], "标题太长，请改短。").status_code == 302
    after = path.read_text(encoding="utf-8")
    assert after == before.replace("status: submitted", "status: draft")  # text untouched
    assert _revisions(app)[-1].action == "return"
    (comment,) = _comments(app)
    assert (comment.action, comment.author, comment.addressed_to) == ("return", "reviewer1", "editor1")
    badge = '<span class="badge status-draft">草稿</span> <span class="badge status-returned"'
    drafts = _section(staff["editor1"].get("/staff/").get_data(as_text=True), "我的草稿")
    assert badge in drafts
    assert badge in staff["editor1"].get("/staff/entries").get_data(as_text=True)
    assert "楼院自治的三个步骤" in staff["editor1"].get("/staff/entries?status=returned").get_data(as_text=True)
    mine = _section(staff["editor1"].get("/staff/").get_data(as_text=True), "退回给我")
    assert '<span class="count">1</span>' in mine and "标题太长，请改短。" in mine
    # resubmitting clears 需修改
    tok = token(staff["editor1"], REVIEW)
    staff["editor1"].post(f"/staff/status/case/{SLUG}", data={"to": "submitted", "csrf_token": tok})
    assert "status: submitted" in path.read_text(encoding="utf-8")
    mine = _section(staff["editor1"].get("/staff/").get_data(as_text=True), "退回给我")
    assert '<span class="count">0</span>' in mine
    assert "status-returned" not in staff["editor1"].get("/staff/entries").get_data(as_text=True)


def test_a_return_goes_to_who_wrote_the_text_not_to_who_submitted_it(staff: dict[str, FlaskClient], app: Flask) -> None:
    _save(staff["editor1"], "/staff/new/case", body="editor1 写的正文。")
    submitted = staff["editor2"].post(
        f"/staff/status/case/{SLUG}", data={**_review_form(staff["editor2"]), "to": "submitted"}
    )
    assert submitted.status_code == 302
    assert _return(staff["reviewer1"], "请补充做法。").status_code == 302
    assert [c.addressed_to for c in _comments(app)] == ["editor1"]
    for name, count in (("editor1", 1), ("editor2", 0)):
        mine = _section(staff[name].get("/staff/").get_data(as_text=True), "退回给我")
        assert f'退回给我 <span class="count">{count}</span>' in mine


@pytest.mark.parametrize("comment", ["", "  \n  "])
def test_return_without_a_comment_is_refused_and_nothing_changes(
    staff: dict[str, FlaskClient], app: Flask, comment: str
) -> None:
    _published_with_pending_edit(staff)
    r = _return(staff["reviewer1"], comment)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请填写退回意见" in html and 'aria-invalid="true"' in html
    assert [rev.state for rev in _revisions(app)] == ["written", "pending"]
    assert _comments(app) == []


def test_a_refused_comment_comes_back_with_everything_typed(staff: dict[str, FlaskClient], app: Flask) -> None:
    _published_with_pending_edit(staff)
    too_long = "请补充居民议事的具体流程。" * 200
    r = _return(staff["reviewer1"], too_long)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "不能超过 2000 字" in html and too_long in html
    assert [rev.state for rev in _revisions(app)] == ["written", "pending"]
    # an expired form keeps the comment too
    data = {"csrf_token": "expired", "comment": "这段写得很好，请再补一张照片。"}
    r = staff["reviewer1"].post(f"/staff/return/case/{SLUG}", data=data)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "页面已过期" in html and "这段写得很好，请再补一张照片。" in html
    assert _comments(app) == []


def test_editors_cannot_return(staff: dict[str, FlaskClient], app: Flask) -> None:
    _published_with_pending_edit(staff)
    editor = staff["editor2"]
    page = editor.get(REVIEW).get_data(as_text=True)
    assert "退回修改" not in page and "发表评论" in page
    assert f'formaction="/staff/return/case/{SLUG}"' in staff["reviewer1"].get(REVIEW).get_data(as_text=True)
    tok = token(editor, REVIEW)
    for url in (f"/staff/return/case/{SLUG}", f"/staff/discard/case/{SLUG}"):
        assert editor.post(url, data={"csrf_token": tok, "comment": "退回！"}).status_code == 403
    assert [rev.state for rev in _revisions(app)] == ["written", "pending"]
    assert _comments(app) == []


def test_the_old_discard_address_also_returns_with_a_comment(staff: dict[str, FlaskClient], app: Flask) -> None:
    _published_with_pending_edit(staff)
    reviewer = staff["reviewer1"]
    assert reviewer.post(f"/staff/discard/case/{SLUG}", data=_review_form(reviewer)).status_code == 422
    data = {**_review_form(reviewer), "comment": "请再核对一下。"}
    assert reviewer.post(f"/staff/discard/case/{SLUG}", data=data).status_code == 302
    assert [rev.state for rev in _revisions(app)] == ["written", "returned"]


def test_return_refuses_a_text_changed_after_the_review_page_was_opened(
    staff: dict[str, FlaskClient], app: Flask
) -> None:
    _published_with_pending_edit(staff)
    seen = _review_form(staff["reviewer1"])
    _save(staff["editor1"], EDIT, body="又改了一次，审核人没有看过。")
    r = staff["reviewer1"].post(f"/staff/return/case/{SLUG}", data={**seen, "comment": "请补充。"})
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "又有新的修改" in html and "请补充。" in html
    assert [rev.state for rev in _revisions(app)] == ["written", "superseded", "pending"]


def test_field_table_lists_exactly_the_changed_fields(staff: dict[str, FlaskClient]) -> None:
    _save(
        staff["reviewer1"],
        "/staff/new/case",
        action="publish",
        summary="一句摘要。",
        tags="楼院、自治",
        body="楼院议事会每月开一次。",
    )
    _save(
        staff["editor1"],
        EDIT,
        title="楼院自治三步走",
        summary="一句摘要。",
        tags="楼院、议事会",
        body="楼院议事会每周开一次。",
    )
    html = staff["reviewer1"].get(REVIEW).get_data(as_text=True)
    table = html[html.index('<table class="plain field-diff">') : html.index("</table>")]
    assert FIELD_ROW_RE.findall(table) == ["标题", "标签"]  # not 摘要, 日期 … and never 状态
    assert "<del>楼院自治的三个步骤</del>" in table and "<ins>楼院自治三步走</ins>" in table
    assert "<del>楼院、自治</del>" in table and "<ins>楼院、议事会</ins>" in table
    assert "status" not in table and "状态" not in html[html.index("与已发布版本的差异") :]
    # the body as a character-level diff with a legend
    assert "楼院议事会每<del>月</del><ins>周</ins>开一次。" in html
    assert "加下划线</ins>的是新增的文字" in html


def test_status_is_never_shown_as_a_change_on_the_review_page(staff: dict[str, FlaskClient]) -> None:
    reviewer = staff["reviewer1"]
    _save(reviewer, "/staff/new/case", action="publish", body="楼院议事会每月开一次。")
    reviewer.post(f"/staff/status/case/{SLUG}", data={"to": "draft", "csrf_token": token(reviewer, REVIEW)})
    _save(staff["editor1"], EDIT, action="submit", title="楼院自治三步走", body="楼院议事会每月开一次。")
    html = reviewer.get(REVIEW).get_data(as_text=True)  # published (status: published) → submitted text
    table = html[html.index('<table class="plain field-diff">') : html.index("</table>")]
    assert FIELD_ROW_RE.findall(table) == ["标题"]
    assert "正文没有改动" in html


def test_defaults_left_out_of_a_hand_written_file_are_not_changes(
    staff: dict[str, FlaskClient], write_entry: Callable[..., Path], resync: Callable[[], Any]
) -> None:
    # written by hand: no scope, no sample, no status (all defaults); the editor writes scope: local
    write_entry("case", SLUG, body="楼院议事会每月开一次。", title="楼院自治的三个步骤", date="2026-11-20")
    resync()
    _save(staff["editor1"], EDIT, body="楼院议事会每周开一次。")
    html = staff["reviewer1"].get(REVIEW).get_data(as_text=True)
    assert "field-diff" not in html and "范围" not in html and "示例内容" not in html
    assert "每<del>月</del><ins>周</ins>开" in html


def test_hand_written_spellings_of_the_same_values_are_not_changes(
    staff: dict[str, FlaskClient], write_entry: Callable[..., Path], resync: Callable[[], Any]
) -> None:
    # a folded summary (trailing newline) and chapter times YAML reads as numbers (3:15 → 195)
    write_entry(
        "interview",
        "iv",
        raw="""\
        ---
        title: 楼院访谈
        topic: louyuan
        date: 2026-11-20
        summary: >
          一段 摘要。
        video: https://www.bilibili.com/video/BV1xx411c7mD
        chapters:
          - at: 3:15
            title: 开场
          - at: 1:02:03
            title: 物业退出以后
        ---
        楼院议事会每月开一次。
        """,
    )
    resync()
    _save(
        staff["editor1"], "/staff/edit/interview/iv", title="楼院访谈", body="楼院议事会每周开一次。", **_same_fields()
    )
    html = staff["reviewer1"].get("/staff/review/interview/iv").get_data(as_text=True)
    assert "field-diff" not in html, html[html.find("field-diff") - 200 : html.find("field-diff") + 800]
    assert "每<del>月</del><ins>周</ins>开" in html
    # a real change of a chapter time is labelled in Chinese
    _save(
        staff["editor1"],
        "/staff/edit/interview/iv",
        title="楼院访谈",
        body="楼院议事会每周开一次。",
        **{**_same_fields(), "chapters": "03:20 开场\n1:02:03 物业退出以后"},
    )
    html = staff["reviewer1"].get("/staff/review/interview/iv").get_data(as_text=True)
    assert FIELD_ROW_RE.findall(html) == ["视频章节 1 · 时间"] and " · at" not in html


def _same_fields() -> dict[str, str]:
    return {
        "summary": "一段 摘要。",
        "video": "https://www.bilibili.com/video/BV1xx411c7mD",
        "chapters": "03:15 开场\n1:02:03 物业退出以后",
    }


def test_only_body_changed_shows_no_field_table(staff: dict[str, FlaskClient]) -> None:
    _published_with_pending_edit(staff)
    html = staff["reviewer1"].get(REVIEW).get_data(as_text=True)
    assert "field-diff" not in html
    assert "<del>先成立楼院党小组</del><ins>改为先开楼院议事会</ins>。" in html


def test_history_shows_fields_and_characters_per_revision(staff: dict[str, FlaskClient]) -> None:
    editor = staff["editor1"]
    _save(editor, "/staff/new/case", body="第一版。")
    _save(editor, EDIT, action="submit", body="第一版，补充。", summary="新摘要")
    html = editor.get(f"/staff/history/case/{SLUG}").get_data(as_text=True)
    newest = html[html.index('class="revision"') : html.index('class="revision"', html.index('class="revision"') + 1)]
    assert FIELD_ROW_RE.findall(newest) == ["摘要", "状态"]  # a real status change is listed in history
    assert "<del>草稿</del>" in newest and "<ins>待审核</ins>" in newest and "<ins>新摘要</ins>" in newest
    assert "第一版<ins>，补充</ins>。" in newest


def test_large_transcript_with_a_small_change_stays_short(staff: dict[str, FlaskClient]) -> None:
    paragraph = "居民代表在楼院议事会上发言，讨论加装电梯和停车管理的具体办法。" * 10
    paragraphs = [f"**问{n}：**{paragraph}" for n in range(650)]
    body = "\n\n".join(paragraphs)
    assert len(body) >= 200_000
    _save(staff["reviewer1"], "/staff/new/case", action="publish", body=body)
    paragraphs[300] = paragraphs[300].replace("停车管理", "停车收费管理", 1)
    _save(staff["editor1"], EDIT, body="\n\n".join(paragraphs))
    html = staff["reviewer1"].get(REVIEW).get_data(as_text=True)
    assert "停车<ins>收费</ins>管理" in html
    assert "字未改动" in html and len(html) < 30_000  # folded, not the whole transcript
    history = staff["reviewer1"].get(f"/staff/history/case/{SLUG}").get_data(as_text=True)
    assert "停车<ins>收费</ins>管理" in history


def test_comment_thread_order_author_and_beijing_time(
    staff: dict[str, FlaskClient], app: Flask, client: FlaskClient
) -> None:
    _published_with_pending_edit(staff)
    for who, words in (("editor2", "第一段的数据来自哪里？"), ("editor1", "来自街道的统计表。")):
        c = staff[who]
        r = c.post(f"/staff/comment/case/{SLUG}", data={"csrf_token": token(c, REVIEW), "comment": words})
        assert r.status_code == 302 and r.headers["Location"].endswith("#thread")
    _return(staff["reviewer1"], "请注明统计表的年份。")
    with app.app_context():  # pin the times: 23:30 UTC is 07:30 the next morning in Beijing
        for n, comment in enumerate(db.session.scalars(select(ReviewComment).order_by(ReviewComment.id))):
            comment.at = dt.datetime(2026, 11, 20, 23, 30 + n)
        db.session.commit()
    for viewer, url in ((staff["reviewer1"], REVIEW), (staff["editor1"], EDIT)):
        html = viewer.get(url).get_data(as_text=True)
        thread = html[html.index('<ol class="comments">') : html.index("</ol>", html.index('<ol class="comments">'))]
        items = re.findall(r"<strong>([^<]+)</strong> · <time[^>]*>([^<]+)</time>", thread)
        assert items == [
            ("editor2", "2026-11-21 07:30"),
            ("editor1", "2026-11-21 07:31"),
            ("reviewer1", "2026-11-21 07:32"),
        ]
        assert thread.index("数据来自哪里") < thread.index("街道的统计表") < thread.index("统计表的年份")
        assert "退回" in thread.split("reviewer1")[1]  # the return is marked as such
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "comment"))]
    assert actions == ["comment", "comment"]
    # not for the public, not for a stranger
    anonymous = app.test_client()
    assert anonymous.post(f"/staff/comment/case/{SLUG}", data={"comment": "x"}).status_code in (400, 401)
    assert "数据来自哪里" not in client.get(f"/cases/{SLUG}").get_data(as_text=True)


def test_empty_or_too_long_comment_is_refused_with_the_text_kept(staff: dict[str, FlaskClient], app: Flask) -> None:
    _published_with_pending_edit(staff)
    editor = staff["editor1"]
    r = editor.post(f"/staff/comment/case/{SLUG}", data={"csrf_token": token(editor, REVIEW), "comment": " "})
    assert r.status_code == 422 and "请填写评论" in r.get_data(as_text=True)
    long = "这里还要再想想。" * 300
    r = editor.post(f"/staff/comment/case/{SLUG}", data={"csrf_token": token(editor, REVIEW), "comment": long})
    assert r.status_code == 422
    assert "不能超过 2000 字" in r.get_data(as_text=True) and long in r.get_data(as_text=True)
    assert _comments(app) == []


def test_publish_comment_joins_the_thread(staff: dict[str, FlaskClient], client: FlaskClient, app: Flask) -> None:
    _published_with_pending_edit(staff)
    reviewer = staff["reviewer1"]
    data = {**_review_form(reviewer), "to": "published", "comment": "改得好，已发布。"}
    assert reviewer.post(f"/staff/status/case/{SLUG}", data=data).status_code == 302
    assert "改为先开楼院议事会" in client.get(f"/cases/{SLUG}").get_data(as_text=True)
    (comment,) = _comments(app)
    assert (comment.action, comment.text) == ("publish", "改得好，已发布。")
    html = reviewer.get(REVIEW).get_data(as_text=True)
    assert "改得好，已发布。" in html and 'class="badge action-publish">发布</span>' in html


def test_an_old_database_gains_the_comment_table_with_nothing_lost(tmp_path: Path, content_dir: Path) -> None:
    config = {"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "old"}
    app = create_app(config)
    with app.app_context():
        accounts.add_user(db.session, "老编辑", "editor", "old password 1")
        db.session.add(
            Revision(kind="case", slug="old", text="---\ntitle: 旧\n---\n", action="create", author="老编辑")
        )
        db.session.commit()
        db.session.execute(text("DROP TABLE review_comment"))  # as a database written before this table existed
        db.session.execute(text("DROP TABLE alembic_version"))  # the release before migrations
        db.session.commit()
        assert "review_comment" not in inspect(db.engine).get_table_names()
    again = create_app(config)
    with again.app_context():
        assert "review_comment" in inspect(db.engine).get_table_names()
        assert [r.author for r in db.session.scalars(select(Revision))] == ["老编辑"]
        assert accounts.find(db.session, "老编辑") is not None
        db.session.add(ReviewComment(kind="case", slug="old", author="老编辑", text="可以用了"))
        db.session.commit()
        assert db.session.scalar(select(ReviewComment.text)) == "可以用了"


def test_a_project_edit_can_be_returned_and_its_labels_are_its_own(
    staff: dict[str, FlaskClient], content_dir: Path, write_entry: Callable[..., Path], resync: Callable[[], Any]
) -> None:
    from .test_staff_projects import project_form

    write_entry("case", "louyuan-386", title="386号院的做法")
    resync()
    editor, reviewer = staff["editor1"], staff["reviewer1"]
    data = {**form_of(reviewer, "/staff/new/project"), **project_form(), "action": "publish"}
    assert reviewer.post("/staff/new/project", data=data).status_code == 302
    url = "/staff/edit/project/jiazhuang-dianti"
    changed = project_form(**{"indicators-2-achieved": "3", "vote-session": "区人大常委会第五次会议"})
    changed.pop("slug")
    assert editor.post(url, data={**form_of(editor, url), **changed, "action": "save"}).status_code == 302
    review = "/staff/review/project/jiazhuang-dianti"
    html = reviewer.get(review).get_data(as_text=True)
    table = html[html.index('<table class="plain field-diff">') : html.index("</table>")]
    assert FIELD_ROW_RE.findall(table) == ["人大代表票决 · 会议", "指标 2 · 完成"]
    version = VERSION_RE.search(html)
    assert version
    data = {"csrf_token": token(reviewer, review), "version": version.group(1), "comment": "完成数请附上验收单。"}
    assert reviewer.post("/staff/return/project/jiazhuang-dianti", data=data).status_code == 302
    assert 'name="indicators-1-achieved" value="3"' in editor.get(url).get_data(as_text=True)  # (renumbered)
    mine = _section(editor.get("/staff/").get_data(as_text=True), "退回给我")
    assert '<span class="count">1</span>' in mine and "完成数请附上验收单。" in mine and "老旧小区加装电梯" in mine
    published = (content_dir / "projects" / "2026" / "jiazhuang-dianti.md").read_text(encoding="utf-8")
    assert "achieved: 2" in published.split("惠及居民")[1]
