"""征集 (issue 15, point 1) through HTTP and the CLI: year.yml's window, the public form and every
refusal keeping what was typed (CSRF, limits, honeypot, checks, similar proposals), the thank-you
page, staff triage with its audit, the public list and CSV without personal data, offline
proposals from proposals.yml, the retention purge (command and daily job), and migration 0008."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from casebook import create_app, jobs, migrate
from casebook.cli import main
from casebook.db import db
from casebook.participation.proposal_models import Proposal
from casebook.participation.similarity import bigrams, dice, normalized, similarity
from casebook.staff.models import AuditEvent

from . import pgkit
from .staffkit import staff_client, token

TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
YEAR = TODAY.year + 1
NAME, PHONE = "李秀兰", "13812345678"
GOOD = {
    "title": "碧沙岗社区增设老年助餐点",
    "problem": "碧沙岗社区独居老人多，附近没有方便吃饭的地方，中午只能凑合。",
    "street": "林山寨街道",
    "community": "碧沙岗社区",
    "suggestion": "利用党群服务中心一楼开助餐点，按老人年龄给补贴。",
    "theme": "养老服务",
}
OTHER = {
    "title": "秦岭路街道路口增设红绿灯",
    "problem": "上下学时车多人多，过马路危险。",
    "street": "秦岭路街道",
    "community": "",
}


def _year_file(content_dir: Path, year: int, open_: dt.date, close: dt.date, extra: str = "") -> Path:
    folder = content_dir / "projects" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "year.yml"
    path.write_text(f"proposals:\n  open: {open_.isoformat()}\n  close: {close.isoformat()}\n{extra}", "utf-8")
    return path


@pytest.fixture
def collecting(content_dir: Path, resync: Callable[[], Any]) -> int:
    """A year whose collection is open today (Beijing day), synced."""
    _year_file(content_dir, YEAR, TODAY - dt.timedelta(days=5), TODAY + dt.timedelta(days=5))
    resync()
    return YEAR


def _post(client: FlaskClient, year: int = YEAR, form: str = "", **fields: str) -> Any:
    """Post the form with a token from its page (or from ``form``: the token is the session's)."""
    data = {"csrf_token": token(client, form or f"/projects/{year}/propose"), **GOOD, **fields}
    return client.post(f"/projects/{year}/propose", data=data)


def _rows(app: Flask) -> list[Proposal]:
    with app.app_context():
        rows = list(db.session.scalars(select(Proposal).order_by(Proposal.id)))
        db.session.expunge_all()
        return rows


def _assert_kept(html: str, **fields: str) -> None:
    for key, value in fields.items():
        assert value in html, f"{key} lost: {value}"


# --- similarity (pure) ---------------------------------------------------------------------------


def test_similarity_is_dice_over_normalized_character_bigrams() -> None:
    assert normalized("加装　电梯！ＡＢ1２") == "加装电梯ab12"  # NFKC, lower case, punctuation and spaces gone
    assert bigrams("加装电梯") == {"加装", "装电", "电梯"}
    assert bigrams("梯") == {"梯"} and bigrams("，。") == frozenset()
    assert dice(frozenset({"ab", "bc"}), frozenset({"bc", "cd"})) == 0.5
    assert similarity("", "") == 0.0 and similarity("加装电梯", "加装电梯。") == 1.0
    # 6 and 4 bigrams sharing 4: 2*4/10
    assert similarity("老楼加装电梯难", "老楼加装电") == pytest.approx(0.8)
    assert similarity("老楼加装电梯难", "新楼加装电表") == pytest.approx(2 * 3 / 11)  # 楼加 加装 装电
    assert similarity("增设老年助餐点", "道路积水严重") == 0.0


# --- year.yml --------------------------------------------------------------------------------------


def test_year_yml_is_checked_with_path_and_line_and_is_no_project(
    content_dir: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = content_dir / "projects" / "2027"
    folder.mkdir(parents=True)
    (folder / "year.yml").write_text(
        "proposals:\n  open: 2026-10-01\n  close: 2026-09-01\n  extra: 1\ncolour: red\nthemes: [养老服务]\n", "utf-8"
    )
    result = runner.invoke(main, ["check", str(content_dir)])
    assert result.exit_code == 1
    assert "projects/2027/year.yml:3: 征集截止日期 2026-09-01 早于开始日期 2026-10-01" in result.output
    assert "projects/2027/year.yml:4: proposals 下未知的字段“extra”" in result.output
    assert "projects/2027/year.yml:5: 未知的字段“colour”" in result.output
    assert "0 个民生实事项目" in result.output  # year.yml is not read as a project
    (folder / "year.yml").write_text("proposals:\n  open: 2026-13-01\n  close: 2026-12-01\n", "utf-8")
    result = runner.invoke(main, ["check", str(content_dir)])
    assert "projects/2027/year.yml:2: proposals.open：日期“2026-13-01”无效" in result.output
    (folder / "year.yml").write_text("proposals:\n  open: 2026-10-01\n  close: 2026-10-31\n", "utf-8")
    assert runner.invoke(main, ["check", "--strict", str(content_dir)]).exit_code == 0


@pytest.mark.parametrize(
    ("days", "says"),
    [((3, 10), "征集还没有开始"), ((-10, -3), "本年度征集已于")],
)
def test_the_form_is_open_only_between_open_and_close(
    content_dir: Path, resync: Callable[[], Any], client: FlaskClient, app: Flask, days: tuple[int, int], says: str
) -> None:
    start, end = (TODAY + dt.timedelta(days=d) for d in days)
    _year_file(content_dir, YEAR, start, end)
    resync()
    page = client.get(f"/projects/{YEAR}/propose").get_data(as_text=True)
    assert says in page and f"/projects/{YEAR}/proposals" in page
    assert 'name="problem"' not in page  # no form outside the window
    refused = _post(client, form="/login")
    assert refused.status_code == 409
    _assert_kept(refused.get_data(as_text=True), title=GOOD["title"], problem=GOOD["problem"])
    assert _rows(app) == []


def test_the_last_day_is_still_open_and_a_year_without_year_yml_has_no_form(
    content_dir: Path, resync: Callable[[], Any], client: FlaskClient
) -> None:
    _year_file(content_dir, YEAR, TODAY - dt.timedelta(days=9), TODAY)
    resync()
    assert 'name="problem"' in client.get(f"/projects/{YEAR}/propose").get_data(as_text=True)
    assert client.get(f"/projects/{YEAR + 1}/propose").status_code == 404
    assert client.get(f"/projects/{YEAR + 1}/proposals").status_code == 404


# --- the form --------------------------------------------------------------------------------------


def test_a_proposal_is_saved_and_the_thank_you_page_gives_its_reference(
    collecting: int, client: FlaskClient, app: Flask
) -> None:
    form = client.get(f"/projects/{YEAR}/propose")
    html = form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "no-store"
    assert "个人信息说明" in html and "365 天" in html and "138****1234" in html  # purpose, retention, masking
    assert '<optgroup label="林山寨街道"' in html and '<option value="新街坊社区"' in html  # works without JS
    response = _post(client, name=NAME, phone="138 1234-5678", consent="1")
    assert response.status_code == 302 and response.location.endswith(f"/projects/{YEAR}/propose/done")
    thanks = client.get(response.location).get_data(as_text=True)
    assert f"{YEAR}-0001" in thanks and "接下来会怎样" in thanks
    second = _post(
        client,
        title="秦岭路街道路口增设红绿灯",
        problem="上下学时车多人多，过马路危险。",
        street="秦岭路街道",
        community="",
    )
    assert second.status_code == 302
    assert f"{YEAR}-0002" in client.get(second.location).get_data(as_text=True)
    rows = _rows(app)
    assert [(r.reference, r.status, r.published, r.channel) for r in rows] == [
        (f"{YEAR}-0001", "待处理", False, "网上"),
        (f"{YEAR}-0002", "待处理", False, "网上"),
    ]
    assert (rows[0].name, rows[0].phone, rows[0].community) == (NAME, PHONE, "碧沙岗社区")
    assert (rows[1].name, rows[1].phone, rows[1].theme) == ("", "", "养老服务")


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"title": ""}, 422, "请填写标题"),
        ({"problem": "  "}, 422, "请填写什么问题"),
        ({"street": "不存在街道"}, 422, "请从列表中选择街道"),
        ({"community": "新街坊社区"}, 422, "林山寨街道没有这个社区"),
        ({"theme": "乱写的主题"}, 422, "请从列表中选择主题"),
        ({"phone": "12345", "consent": "1"}, 422, "电话号码格式不对"),
        ({"phone": PHONE}, 422, "请勾选同意"),
        ({"name": NAME}, 422, "请勾选同意"),
        ({"title": "长" * 61}, 422, "最多 60 个字"),
        ({"problem": "问" * 1001}, 422, "最多 1000 个字"),
    ],
)
def test_every_rejection_keeps_what_was_typed(
    collecting: int, client: FlaskClient, app: Flask, fields: dict[str, str], status: int, says: str
) -> None:
    response = _post(client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == status and says in html
    assert 'aria-invalid="true"' in html
    typed = {**GOOD, **fields}
    for key in ("title", "problem", "suggestion", "name", "phone"):
        if typed.get(key, "").strip():
            assert typed[key] in html, key
    assert f'<option value="{typed["street"]}" selected>' in html or typed["street"] not in ("林山寨街道",)
    assert _rows(app) == []


def test_an_expired_token_brings_the_form_back_filled_in(collecting: int, client: FlaskClient, app: Flask) -> None:
    client.get(f"/projects/{YEAR}/propose")
    response = client.post(
        f"/projects/{YEAR}/propose", data={**GOOD, "name": NAME, "phone": PHONE, "csrf_token": "stale"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "页面已过期" in html
    _assert_kept(
        html, title=GOOD["title"], problem=GOOD["problem"], suggestion=GOOD["suggestion"], name=NAME, phone=PHONE
    )
    assert re.search(r'name="csrf_token" value="[^"]+"', html)  # a fresh token to submit again
    assert _rows(app) == []


def test_posts_are_limited_per_address_and_the_refusal_keeps_the_typing(content_dir: Path, tmp_path: Path) -> None:
    _year_file(content_dir, YEAR, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1))
    app = create_app(
        {"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "d", "PROPOSAL_PER_HOUR": "2"}
    )
    with app.app_context():
        from casebook.catalog import sync

        sync(db.session, content_dir)
        db.session.commit()
    client = app.test_client()
    for title, problem in (("路灯不亮", "晚上回家看不清路。"), ("增设助餐点", "独居老人吃饭难。")):
        assert _post(client, title=title, problem=problem).status_code == 302
    refused = _post(client, title="第三条建议", problem="还想再提一条问题")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "提交得太频繁" in html and "第三条建议" in html and "还想再提一条问题" in html
    other = app.test_client()  # another address is counted apart
    assert (
        _post(other, title="另一个网络", problem="另一个地址的问题", environ_base={"REMOTE_ADDR": "198.51.100.9"})
        is not None
    )
    app.extensions["casebook.search"].close()


def test_a_filled_honeypot_is_dropped_as_if_accepted(collecting: int, client: FlaskClient, app: Flask) -> None:
    response = _post(client, website="http://spam.example")
    assert response.status_code == 302
    assert "您的建议已收到" in client.get(response.location).get_data(as_text=True)
    assert _rows(app) == []
    html = client.get(f"/projects/{YEAR}/propose").get_data(as_text=True)
    assert 'class="form-honeypot"' in html and 'name="website"' in html


def test_similar_proposals_of_the_same_street_are_shown_before_saving(
    collecting: int, client: FlaskClient, app: Flask
) -> None:
    assert _post(client).status_code == 302
    with app.app_context():
        first = db.session.scalars(select(Proposal)).one()
        first.published = True
        db.session.commit()
    again = _post(client, title="碧沙岗社区增设老年助餐点！", problem="碧沙岗社区独居老人多，附近没有方便吃饭的地方。")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "类似建议" in html and "仍然提交" in html
    assert f"/projects/{YEAR}/proposals?ref={YEAR}-0001#p-{YEAR}-0001" in html
    assert "碧沙岗社区增设老年助餐点！" in html  # the typing is kept
    assert len(_rows(app)) == 1
    other_street = _post(client, street="秦岭路街道", community="新街坊社区")
    assert other_street.status_code == 302  # only the same street counts
    confirmed = _post(client, title="碧沙岗社区增设老年助餐点！", confirm_similar="1")
    assert confirmed.status_code == 302
    assert len(_rows(app)) == 3
    # an unpublished similar one is counted, never shown
    hidden = _post(client, street="秦岭路街道", community="新街坊社区", title="新街坊社区增设老年助餐点")
    html = hidden.get_data(as_text=True)
    assert "另有 1 条正在整理" in html and f"{YEAR}-0002" not in html


# --- staff triage ----------------------------------------------------------------------------------


def _triage(client: FlaskClient, proposal_id: int, **fields: str) -> Any:
    url = f"/staff/proposals/{proposal_id}"
    return client.post(url, data={"csrf_token": token(client, url), **fields})


def test_staff_triage_masks_the_phone_audits_every_action_and_keeps_typing(
    collecting: int, client: FlaskClient, app: Flask, content_dir: Path, resync: Callable[[], Any]
) -> None:
    project = content_dir / "projects" / str(YEAR) / "zhucan.md"
    project.write_text(f"---\ntitle: 老年助餐点\nyear: {YEAR}\nlead: 区民政局\nstage: 征集\n---\n正文。\n", "utf-8")
    resync()
    _post(client, name=NAME, phone=PHONE, consent="1")
    _post(
        client,
        title="秦岭路街道路口增设红绿灯",
        problem="上下学时车多人多，过马路危险。",
        street="秦岭路街道",
        community="",
    )
    first, second = _rows(app)
    assert client.get("/staff/proposals").status_code == 302  # logged out: to the login page
    editor = staff_client(app, "编辑小王", "editor")
    listing = editor.get("/staff/proposals").get_data(as_text=True)
    assert first.reference in listing and "138****5678" in listing and PHONE not in listing
    filtered = editor.get("/staff/proposals?street=秦岭路街道").get_data(as_text=True)
    assert second.reference in filtered and first.reference not in filtered
    assert first.reference not in editor.get("/staff/proposals?status=已采纳").get_data(as_text=True)
    page = editor.get(f"/staff/proposals/{first.id}")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "138****5678" in html and PHONE not in html and "显示完整电话" not in html
    assert (
        editor.post(
            f"/staff/proposals/{first.id}/phone", data={"csrf_token": token(editor, "/staff/proposals")}
        ).status_code
        == 403
    )

    refused = _triage(editor, second.id, action="decline", answer="  ", merge_into="", project="")
    assert refused.status_code == 422 and "不采纳必须填写公开答复" in refused.get_data(as_text=True)
    stale = editor.post(
        f"/staff/proposals/{second.id}", data={"csrf_token": "x", "action": "decline", "answer": "写了一半的答复"}
    )
    assert stale.status_code == 400 and "写了一半的答复" in stale.get_data(as_text=True)
    bad_project = _triage(editor, first.id, action="project", project="no-such", answer="准备立项")
    assert bad_project.status_code == 422 and "准备立项" in bad_project.get_data(as_text=True)

    assert _triage(editor, second.id, action="decline", answer="该路口已列入交警部门改造计划。").status_code == 302
    assert _triage(editor, first.id, action="project", project="zhucan").status_code == 302
    assert _triage(editor, first.id, action="publish").status_code == 302
    assert _triage(editor, second.id, action="publish").status_code == 302
    first, second = _rows(app)
    assert (first.status, first.project_slug, first.published) == ("已转为项目", "zhucan", True)
    assert (second.status, second.answer, second.answered_at is not None) == (
        "未采纳",
        "该路口已列入交警部门改造计划。",
        True,
    )
    _post(client, title="碧沙岗社区助餐点", problem="独居老人吃饭难，希望社区开助餐点。", confirm_similar="1")
    third = _rows(app)[2]
    assert _triage(editor, third.id, action="merge", merge_into=first.reference).status_code == 302
    third = _rows(app)[2]
    assert third.status == "已合并" and third.merged_into == first.id and first.reference in third.answer

    with app.app_context():
        events = [(e.user, e.action, e.target) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("编辑小王", "proposal-decline", f"proposal/{second.reference}") in events
    assert ("编辑小王", "proposal-project", f"proposal/{first.reference}") in events
    assert ("编辑小王", "proposal-merge", f"proposal/{third.reference}") in events
    history = editor.get(f"/staff/proposals/{first.id}").get_data(as_text=True)
    assert "征集建议：转为项目" in history and "征集建议：公开" in history
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}</time> 编辑小王", history)

    admin = staff_client(app, "管理员老周", "admin")
    assert "显示完整电话" in admin.get(f"/staff/proposals/{first.id}").get_data(as_text=True)
    shown = admin.post(f"/staff/proposals/{first.id}/phone", data={"csrf_token": token(admin, "/staff/proposals")})
    assert shown.status_code == 200 and PHONE in shown.get_data(as_text=True)
    with app.app_context():
        looked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal-phone")).all()
    assert [(e.user, e.target) for e in looked] == [("管理员老周", f"proposal/{first.reference}")]


# --- the public list and CSV -----------------------------------------------------------------------


def test_the_public_list_and_csv_show_published_proposals_without_personal_data(
    collecting: int, client: FlaskClient, app: Flask
) -> None:
    _post(client, name=NAME, phone=PHONE, consent="1")
    _post(
        client,
        title="秦岭路街道路口增设红绿灯",
        problem="上下学时车多人多，过马路危险。",
        street="秦岭路街道",
        community="",
        name="王建国",
        consent="1",
    )
    _post(
        client,
        title='=HYPERLINK("https://evil.example")',
        problem="未公开的建议不应出现",
        street="秦岭路街道",
        community="",
    )
    with app.app_context():
        rows = list(db.session.scalars(select(Proposal).order_by(Proposal.id)))
        rows[0].published = rows[1].published = True
        rows[1].status, rows[1].answer = "未采纳", "已列入交警部门计划。"
        rows[1].answered_at = dt.datetime(2026, 3, 1, 20, 30)  # 04:30 on 3 March in Beijing
        db.session.commit()
    html = client.get(f"/projects/{YEAR}/proposals").get_data(as_text=True)
    assert GOOD["title"] in html and "秦岭路街道路口增设红绿灯" in html and "已列入交警部门计划。" in html
    assert "2026-03-02" in html  # the answer's date in Beijing time
    assert "未公开的建议不应出现" not in html
    for secret in (NAME, PHONE, "王建国", "138"):
        assert secret not in html
    assert re.search(r"<th scope=\"row\">秦岭路街道</th><td>1</td>", html)
    assert re.search(r"<th scope=\"row\">养老服务</th><td>2</td>", html)
    assert f"/projects/{YEAR}/proposals.csv" in html
    response = client.get(f"/projects/{YEAR}/proposals.csv")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    body = response.data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0][:3] == ["编号", "标题", "街道"] and len(lines) == 3
    assert NAME not in body and PHONE not in body and "王建国" not in body and "未公开" not in body


def test_the_public_list_pages_and_jumps_to_a_reference(collecting: int, app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        for n in range(1, 46):
            db.session.add(
                Proposal(year=YEAR, number=n, title=f"建议{n}", problem="问题", street="林山寨街道", published=True)
            )
        db.session.commit()
    first = client.get(f"/projects/{YEAR}/proposals").get_data(as_text=True)
    assert "第 1 / 3 页" in first and f'id="p-{YEAR}-0001"' in first and f'id="p-{YEAR}-0021"' not in first
    jumped = client.get(f"/projects/{YEAR}/proposals?ref={YEAR}-0042").get_data(as_text=True)
    assert "第 3 / 3 页" in jumped and f'id="p-{YEAR}-0042"' in jumped
    assert client.get(f"/projects/{YEAR}/proposals?page=99").status_code == 200


def test_the_board_and_years_page_link_a_year_with_proposal_settings(demo_content: Path, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "CONTENT_DIR": demo_content, "DATA_DIR": tmp_path / "d"})
    with app.app_context():
        from casebook.catalog import sync

        sync(db.session, demo_content)
        db.session.commit()
    client = app.test_client()
    board = client.get("/projects/2023").get_data(as_text=True)
    assert "/projects/2023/proposals" in board and "/projects/2023/propose" in board
    assert "/projects/2023/proposals" in client.get("/projects/").get_data(as_text=True)
    # the demo's offline proposals (proposals.yml) are mirrored: channel, status, project link
    listing = client.get("/projects/2023/proposals").get_data(as_text=True)
    assert "来源：纸质意见表" in listing and "来源：热线" in listing and "/projects/2023/jiazhuang-dianti" in listing
    (demo_content / "projects" / "2023" / "year.yml").unlink()
    with app.app_context():
        sync(db.session, demo_content)
        db.session.commit()
    assert "/projects/2023/proposals" not in client.get("/projects/2023").get_data(as_text=True)
    app.extensions["casebook.search"].close()


# --- offline proposals (proposals.yml) -------------------------------------------------------------


def test_offline_proposals_are_mirrored_marked_sample_and_checked(
    collecting: int, content_dir: Path, resync: Callable[[], Any], client: FlaskClient, app: Flask, runner: CliRunner
) -> None:
    path = content_dir / "projects" / str(YEAR) / "proposals.yml"
    path.write_text(
        "- ref: A1\n  date: {d}\n  channel: 代表走访\n  title: 碧沙岗社区楼院照明\n  problem: 楼院夜里太黑。\n"
        "  street: 林山寨街道\n  community: 碧沙岗社区\n  theme: 环境整治\n  sample: true\n"
        "- ref: A2\n  date: {d}\n  title: 不存在街道的建议\n  problem: 问题。\n  street: 火星街道\n"
        "- ref: A3\n  date: {d}\n  title: 未采纳缺答复\n  problem: 问题。\n  street: 林山寨街道\n"
        "  status: 未采纳\n  phone: 1\n".replace("{d}", TODAY.isoformat()),
        "utf-8",
    )
    resync()
    rows = _rows(app)
    assert [(r.source_ref, r.channel, r.sample, r.status, r.published) for r in rows] == [
        (f"{YEAR}/A1", "代表走访", True, "待处理", True),
        (f"{YEAR}/A3", "线下", False, "待处理", True),
    ]
    html = client.get(f"/projects/{YEAR}/proposals").get_data(as_text=True)
    assert "碧沙岗社区楼院照明" in html and "示例内容" in html and "来源：代表走访" in html
    checked = runner.invoke(main, ["check", str(content_dir)])
    assert f"projects/{YEAR}/proposals.yml:14: places.yml 里没有街道“火星街道”" in checked.output
    assert f"projects/{YEAR}/proposals.yml:21: 未知的字段“phone”" in checked.output
    assert "未采纳的建议需要写 answer" in checked.output
    assert '"problems":3' in client.get("/healthz").get_data(as_text=True)  # recorded by the sync
    path.write_text(path.read_text("utf-8").split("- ref: A2")[0], "utf-8")  # A3 removed from the file
    resync()
    assert [r.source_ref for r in _rows(app)] == [f"{YEAR}/A1"]


# --- retention -------------------------------------------------------------------------------------


def _aged(app: Flask, days: int) -> None:
    with app.app_context():
        for row in db.session.scalars(select(Proposal)):
            row.created_at = row.created_at - dt.timedelta(days=days)
        db.session.commit()


def test_purge_blanks_personal_data_after_the_retention_period_and_keeps_the_text(
    collecting: int, client: FlaskClient, app: Flask, runner: CliRunner
) -> None:
    _post(client, name=NAME, phone=PHONE, consent="1")
    result = runner.invoke(main, ["proposals", "purge"])
    assert result.exit_code == 0 and "已删除 0 条" in result.output
    assert _rows(app)[0].phone == PHONE
    _aged(app, 366)
    result = runner.invoke(main, ["proposals", "purge"])
    assert result.exit_code == 0 and "已删除 1 条" in result.output, result.output
    row = _rows(app)[0]
    assert (row.name, row.phone, row.title, row.problem) == ("", "", GOOD["title"], GOOD["problem"])
    assert row.purged_at is not None
    with app.app_context():
        raw = db.session.execute(text("SELECT name, phone FROM proposal")).all()
    assert [tuple(r) for r in raw] == [("", "")]
    assert "姓名和电话" in runner.invoke(main, ["proposals", "purge", "--help"]).output


def test_the_server_purges_daily_as_a_background_job(collecting: int, client: FlaskClient, app: Flask) -> None:
    _post(client, name=NAME, phone=PHONE, consent="1")
    _aged(app, 400)
    with app.app_context():
        assert jobs.enqueue_due(db.engine) == ["purge-proposals"]
        assert jobs.enqueue_due(db.engine) == []  # one waiting job per kind
    finished = jobs.Runner(app).run_pending()
    assert [(j.kind, j.state) for j in finished] == [("purge-proposals", "done")]
    assert "已删除 1 条" in finished[0].message
    assert _rows(app)[0].phone == ""
    with app.app_context():
        assert jobs.enqueue_due(db.engine) == []  # done today: not again until a day has passed
        later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1, minutes=1)
        assert jobs.enqueue_due(db.engine, later) == ["purge-proposals"]


def test_a_server_job_runner_queues_and_runs_the_purge_by_itself(
    collecting: int, client: FlaskClient, app: Flask
) -> None:
    _post(client, name=NAME, phone=PHONE, consent="1")
    _aged(app, 400)
    runner = jobs.start_runner(app, poll=0.1)  # what each gunicorn worker starts (server.py)
    try:
        for _ in range(100):
            if _rows(app)[0].phone == "":
                break
            time.sleep(0.1)
    finally:
        runner.stop()
    assert _rows(app)[0].phone == "" and _rows(app)[0].title == GOOD["title"]
    with app.app_context():
        ran = jobs.latest(db.session, "purge-proposals")
        assert ran is not None and ran.created_by == "每日任务"


# --- migration -------------------------------------------------------------------------------------


def test_a_0007_database_gains_the_proposal_table(content_dir: Path, tmp_path: Path) -> None:
    from alembic import command

    data = tmp_path / "at0007"
    data.mkdir()
    engine = create_engine(pgkit.database_url(data))
    with engine.begin() as connection:
        command.upgrade(migrate._config(connection), "0007")
        connection.execute(text("INSERT INTO public_post (form, source, at) VALUES ('proposal', 'abc', 1.5)"))
    engine.dispose()
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data})
    with app.app_context():
        assert migrate.current(db.engine) == migrate.head()
        assert db.session.execute(text("SELECT form, source FROM public_post")).all() == [("proposal", "abc")]
        db.session.add(Proposal(year=2027, number=1, title="t", problem="p", street="s"))
        db.session.commit()
        assert db.session.scalars(select(Proposal)).one().reference == "2027-0001"
    app.extensions["casebook.search"].close()


def test_the_limits_count_on_the_epoch_clock_whatever_the_servers_time_zone(
    collecting: int, client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proposal and rating forms share ``public_post`` and each deletes rows older than a day by
    its own clock: a proposal's row must carry the epoch time, not naive UTC read as local time (on a
    server set to Beijing time that was 8 hours early, and a rating post deleted it 8 hours early)."""
    from casebook.participation.models import PublicPost

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert _post(client).status_code == 302
        with app.app_context():
            at = db.session.scalars(select(PublicPost.at)).one()
        assert abs(at - time.time()) < 60
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_proposal_cannot_become_a_draft_project(
    collecting: int, client: FlaskClient, app: Flask, content_dir: Path, resync: Callable[[], Any]
) -> None:
    """转为项目 offers and accepts only published projects: a draft's page is not public, so the public
    list's link to it would answer 404 and the CSV would name a slug nobody can open."""
    project = content_dir / "projects" / str(YEAR) / "caogao.md"
    text = f"---\ntitle: 草稿项目\nyear: {YEAR}\nlead: 区民政局\nstage: 征集\nstatus: draft\n---\n正文。\n"
    project.write_text(text, "utf-8")
    resync()
    assert _post(client).status_code == 302
    (proposal,) = _rows(app)
    editor = staff_client(app, "编辑小王", "editor")
    assert "草稿项目" not in editor.get(f"/staff/proposals/{proposal.id}").get_data(as_text=True)
    refused = _triage(editor, proposal.id, action="project", project="caogao", answer="准备立项")
    assert refused.status_code == 422 and "准备立项" in refused.get_data(as_text=True)
    assert _rows(app)[0].status == "待处理"
