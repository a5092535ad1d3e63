"""评议: residents rate a project at stage 评估 or 完成, through HTTP on a copy of the demo library.

One rating per browser (a second one replaces the first), limits per address, the honeypot, CSRF
recovery that keeps the typing, counts and share on the project page, the board and the CSV, with an
offline survey added in; comments hidden until staff approve them (audited); fresh pages after each
post although pages are cached.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casebook.db import db
from casebook.participation.models import Rating
from casebook.staff.models import AuditEvent

from .browserkit import prepare_app
from .staffkit import TOKEN_RE, staff_client

DONE = "/projects/2023/jiazhuang-dianti"
"""A demo project at stage 完成 (with a deputies' evaluation)."""
UNDER_WAY = "/projects/2023/shequ-shitang"
"""A demo project at stage 实施: not open to rating."""
SURVEY = """survey:
  date: 2024-01-10
  method: 入户问卷
  satisfied: 40
  basically: 8
  dissatisfied: 2
  note: 示例数字。
"""


def add_survey(root: Path) -> None:
    path = root / "projects" / "2023" / "jiazhuang-dianti.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("related:\n", SURVEY + "related:\n", 1), encoding="utf-8")


@pytest.fixture
def app(demo_content: Path, tmp_path: Path) -> Flask:
    return prepare_app(demo_content, tmp_path / "data", config={"TESTING": True})


@pytest.fixture
def surveyed(demo_content: Path, tmp_path: Path) -> Flask:
    add_survey(demo_content)
    return prepare_app(demo_content, tmp_path / "data", config={"TESTING": True})


def token_of(html: str) -> str:
    found = TOKEN_RE.search(html)
    assert found, html[:300]
    return found.group(1)


def rate(client: FlaskClient, choice: str, comment: str = "", url: str = DONE, **extra: str) -> object:
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": token_of(page.get_data(as_text=True)), "choice": choice, "comment": comment, **extra}
    return client.post(f"{url}/rate", data=data)


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def rating_section(html: str) -> str:
    found = re.search(r'<section class="rating".*?</section>', html, re.S)
    assert found, "no rating section"
    return found.group(0)


def test_a_finished_project_takes_a_rating_and_shows_the_result(app: Flask) -> None:
    client = app.test_client()
    page = text(client, DONE)
    assert 'action="/projects/2023/jiazhuang-dianti/rate#rating"' in page
    assert "暂无评议" in page and "代表评议/测评" in page and "群众评议" in page
    response = rate(client, "满意")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["Location"].endswith("rated=new#rating")  # type: ignore[attr-defined]
    cookie = response.headers["Set-Cookie"]  # type: ignore[attr-defined]
    assert "casebook_rater=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    section = rating_section(text(client, DONE + "?rated=new"))
    assert "感谢您参与评议" in section
    assert "100.0%" in section and "共 1 人" in section and "评价人数较少" in section
    with app.app_context():
        stored = db.session.scalars(select(Rating)).one()
        raw = cookie.split("casebook_rater=", 1)[1].split(";", 1)[0]
        assert stored.choice == "满意" and raw not in stored.token_hash and len(stored.token_hash) == 64


def test_a_second_rating_from_the_same_browser_replaces_the_first(app: Flask) -> None:
    client = app.test_client()
    rate(client, "满意")
    response = rate(client, "不满意", "电梯维保费用要讲清楚")
    assert response.headers["Location"].endswith("rated=replaced#rating")  # type: ignore[attr-defined]
    section = rating_section(text(client, DONE + "?rated=replaced"))
    assert "替换之前的评议" in section and "共 1 人" in section and "0.0%" in section
    other = app.test_client()  # another browser counts as another resident
    rate(other, "基本满意")
    section = rating_section(text(other, DONE))
    assert "共 2 人" in section and "50.0%" in section
    with app.app_context():
        assert sorted(r.choice for r in db.session.scalars(select(Rating))) == ["不满意", "基本满意"]


def test_rating_is_refused_before_evaluation_and_for_other_methods(app: Flask) -> None:
    client = app.test_client()
    page = text(client, UNDER_WAY)
    assert "/rate" not in page and "我来评议" not in page
    token = token_of(text(client, DONE))
    refused = client.post(f"{UNDER_WAY}/rate", data={"csrf_token": token, "choice": "满意"})
    assert refused.status_code == 404
    assert "暂不接受评议" in refused.get_data(as_text=True) and "“实施”阶段" in refused.get_data(as_text=True)
    assert client.get(f"{DONE}/rate").status_code == 405
    assert client.post("/projects/2023/no-such/rate", data={"csrf_token": token, "choice": "满意"}).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Rating)).first() is None


def test_a_bad_rating_comes_back_with_what_was_typed(app: Flask) -> None:
    client = app.test_client()
    missing = rate(client, "", "楼道里的电梯很方便")
    assert missing.status_code == 400  # type: ignore[attr-defined]
    html = missing.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "请选择" in html and "楼道里的电梯很方便</textarea>" in html
    long = "很" * 301
    too_long = rate(client, "基本满意", long)
    html = too_long.get_data(as_text=True)  # type: ignore[attr-defined]
    assert too_long.status_code == 400 and "不要超过 300 个字" in html  # type: ignore[attr-defined]
    assert long in html and 'value="基本满意" required checked' in html
    with app.app_context():
        assert db.session.scalars(select(Rating)).first() is None


def test_an_expired_token_keeps_the_choice_and_the_comment(app: Flask) -> None:
    client = app.test_client()
    client.get(DONE)
    response = client.post(f"{DONE}/rate", data={"csrf_token": "stale", "choice": "不满意", "comment": "等了很久"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "页面已过期" in html and "等了很久</textarea>" in html and 'value="不满意" required checked' in html
    again = client.post(f"{DONE}/rate", data={"csrf_token": token_of(html), "choice": "不满意", "comment": "等了很久"})
    assert again.status_code == 303


def test_the_honeypot_drops_a_robots_rating_quietly(app: Flask) -> None:
    client = app.test_client()
    response = rate(client, "满意", website="http://spam.example")
    assert response.status_code == 303  # type: ignore[attr-defined]
    with app.app_context():
        assert db.session.scalars(select(Rating)).first() is None


def test_ratings_are_limited_per_address(demo_content: Path, tmp_path: Path) -> None:
    app = prepare_app(demo_content, tmp_path / "d", config={"TESTING": True, "RATING_PER_HOUR": 2})
    for _ in range(2):
        assert rate(app.test_client(), "满意").status_code == 303  # type: ignore[attr-defined]
    client = app.test_client()
    refused = rate(client, "满意", "第三份")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    html = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "提交得太频繁" in html and "第三份</textarea>" in html
    assert int(refused.headers["Retry-After"]) > 0  # type: ignore[attr-defined]
    assert "共 2 人" in rating_section(text(client, DONE))


def test_comments_show_only_after_approval_and_moderation_is_audited(app: Flask) -> None:
    resident = app.test_client()
    rate(resident, "基本满意", "希望把维保协议贴在单元门口")
    rate(app.test_client(), "不满意", "广告链接 请忽略")
    assert "希望把维保协议" not in text(resident, DONE)
    editor = staff_client(app, "编辑小李", "editor")
    queue = text(editor, "/staff/ratings")
    assert "希望把维保协议贴在单元门口" in queue and "广告链接" in queue and "待审核" in queue
    with app.app_context():
        ids = {r.comment: r.id for r in db.session.scalars(select(Rating))}
    page = editor.get("/staff/ratings").get_data(as_text=True)
    token = token_of(page)
    approve = {"csrf_token": token, "decision": "approve"}
    ok = editor.post(f"/staff/ratings/{ids['希望把维保协议贴在单元门口']}", data=approve)
    assert ok.status_code == 302
    editor.post(f"/staff/ratings/{ids['广告链接 请忽略']}", data={"csrf_token": token, "decision": "reject"})
    again = editor.post(f"/staff/ratings/{ids['广告链接 请忽略']}", data={"csrf_token": token, "decision": "approve"})
    assert "已不在待审核列表中" in editor.get(again.headers["Location"]).get_data(as_text=True)
    section = rating_section(text(resident, DONE))
    assert "希望把维保协议贴在单元门口" in section and "广告链接" not in section
    assert "共 2 人" in section  # a rejected comment's choice still counts
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("rating-%"))).all()
        assert sorted(e.action for e in events) == ["rating-approve", "rating-reject"]
        assert all(e.user == "编辑小李" and e.target == "project/jiazhuang-dianti" for e in events)


def test_moderation_is_for_staff_only(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/staff/ratings").status_code == 302
    token = token_of(text(client, DONE))
    assert client.post("/staff/ratings/1", data={"csrf_token": token, "decision": "approve"}).status_code == 401


def test_survey_counts_join_the_results_on_page_board_and_csv(surveyed: Flask) -> None:
    client = surveyed.test_client()
    rate(client, "不满意")
    section = rating_section(text(client, DONE))
    # online 0/0/1, survey 40/8/2: together 40/8/3 of 51 → 48/51 = 94.1%
    assert "94.1%" in section and "共 51 人" in section and "入户问卷" in section
    assert "网上评议 1 人 + 线下问卷 50 人" in section and "评价人数较少" not in section
    board = text(client, "/projects/2023")
    assert "本年度群众评议" in board and "94.1%" in board and "（网上 1 人，线下问卷 50 人）" in board
    assert "代表评议/测评" in board and "满意 92 分" in board
    response = client.get("/projects/2023/ratings.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "项目" and "满意率（满意+基本满意）" in rows[0]
    by_title = {row[0]: row for row in rows[1:]}
    expected = ["0", "0", "1", "40", "8", "2", "入户问卷", "51", "94.1%", "满意", "92"]
    assert by_title["老旧小区加装电梯"][2:13] == expected
    assert by_title["社区食堂建设"][9] == "0"


def test_cached_pages_show_a_new_rating_and_an_approved_comment_at_once(app: Flask) -> None:
    client = app.test_client()
    for url in (DONE, "/projects/2023", "/projects/2023/ratings.csv"):
        client.get(url)
        client.get(url)  # now cached
    rate(app.test_client(), "满意", "很好")
    assert "共 1 人" in rating_section(text(client, DONE))
    assert "100.0%" in text(client, "/projects/2023")
    assert ",1,0,0," in client.get("/projects/2023/ratings.csv").get_data(as_text=True)
    editor = staff_client(app, "编辑小李", "editor")
    with app.app_context():
        rid = db.session.scalars(select(Rating)).one().id
    token = token_of(text(editor, "/staff/ratings"))
    editor.post(f"/staff/ratings/{rid}", data={"csrf_token": token, "decision": "approve"})
    assert "很好" in rating_section(text(client, DONE))


def test_a_cached_project_page_gives_each_visitor_a_token_of_their_own(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    one, two = token_of(text(first, DONE)), token_of(text(second, DONE))
    assert one != two and "__casebook-csrf-token__" not in text(second, DONE)
    response = second.post(f"{DONE}/rate", data={"csrf_token": two, "choice": "满意"})
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("survey", "problem"),
    [
        ("survey:\n  method: 入户问卷\n  satisfied: -3\n", "8: survey 的 satisfied：不能为负数"),
        ("survey:\n  method: 入户问卷\n  satisfied: 很多\n", "8: survey 的 satisfied：应为整数"),
        ("survey:\n  satisfied: 3\n", "6: survey 缺少 method"),
        ("survey:\n  method: 入户问卷\n", "6: survey 需要 satisfied"),
        ("survey:\n  method: 入户问卷\n  satisfied: 3\n  votes: 2\n", "9: survey（线下问卷）中的未知字段“votes”"),
        ("survey: 很满意\n", "6: survey（线下问卷）应为"),
    ],
)
def test_a_bad_survey_is_reported_with_its_line_and_not_shown(tmp_path: Path, survey: str, problem: str) -> None:
    from casebook.content.projects import parse_project_text

    text = f"---\ntitle: 社区食堂\nyear: 2023\nlead: 区民政局\nstage: 完成\n{survey}---\n说明。\n"
    path = tmp_path / "projects" / "2023" / "shitang.md"
    project, problems = parse_project_text(text, "shitang", "2023", path=path)
    assert project is not None
    found = [f"{p.line}: {p.message}" for p in problems]
    assert any(line.startswith(problem) for line in found), found
    if "votes" in survey:  # an unknown key is dropped, the rest kept
        assert project.survey is not None and project.survey.total == 3
    else:
        assert project.survey is None


def test_the_editor_writes_a_survey_and_reports_a_bad_count_under_its_input(app: Flask, demo_content: Path) -> None:
    admin = staff_client(app, "问卷编辑", "admin")
    url = "/staff/edit/project/shequ-shitang"
    page = admin.get(url).get_data(as_text=True)
    for name in ("survey-method", "survey-satisfied", "survey-basically", "survey-dissatisfied", "survey-date"):
        assert f'name="{name}"' in page
    from .test_schema_roundtrip import _form_controls

    controls = _form_controls(page)
    bad = {**controls, "survey-method": "入户问卷", "survey-satisfied": "很多", "action": "publish"}
    html = admin.post(url, data=bad).get_data(as_text=True)
    assert 'value="很多"' in html and "线下问卷的“满意”：应为整数" in html and "survey 的" not in html
    good = {**controls, "survey-method": "入户问卷", "survey-satisfied": "12", "survey-dissatisfied": "3"}
    assert admin.post(url, data={**good, "action": "publish"}).status_code == 302
    written = (demo_content / "projects" / "2023" / "shequ-shitang.md").read_text("utf-8")
    assert "survey:\n  method: 入户问卷\n  satisfied: 12\n  basically: 0\n  dissatisfied: 3\n" in written
    assert "80.0%" in text(admin, "/projects/2023/shequ-shitang")  # shown although the stage is 实施


def test_the_rating_cookie_is_secure_on_an_https_site(demo_content: Path, tmp_path: Path) -> None:
    app = prepare_app(demo_content, tmp_path / "s", site_url="https://cases.example.org", config={"TESTING": True})
    cookie = rate(app.test_client(), "满意").headers["Set-Cookie"]  # type: ignore[attr-defined]
    assert "casebook_rater=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
