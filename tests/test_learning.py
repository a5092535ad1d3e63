"""借鉴 learning records (issue 15, point 5): ``content/learning/<slug>.md`` — which community visited,
exchanged with or took up which case, interview or topic — checked like entries, shown on the entry,
topic, home and community pages and at ``/learning/``, searchable, in the API and the sitemap, and
written by staff through the same editor and review as entries.

On the demo library (tests/democontent, an invented district: three records under learning/) copied
to tmp_path, or on records the tests write; never on the facts of ``content/``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from casebook.cli import main
from casebook.content import load_rules
from casebook.content.learning import Learning, parse_learning_text, serialize_learning

from .browserkit import prepare_app
from .conftest import WriteEntry
from .staffkit import form_of, publish_form, staff_client
from .test_staff_uploads import encode, upload


@pytest.fixture
def demo_app(demo_content: Path, tmp_path: Path) -> Flask:
    return prepare_app(
        demo_content, tmp_path / "data", rebuild_index=True, config={"TESTING": True}, site_url="https://x.example"
    )


@pytest.fixture
def demo(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


def page(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def record(root: Path, slug: str, text: str) -> Path:
    path = root / "learning" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def table_rows(html: BeautifulSoup) -> list[list[str]]:
    table = html.find("table", class_="learning-table")
    assert table is not None
    return [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]


# -- files: validation with path:line, the round trip ------------------------------------------


def test_check_reports_each_bad_reference_with_its_line(demo_content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record(
        demo_content,
        "bad",
        "---\ndate: 2023-05-12\ncommunity: 石桥社区\ntype: 参观\n"
        "learned_from:\n  - case/no-such-case\n  - case/dianti-liuan-qihao\n  - dianti\n"
        "topic: no-such-topic\n---\n看了电梯。\n",
    )
    record(demo_content, "wrong-street", "---\ndate: 2023-05-12\nstreet: 望川街道\ncommunity: 石桥社区\n"
           "type: 参观\nlearned_from: [case/dianti-liuan-qihao]\n---\n")  # fmt: skip
    record(
        demo_content,
        "no-type",
        "---\ndate: 2023-05-12\ncommunity: 石桥社区\ntype: 考察\ntopic: dianti-jiazhuang\n---\n",
    )
    record(demo_content, "nothing-learned", "---\ndate: 2023-05-12\ncommunity: 石桥社区\ntype: 交流\n---\n")
    monkeypatch.chdir(demo_content)
    result = CliRunner().invoke(main, ["check", str(demo_content)])
    assert result.exit_code == 1
    out = result.output
    assert "learning/bad.md:6: learned_from 第 1 项：没有条目“case/no-such-case”" in out
    assert "learning/bad.md:8: learned_from 第 3 项：“dianti”应写成 类型/slug" in out
    assert "learning/bad.md:9: 未知主题“no-such-topic”" in out
    assert "learning/wrong-street.md:4: 社区“石桥社区”属于松涛街道，不属于望川街道" in out
    assert "learning/no-type.md:4: type：" in out and "参观" in out
    assert "learning/nothing-learned.md:" in out and "缺少学习对象" in out
    assert "learning/bad.md:7" not in out  # the good reference in between is kept
    assert "4 条借鉴记录" in result.output  # the demo's three, and bad.md: its one good reference keeps it


def test_a_record_round_trips_through_serialize(demo_content: Path) -> None:
    rules, _ = load_rules(demo_content)
    original = Learning(
        slug="beiyuan-jiejian",
        date=dt.date(2023, 9, 1),
        community="北园社区",
        street="望川街道",
        type="借鉴落地",
        learned_from=("case/dianti-liuan-qihao", "interview/dianti-liuan"),
        topic="dianti-jiazhuang",
        title="北园社区借鉴三轮议事",
        body="照着做了。\n",
        sample=True,
    )
    text = serialize_learning(original)
    assert text.index("date:") < text.index("community:") < text.index("type:") < text.index("learned_from:")
    again, problems = parse_learning_text(text, "beiyuan-jiejian", rules=rules, path=Path("x.md"))
    assert problems == [] and again == original


def test_a_known_community_without_street_gets_its_street(demo_content: Path) -> None:
    rules, _ = load_rules(demo_content)
    text = "---\ndate: 2023-05-12\ncommunity: 北园社区\ntype: 交流\ntopic: shequ-shitang\n---\n"
    found, problems = parse_learning_text(text, "x", rules=rules, path=Path("x.md"))
    assert problems == [] and found is not None and found.street == "望川街道"


# -- pages --------------------------------------------------------------------------------------


def test_the_learning_page_lists_records_newest_first_with_a_matrix(demo: FlaskClient) -> None:
    html = page(demo, "/learning/")
    rows = table_rows(html)
    assert [r[0] for r in rows] == ["2023年9月1日", "2023年6月20日", "2023年5月12日"]
    assert rows[0][1].startswith("北园社区") and "望川街道" in rows[0][1] and "借鉴落地" in rows[0][1]
    assert html.find("a", href="/learning/beiyuan-jiejian-dianti") is not None
    matrix = html.find("table", class_="learning-matrix")
    assert matrix is not None and matrix.caption is not None and "街道 × 主题" in matrix.caption.get_text()
    heads = [th.get_text(" ", strip=True) for th in matrix.thead.find_all("th")]
    assert heads == ["街道", "第1期 老楼加装电梯", "第2期 社区食堂运营"]
    cells = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in matrix.tbody.find_all("tr")
    }
    assert cells == {"松涛街道": ["1", "1"], "望川街道": ["1", "–"]}  # places.yml's order of streets
    link = matrix.find("a", string="1")
    assert link is not None and link["href"].startswith("/learning/?street=")
    assert "topic=dianti-jiazhuang" in link["href"]


@pytest.mark.parametrize(
    ("query", "dates"),
    [
        ("street=松涛街道", ["2023年6月20日", "2023年5月12日"]),
        ("type=借鉴落地", ["2023年9月1日"]),
        ("topic=shequ-shitang", ["2023年6月20日"]),
        ("street=松涛街道&topic=dianti-jiazhuang", ["2023年5月12日"]),
    ],
)
def test_the_learning_table_filters_by_street_type_and_topic(demo: FlaskClient, query: str, dates: list[str]) -> None:
    html = page(demo, "/learning/?" + query)
    assert [r[0] for r in table_rows(html)] == dates
    assert html.select("a.chip-on")  # the filter shows, with a link to take it off


def test_the_learning_table_is_paginated(demo_content: Path, tmp_path: Path) -> None:
    for n in range(1, 24):
        record(demo_content, f"canguan-{n:02d}", f"---\ndate: 2024-01-{n:02d}\ncommunity: 石桥社区\ntype: 参观\n"
               "learned_from: [case/dianti-liuan-qihao]\n---\n")  # fmt: skip
    client = prepare_app(demo_content, tmp_path / "data", config={"TESTING": True}).test_client()
    first, second = page(client, "/learning/"), page(client, "/learning/?page=2")
    assert len(table_rows(first)) == 20 and table_rows(first)[0][0] == "2024年1月23日"
    assert [r[0] for r in table_rows(second)][-1] == "2023年5月12日" and len(table_rows(second)) == 6
    assert "第 1 / 2 页" in first.get_text() and second.find("a", string="上一页") is not None


def test_a_record_has_its_own_page(demo: FlaskClient) -> None:
    html = page(demo, "/learning/beiyuan-jiejian-dianti")
    assert html.h1 is not None and html.h1.get_text() == "北园社区把三轮议事用到三号楼"
    text = html.get_text(" ", strip=True)
    assert "2023年9月1日" in text and "望川街道" in text and "示例内容" in text
    hrefs = {a["href"] for a in html.find_all("a", href=True)}
    assert {"/cases/dianti-liuan-qihao", "/interviews/dianti-liuan", "/communities/" + quote("北园社区")} <= hrefs
    assert demo.get("/learning/no-such-record").status_code == 404
    # a record without a title of its own is named after the community and what it learned from
    assert (
        page(demo, "/learning/shiqiao-canguan-dianti").h1.get_text()
        == "石桥社区参观：柳岸社区七号楼：三轮议事换来一部电梯"
    )


def test_a_case_page_shows_who_came_to_learn_and_nothing_when_nobody_did(demo: FlaskClient) -> None:
    html = page(demo, "/cases/dianti-liuan-qihao")
    section = html.find("section", class_="learning-visits")
    assert section is not None and section.h2.get_text() == "已有 2 个社区来参观学习"
    items = [li.get_text(" ", strip=True) for li in section.find_all("li")]
    assert items[0].startswith("北园社区") and "望川街道" in items[0] and "借鉴落地" in items[0]
    assert "石桥社区" in items[1] and "参观" in items[1] and "2023年5月12日" in items[1]
    assert section.find("a", href="/learning/shiqiao-canguan-dianti") is not None
    interview = page(demo, "/interviews/dianti-liuan").find("section", class_="learning-visits")
    assert interview is not None and interview.h2.get_text() == "已有 1 个社区来参观学习"
    assert page(demo, "/cases/yuntai-dianti").find("section", class_="learning-visits") is None
    assert "参观学习" not in demo.get("/cases/yuntai-dianti").get_data(as_text=True)


def test_a_topic_loop_has_a_fifth_step_and_the_home_card_a_fifth_chip(demo: FlaskClient) -> None:
    html = page(demo, "/topics/dianti-jiazhuang")
    steps = html.select("ol.loop-steps > li.loop-step")
    assert len(steps) == 5 and steps[-1]["id"] == "part-learning"
    step = steps[-1].get_text(" ", strip=True)
    assert "2 个社区参观、交流或借鉴了本期内容" in step and "1 个已借鉴落地：北园社区" in step
    assert steps[-1].find("a", href="/learning/?topic=dianti-jiazhuang") is not None
    example = page(demo, "/topics/laji-fenlei").select("ol.loop-steps > li.loop-step")[-1]
    assert "还没有社区来参观学习" in example.get_text()
    home = page(demo, "/")
    chips = {a.get_text(" ", strip=True) for a in home.select("a.loop-chip") if a["href"].endswith("#part-learning")}
    assert "第1期 借鉴 2 个社区" in chips and "第2期 借鉴 1 个社区" in chips and "第3期 借鉴 待补充" in chips


def test_a_community_page_lists_what_it_learned_and_who_learned_from_it(demo: FlaskClient) -> None:
    liuan = page(demo, "/communities/" + quote("柳岸社区"))
    learned, taught = liuan.find("section", id="learned"), liuan.find("section", id="taught")
    assert learned is not None and learned.find("a", href="/learning/liuan-jiaoliu-shitang") is not None
    assert taught is not None
    assert {a.get_text() for a in taught.find_all("a")} == {"北园社区", "石桥社区"}
    beiyuan = page(demo, "/communities/" + quote("北园社区"))
    assert beiyuan.find("section", id="taught").find("a").get_text() == "柳岸社区"  # learned from its 食堂 interview


def test_drafts_stay_off_every_page(demo_content: Path, tmp_path: Path) -> None:
    record(demo_content, "caogao", "---\ndate: 2024-02-01\ncommunity: 北园社区\ntype: 参观\n"
           "learned_from: [case/yuntai-dianti]\nstatus: draft\n---\n草稿的记录。\n")  # fmt: skip
    client = prepare_app(demo_content, tmp_path / "data", config={"TESTING": True}).test_client()
    assert client.get("/learning/caogao").status_code == 404
    assert "learning-visits" not in client.get("/cases/yuntai-dianti").get_data(as_text=True)
    assert len(table_rows(page(client, "/learning/"))) == 3
    assert json.loads(client.get("/api/learning").data)["total"] == 3


# -- search, API, sitemap ---------------------------------------------------------------------


def test_search_finds_records(demo: FlaskClient) -> None:
    answer = json.loads(demo.get("/api/search?q=三号楼").data)
    assert [(r["kind"], r["slug"]) for r in answer["results"]] == [("learning", "beiyuan-jiejian-dianti")]
    assert answer["results"][0]["url"] == "https://x.example/learning/beiyuan-jiejian-dianti"
    html = page(demo, "/search?q=三号楼")
    assert html.find("a", href="/learning/beiyuan-jiejian-dianti") is not None and "借鉴" in html.get_text()


def test_the_api_lists_filters_and_shows_records(demo: FlaskClient) -> None:
    listing = json.loads(demo.get("/api/learning?street=松涛街道").data)
    assert listing["total"] == 2 and [r["slug"] for r in listing["results"]] == [
        "liuan-jiaoliu-shitang",
        "shiqiao-canguan-dianti",
    ]
    one = json.loads(demo.get("/api/learning/beiyuan-jiejian-dianti").data)
    assert one["community"] == "北园社区" and one["type"] == "借鉴落地" and one["date"] == "2023-09-01"
    assert one["learned_from"] == ["case/dianti-liuan-qihao", "interview/dianti-liuan"]
    assert one["topics"] == ["dianti-jiazhuang"] and "三号楼" in one["html"]
    assert one["sources"][0]["url"] == "https://x.example/cases/dianti-liuan-qihao"
    assert demo.get("/api/learning/nope").status_code == 404
    spec = json.loads(demo.get("/api/openapi.json").data)
    assert {"/api/learning", "/api/learning/{slug}"} <= set(spec["paths"])
    schema = spec["paths"]["/api/learning/{slug}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(one) == set(schema["properties"])  # the description names every key the answer has
    assert schema["properties"]["type"]["enum"] == ["参观", "交流", "借鉴落地"]


def test_the_sitemap_lists_records(demo: FlaskClient) -> None:
    xml = demo.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>https://x.example/learning/</loc>" in xml
    assert "<loc>https://x.example/learning/beiyuan-jiejian-dianti</loc><lastmod>2023-09-01</lastmod>" in xml


# -- staff: the editor and the review ---------------------------------------------------------


def _form(**changes: str) -> dict[str, str]:
    values = {
        "slug": "shiqiao-jiejian",
        "date": "2024-03-08",
        "community": "石桥社区",
        "street": "",
        "type": "借鉴落地",
        "learned_from": "case/dianti-liuan-qihao",
        "topic": "",
        "title": "",
        "body": "石桥社区五号楼照着三轮议事谈成了电梯。",
    }
    return values | changes


def test_staff_record_a_visit_through_the_editor_and_review(demo_app: Flask, demo_content: Path) -> None:
    editor = staff_client(demo_app, "编辑小王", "editor")
    reviewer = staff_client(demo_app, "审核老周", "reviewer")
    new = editor.get("/staff/new/learning").get_data(as_text=True)
    assert 'name="learned_from"' in new and 'name="community"' in new and "借鉴落地" in new
    # a bad reference comes back under its field, with everything typed kept
    bad = _form(learned_from="case/no-such-case")
    r = editor.post("/staff/new/learning", data={**form_of(editor, "/staff/new/learning"), **bad, "action": "submit"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "没有条目“case/no-such-case”" in text
    assert "石桥社区五号楼照着三轮议事谈成了电梯。" in text and 'value="case/no-such-case"' in text
    assert not (demo_content / "learning" / "shiqiao-jiejian.md").exists()
    # a good one is written as a file, submitted, and published by the reviewer
    r = editor.post(
        "/staff/new/learning", data={**form_of(editor, "/staff/new/learning"), **_form(), "action": "submit"}
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    path = demo_content / "learning" / "shiqiao-jiejian.md"
    assert "status: submitted" in path.read_text("utf-8")
    public = demo_app.test_client()
    assert public.get("/learning/shiqiao-jiejian").status_code == 404
    r = reviewer.post(
        "/staff/status/learning/shiqiao-jiejian", data=publish_form(reviewer, "learning", "shiqiao-jiejian")
    )
    assert r.status_code == 302
    saved = path.read_text("utf-8")
    assert "status: published" in saved and "street: 松涛街道" in saved and "learned_from:" in saved
    assert page(public, "/learning/shiqiao-jiejian").h1.get_text().startswith("石桥社区借鉴落地")
    visits = page(public, "/cases/dianti-liuan-qihao").find("section", class_="learning-visits")
    assert visits is not None and visits.h2.get_text() == "已有 2 个社区来参观学习"  # 石桥 twice, 北园 once
    assert len(visits.find_all("li")) == 3
    assert page(editor, "/staff/view/learning/shiqiao-jiejian").find("article") is not None
    edit = editor.get("/staff/edit/learning/shiqiao-jiejian").get_data(as_text=True)
    assert 'value="case/dianti-liuan-qihao"' in edit and 'value="2024-03-08"' in edit


def test_staff_find_records_in_the_list_of_all_content(demo_app: Flask) -> None:
    editor = staff_client(demo_app, "编辑小王", "editor")
    html = page(editor, "/staff/entries")
    row = next(li for li in html.find_all("li") if "北园社区把三轮议事用到三号楼" in li.get_text())
    assert "借鉴学习" in row.get_text() and row.find("a", href="/staff/edit/learning/beiyuan-jiejian-dianti")


def test_a_picture_in_a_record_is_public_once_the_record_is_published(
    app: Flask, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "louyuan-386", title="386号院", street="林山寨街道", community="农业银行社区")
    resync()
    editor, reviewer = staff_client(app, "editor1", "editor"), staff_client(app, "reviewer1", "reviewer")
    picture = upload(editor, encode(Image.new("RGB", (400, 300), "orange"), "JPEG"), "参观.jpg").get_json()
    url, anonymous = f"/media/{picture['path']}", app.test_client()
    values = _form(
        slug="bishagang-canguan",
        community="碧沙岗社区",
        type="参观",
        learned_from="case/louyuan-386",
        body=f"在院里看了公约栏。\n\n{picture['markdown']}\n",
    )
    r = editor.post(
        "/staff/new/learning", data={**form_of(editor, "/staff/new/learning"), **values, "action": "submit"}
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    assert anonymous.get(url).status_code == 404  # waiting for review: staff only
    publish = publish_form(reviewer, "learning", "bishagang-canguan")
    assert reviewer.post("/staff/status/learning/bishagang-canguan", data=publish).status_code == 302
    assert anonymous.get(url).status_code == 200
    html = page(anonymous, "/learning/bishagang-canguan")
    assert html.find("img", src=lambda s: bool(s) and picture["path"].rsplit(".", 1)[0] in s) is not None


def test_a_record_naming_a_draft_shows_nothing_of_it_until_it_is_published(demo_content: Path, tmp_path: Path) -> None:
    """A record may name a case still in draft (it is valid), but the draft's title, topic and key stay
    off the public pages and the API until the case is published."""
    record(demo_content, "caogao-xuexi", "---\ndate: 2024-03-01\ncommunity: 石桥社区\ntype: 参观\n"
           "learned_from: [case/fenlei-caogao]\n---\n看了分类督导。\n")  # fmt: skip
    draft_case = demo_content / "cases" / "fenlei-caogao.md"
    title = "垃圾分类督导员的一天"
    assert "status: draft" in draft_case.read_text("utf-8")
    client = prepare_app(demo_content, tmp_path / "data1", config={"TESTING": True}).test_client()
    one = json.loads(client.get("/api/learning/caogao-xuexi").data)
    assert one["learned_from"] == [] and one["topics"] == [] and one["sources"] == []
    assert title not in client.get("/learning/caogao-xuexi").get_data(as_text=True)
    assert title not in client.get("/learning/").get_data(as_text=True)
    draft_case.write_text(draft_case.read_text("utf-8").replace("status: draft", "status: published"), "utf-8")
    client = prepare_app(demo_content, tmp_path / "data2", config={"TESTING": True}).test_client()
    one = json.loads(client.get("/api/learning/caogao-xuexi").data)
    assert one["learned_from"] == ["case/fenlei-caogao"] and one["topics"] == ["laji-fenlei"]
    assert title in client.get("/learning/caogao-xuexi").get_data(as_text=True)


def test_every_public_page_links_the_learning_records_from_its_footer(demo: FlaskClient) -> None:
    for url in ("/", "/cases/dianti-liuan-qihao", "/projects/", "/search?q=电梯"):
        footer = page(demo, url).find("footer")
        assert footer is not None and footer.find("a", href="/learning/") is not None, url
