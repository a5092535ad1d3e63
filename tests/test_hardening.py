"""Hardening (issue 13), first part: bad numbers and paths answer 404 or are ignored, never 500;
staff pages are not cached; CSV cells cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casebook import searching
from casebook.cli import main
from casebook.db import db
from casebook.models import SearchMiss
from casebook.spreadsheet import safe_cell

from .conftest import WriteEntry
from .staffkit import entry_form, form_of, staff_client, token

HUGE = "9" * 25


@pytest.mark.parametrize(
    "url",
    [
        f"/cases/?year={HUGE}",
        "/cases/?year=²",
        "/cases/?year=①",
        "/interviews/?year=２０２２",
        f"/api/entries?year={HUGE}",
        "/api/entries?year=²",
        f"/search?q=楼院&year={HUGE}",
        f"/api/search?q=楼院&year={HUGE}",
    ],
)
def test_a_year_that_is_not_a_year_is_ignored(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any], url: str
) -> None:
    write_entry("case", "louyuan", body="楼院议事会。", scope="local")
    resync()
    response = client.get(url)
    assert response.status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        f"/projects/{HUGE}",
        f"/projects/{HUGE}.csv",
        f"/projects/{HUGE}/x",
        f"/projects/{HUGE}/x/qr.svg",
        f"/projects/{HUGE}/propose",
        f"/projects/{HUGE}/propose/done",
        f"/projects/{HUGE}/proposals",
        f"/projects/{HUGE}/proposals.csv",
        "/projects/2023/propose",  # a year without year.yml has no 征集
        "/staff/proposals/99999999999",
        "/media/a%00.png",
    ],
)
def test_impossible_years_and_paths_are_not_found(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404, url


def test_attachment_downloads_refuse_what_is_not_a_listed_attachment(
    client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    folder = content_dir / "media" / "attachments"
    folder.mkdir()
    for name, data in (("ok.pdf", b"%PDF-1.4\n"), (".x.docx", b"PK\x03\x04"), ("x.pdf", b"%PDF-1.4\n")):
        (folder / name).write_bytes(data)
    (content_dir / "media" / "x.exe").write_bytes(b"MZ")
    front = "title: 有附件\ntopic: louyuan\ndate: 2022-03-01\nattachments:\n- file: attachments/ok.pdf\n  title: 公约\n"
    write_entry("case", "listed", raw=f"---\n{front}---\n正文。\n")
    resync()
    assert client.get("/downloads/attachments/ok.pdf").status_code == 200
    hostile = [
        "a%00.pdf",
        "attachments/ok.pdf%00.png",
        "attachments//ok.pdf",
        "attachments/../attachments/ok.pdf",
        "../topics.yml",
        "attachments/.x.docx",
        "x.exe",
        "attachments/x.pdf",  # there, but no entry lists it
        HUGE,
    ]
    for path in hostile:
        assert client.get(f"/downloads/{path}").status_code == 404, path


def test_the_preview_ignores_a_body_that_is_not_a_form(app: Flask) -> None:
    editor = staff_client(app, "预览编辑", "editor")
    for body in (["x"], "x", 3, None):
        response = editor.post("/staff/preview", json=body, headers={"X-CSRFToken": token(editor, "/staff/new/case")})
        assert response.status_code == 200 and "html" in response.get_json(), body


def test_staff_pages_are_not_stored_by_any_cache(app: Flask, client: FlaskClient) -> None:
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    editor = staff_client(app, "缓存编辑", "editor")
    for url in ("/staff/", "/staff/new/case", "/staff/entries"):
        response = editor.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")  # public pages are shared


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("https://evil.example","点我")', '\'=HYPERLINK("https://evil.example","点我")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-5", "-5"),
        ("+1.5", "+1.5"),
        ("-0.25%", "-0.25%"),
        ("居民满意度", "居民满意度"),
        (None, ""),
    ],
)
def test_cells_that_would_run_as_formulas_are_written_as_text(value: str | None, written: str) -> None:
    assert safe_cell(value) == written


def test_the_board_csv_writes_a_formula_name_as_text(
    content_dir: Path, resync: Callable[[], Any], client: FlaskClient
) -> None:
    path = content_dir / "projects" / "2024" / "jiance.md"
    path.parent.mkdir(parents=True)
    front = (
        "title: =cmd|' /C calc'!A0\nyear: 2024\nlead: 区民政局\nstage: 实施\n"
        'indicators:\n  - name: =HYPERLINK("https://evil.example","点我")\n    planned: 10\n    achieved: 12\n'
        "adjustments:\n  - date: 2024-06-01\n    moved_by: '@区政府'\n    reason: 说明\n"
        "    change: '=SUM(A1:A9)'\n    outcome: 通过\n"
    )
    path.write_text(f"---\n{front}---\n说明。\n", "utf-8")
    resync()
    response = client.get("/projects/2024.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][3] == '\'=HYPERLINK("https://evil.example","点我")'
    assert rows[1][5:8] == ["10", "12", "120%"]  # numbers stay numbers
    assert rows[1][8:] == ["1", "2024-06-01", "通过", "'=SUM(A1:A9)"]  # a motion's change too is text


def test_share_cards_and_window_titles_are_short(
    client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    title = "社区党群服务中心全时开放与居民点单式服务的探索实践——" + "一个老城社区的三年" * 6
    summary = "社区把党群服务中心的空间、时段和活动内容交给居民点单，" * 5
    write_entry("case", "long", title=title, summary=summary, scope="local")
    resync()
    html = client.get("/cases/long").get_data(as_text=True)
    og_title = re.search(r'<meta property="og:title" content="([^"]*)"', html)
    og_description = re.search(r'<meta property="og:description" content="([^"]*)"', html)
    window = re.search(r"<title>([^<]*)</title>", html)
    assert og_title and og_description and window, html[:2000]
    assert len(og_title.group(1)) <= 32 and og_title.group(1).endswith("…") and title.startswith(og_title.group(1)[:-1])
    assert len(og_description.group(1)) <= 60 and og_description.group(1).endswith("…")
    assert len(window.group(1)) <= 60 and window.group(1).startswith(title[:30])
    assert 'maxlength="200"' in client.get("/search?q=楼院").get_data(as_text=True)  # no 414 from a pasted paragraph


@pytest.mark.parametrize("name", ["admin\u202egnp.exe", "编辑\u200b一", "a\x07b"])
def test_user_names_with_control_or_direction_characters_are_refused(runner: CliRunner, name: str) -> None:
    result = runner.invoke(main, ["user", "add", name, "--role", "editor"], input="社区 治理 password 2026\n")
    assert result.exit_code != 0 and "控制字符或文字方向符号" in result.output, result.output
    listed = runner.invoke(main, ["user", "list"])
    assert name not in listed.output


def test_files_written_by_the_editor_are_readable_like_the_rest_of_content(
    app: Flask, content_dir: Path, resync: Callable[[], Any]
) -> None:
    content_dir.chmod(0o755)
    (content_dir / "cases").chmod(0o755)
    kept = content_dir / "cases" / "kept.md"
    kept.write_text("---\ntitle: 已有\ntopic: louyuan\ndate: 2022-03-01\nscope: local\n---\n正文。\n", "utf-8")
    kept.chmod(0o640)  # a district's own choice for an existing file is kept
    resync()
    admin = staff_client(app, "权限管理员", "admin")
    new = {**form_of(admin, "/staff/new/case"), **entry_form(), "slug": "xin-pian", "action": "save"}
    assert admin.post("/staff/new/case", data=new).status_code == 302
    assert ((content_dir / "cases" / "xin-pian.md").stat().st_mode & 0o777) == 0o644
    edit = {**form_of(admin, "/staff/edit/case/kept"), **entry_form(title="已有（修改）"), "action": "publish"}
    assert admin.post("/staff/edit/case/kept", data=edit).status_code == 302
    assert "已有（修改）" in kept.read_text("utf-8") and (kept.stat().st_mode & 0o777) == 0o640


def test_zero_result_searches_are_counted_per_day_bounded_and_pruned(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, resync: Callable[[], Any]
) -> None:
    resync()
    today = dt.datetime.now(ZoneInfo(app.config["CASEBOOK_TIMEZONE"])).date()
    with app.app_context():
        db.session.add_all(
            [
                SearchMiss(day=today - dt.timedelta(days=searching.MISS_DAYS + 1), query="太旧的词", count=9),
                SearchMiss(day=today - dt.timedelta(days=1), query="加装电梯", count=2),
            ]
        )
        db.session.commit()
    monkeypatch.setattr(searching, "MISS_QUERIES_PER_DAY", 5)
    client.get("/search?q=加装电梯")
    for n in range(8):
        client.get(f"/search?q=没有的词{n}")
    client.get("/api/search?q=没有的词0")
    with app.app_context():
        rows = {(m.day, m.query): m.count for m in db.session.scalars(select(SearchMiss))}
    assert (today - dt.timedelta(days=searching.MISS_DAYS + 1), "太旧的词") not in rows  # pruned
    todays = {q: c for (d, q), c in rows.items() if d == today}
    assert len(todays) == 5  # the day's cap: later new queries are not recorded
    assert todays["没有的词0"] == 2 and "没有的词7" not in todays
    admin = staff_client(app, "统计员", "admin")
    board = admin.get("/staff/").get_data(as_text=True)
    section = board[board.index("没有结果的搜索") :]
    assert f"近 {searching.MISS_DAYS} 天" in section
    assert re.search(r"加装电梯</a></td><td>3</td><td>" + today.isoformat(), section)  # summed over days


def test_the_proposal_form_and_its_csv_are_hardened(
    content_dir: Path, resync: Callable[[], Any], client: FlaskClient, app: Flask
) -> None:
    """The public 征集 form: no cache keeps what a resident typed, a formula typed as a title is text in
    the CSV, and oversized fields are refused with the typing."""
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    folder = content_dir / "projects" / "2030"
    folder.mkdir(parents=True)
    window = f"proposals:\n  open: {today - dt.timedelta(days=1)}\n  close: {today + dt.timedelta(days=1)}\n"
    (folder / "year.yml").write_text(window, "utf-8")
    resync()
    page = client.get("/projects/2030/propose")
    assert page.headers["Cache-Control"] == "no-store"
    fields = {"title": '=HYPERLINK("https://evil.example","点我")', "problem": "路灯不亮", "street": "林山寨街道"}
    assert (
        client.post(
            "/projects/2030/propose", data={**fields, "csrf_token": token(client, "/projects/2030/propose")}
        ).status_code
        == 302
    )
    huge = client.post(
        "/projects/2030/propose",
        data={**fields, "problem": "长" * 20_000, "csrf_token": token(client, "/projects/2030/propose")},
    )
    assert huge.status_code == 422 and "最多 1000 个字" in huge.get_data(as_text=True)
    from casebook.participation.proposal_models import Proposal

    with app.app_context():
        row = db.session.scalars(select(Proposal)).one()
        row.published = True
        db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/projects/2030/proposals.csv").data.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + fields["title"]


def _rated_project(
    content_dir: Path, resync: Callable[[], Any], title: str = "社区食堂", method: str = "入户问卷"
) -> str:
    path = content_dir / "projects" / "2024" / "shitang.md"
    path.parent.mkdir(parents=True)
    survey = f'survey:\n  method: "{method}"\n  satisfied: 3\n  basically: 1\n'
    path.write_text(f'---\ntitle: "{title}"\nyear: 2024\nlead: 区民政局\nstage: 完成\n{survey}---\n说明。\n', "utf-8")
    resync()
    return "/projects/2024/shitang"


def test_the_ratings_csv_writes_a_formula_title_and_method_as_text(
    content_dir: Path, resync: Callable[[], Any], client: FlaskClient
) -> None:
    _rated_project(content_dir, resync, title="=cmd|' /C calc'!A0", method="@SUM(A1)")
    rows = list(csv.reader(io.StringIO(client.get("/projects/2024/ratings.csv").data.decode("utf-8-sig"))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[1][8] == "'@SUM(A1)"
    assert rows[1][5:8] == ["3", "1", "0"] and rows[1][10] == "100.0%"


@pytest.mark.parametrize(
    ("fields", "cookie", "status"),
    [
        ({"choice": "满意<script>"}, None, 400),
        ({"choice": "满意" * 5000}, None, 400),
        ({"choice": "基本满意", "comment": "意" * 20_000}, None, 400),
        ({"choice": "不满意", "comment": "\x00\x1b[31m<b>粗</b>\u202e"}, None, 303),
        ({"choice": "满意"}, "x" * 4000, 303),
        ({"choice": "满意"}, "../../etc;=\u00e9", 303),
    ],
)
def test_hostile_ratings_are_refused_or_stored_safely_never_a_500(
    content_dir: Path,
    resync: Callable[[], Any],
    app: Flask,
    fields: dict[str, str],
    cookie: str | None,
    status: int,
) -> None:
    url = _rated_project(content_dir, resync)
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("casebook_rater", cookie, path="/projects/")
    response = client.post(f"{url}/rate", data={"csrf_token": token(client, url), **fields})
    assert response.status_code == status
    if status == 303:  # a bad cookie is replaced by a fresh random token, never stored or echoed
        fresh = response.headers["Set-Cookie"].split("casebook_rater=", 1)[1].split(";", 1)[0]
        assert len(fresh) == 43 and fresh != cookie
    else:
        assert "请" in response.get_data(as_text=True)


def test_a_rating_comment_is_shown_as_text_after_approval(
    content_dir: Path, resync: Callable[[], Any], app: Flask
) -> None:
    url = _rated_project(content_dir, resync)
    resident = app.test_client()
    resident.post(
        f"{url}/rate", data={"csrf_token": token(resident, url), "choice": "满意", "comment": "<img src=x>好"}
    )
    editor = staff_client(app, "编辑小赵", "editor")
    queue = editor.get("/staff/ratings").get_data(as_text=True)
    assert "&lt;img src=x&gt;好" in queue and "<img src=x>" not in queue
    rid = re.search(r'action="/staff/ratings/(\d+)"', queue)
    assert rid
    editor.post(
        f"/staff/ratings/{rid.group(1)}", data={"csrf_token": token(editor, "/staff/ratings"), "decision": "approve"}
    )
    page = resident.get(url).get_data(as_text=True)
    assert "&lt;img src=x&gt;好" in page and "<img src=x>" not in page


@pytest.mark.parametrize("url", [f"/projects/{HUGE}/x/rate", "/projects/2024/%00/rate", "/projects/2024/a.b/rate"])
def test_impossible_rating_addresses_are_not_found(client: FlaskClient, url: str) -> None:
    assert client.post(url, data={"choice": "满意"}).status_code in (400, 404)


def test_a_staff_rating_decision_on_an_impossible_number_is_not_found(app: Flask) -> None:
    """A number past SQLite's integer range is no route (it was an OverflowError, a 500)."""
    editor = staff_client(app, "编辑小赵", "editor")
    data = {"csrf_token": token(editor, "/staff/ratings"), "decision": "approve"}
    assert editor.post(f"/staff/ratings/{HUGE}", data=data).status_code == 404
    assert editor.post("/staff/ratings/2147483647", data=data).status_code == 302  # in range: "no longer waiting"
