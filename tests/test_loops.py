"""Links that close loops (issue 14, point 5): a project's ``topics:`` and the pages that follow it,
the home page's summary of the newest year's 民生实事, and topic-card chips that link to the parts.

Everything runs on fixtures: the demo library (tests/democontent) copied to tmp_path, or the small
conftest library; never on the facts of ``content/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from bs4 import BeautifulSoup, Tag
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from casebook import create_app, migrate
from casebook.catalog import sync
from casebook.cli import main
from casebook.content import load
from casebook.content.projects import parse_project_text, serialize_project
from casebook.db import db
from casebook.models import Setting

from .browserkit import prepare_app
from .staffkit import staff_client

PROJECT = """\
---
title: {title}
year: {year}
lead: 区民政局
stage: {stage}
{extra}---
项目正文。
"""


def write_project(
    root: Path, slug: str, year: int = 2024, stage: str = "票决", title: str = "", extra: str = ""
) -> Path:
    path = root / "projects" / str(year) / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROJECT.format(title=title or f"项目{slug}", year=year, stage=stage, extra=extra), "utf-8")
    return path


@pytest.fixture
def demo_app(demo_content: Path, tmp_path: Path) -> Flask:
    return prepare_app(demo_content, tmp_path / "data", config={"TESTING": True})


def soup(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def section(page: BeautifulSoup, heading: str) -> Tag:
    """The <section> whose h2 starts with ``heading``."""
    for h2 in page.find_all("h2"):
        if h2.get_text(" ", strip=True).startswith(heading) and h2.find_parent("section"):
            found = h2.find_parent("section")
            assert isinstance(found, Tag)
            return found
    raise AssertionError(f"no section headed {heading!r}")


# -- topics: on a project ------------------------------------------------------------------------


def test_a_topic_page_lists_the_projects_naming_it_with_year_and_stage(demo_content: Path, tmp_path: Path) -> None:
    write_project(
        demo_content, "dianti-erqi", 2024, "审议", "加装电梯二期", "topics: [shequ-shitang, dianti-jiazhuang]\n"
    )
    client = prepare_app(demo_content, tmp_path / "data", config={"TESTING": True}).test_client()
    items = section(soup(client, "/topics/dianti-jiazhuang"), "相关民生实事").find_all("li")
    shown = [(li.a["href"], li.get_text(" ", strip=True)) for li in items]
    assert shown == [  # newest year first, each with its year and stage
        ("/projects/2024/dianti-erqi", "加装电梯二期 2024年 · 阶段：审议"),
        ("/projects/2023/jiazhuang-dianti", "老旧小区加装电梯 2023年 · 阶段：完成"),
    ]
    # a topic no project names shows no such section
    assert "相关民生实事" not in soup(client, "/topics/laji-fenlei").get_text()


def test_a_project_page_lists_its_topics_in_its_own_order(demo_content: Path, tmp_path: Path) -> None:
    write_project(demo_content, "dianti-erqi", 2024, extra="topics: [shequ-shitang, dianti-jiazhuang]\n")
    client = prepare_app(demo_content, tmp_path / "data", config={"TESTING": True}).test_client()
    facts = soup(client, "/projects/2024/dianti-erqi").find("dl", class_="facts")
    assert isinstance(facts, Tag)
    dt = facts.find("dt", string="相关主题")
    assert dt is not None, facts
    dd = dt.find_next_sibling("dd")
    assert [(a["href"], a.get_text()) for a in dd.find_all("a")] == [
        ("/topics/shequ-shitang", "第2期·社区食堂运营"),
        ("/topics/dianti-jiazhuang", "第1期·老楼加装电梯"),
    ]
    assert soup(client, "/projects/2023/fenlei-dudao").find("dt", string="相关主题") is None


def test_check_reports_an_unknown_topic_with_its_path_and_line(content_dir: Path, runner: CliRunner) -> None:
    write_project(content_dir, "bad-topic", extra="topics:\n  - louyuan\n  - no-such-topic\n")
    result = runner.invoke(main, ["check", str(content_dir)])
    assert result.exit_code != 0, result.output
    assert re.search(r"projects/2024/bad-topic\.md:8\S*.*没有主题“no-such-topic”", result.output), result.output
    project = load(content_dir).projects["bad-topic"]
    assert project.topics == ("louyuan",)  # the known one is kept, the unknown one dropped


def test_topics_are_written_back_as_read(content_dir: Path) -> None:
    path = write_project(content_dir, "round", extra="topics: [yiqing, louyuan]\n")
    text = path.read_text("utf-8")
    project, problems = parse_project_text(text, "round", "2024", path=path, topics={"louyuan", "yiqing"})
    assert project is not None and problems == [] and project.topics == ("yiqing", "louyuan")
    written = serialize_project(project)
    assert "topics:\n- yiqing\n- louyuan\n" in written
    again, _ = parse_project_text(written, "round", "2024", path=path, topics={"louyuan", "yiqing"})
    assert again == project


def test_the_staff_project_editor_offers_the_topics_and_keeps_them(
    app: Flask, content_dir: Path, resync: Callable[[], Any]
) -> None:
    write_project(content_dir, "bianji", extra="topics: [yiqing]\n")
    resync()
    editor = staff_client(app, "admin1", "admin")  # publishes: the file is written at once
    page = BeautifulSoup(editor.get("/staff/edit/project/bianji").get_data(as_text=True), "html.parser")
    boxes = {box["name"]: box for box in page.select('input[type="checkbox"][name^="topics-"]')}
    assert set(boxes) == {"topics-louyuan", "topics-yiqing", "topics-extra"}
    assert boxes["topics-yiqing"].has_attr("checked") and not boxes["topics-louyuan"].has_attr("checked")
    assert "第1期·无主管楼院治理" in boxes["topics-louyuan"].parent.get_text()  # labelled by the topic
    controls: dict[str, str] = {
        str(c["name"]): str(c.get("value", ""))
        for c in page.select("form#editor input[name]")
        if c.get("type") not in ("checkbox", "submit", "button", "file")
    }
    controls |= {t["name"]: t.get_text() for t in page.select("form#editor textarea[name]")}
    controls |= {"stage": "票决", "topics-yiqing": "1", "topics-louyuan": "1", "action": "publish"}
    response = editor.post("/staff/edit/project/bianji", data=controls)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    text = (content_dir / "projects" / "2024" / "bianji.md").read_text("utf-8")
    assert "topics:\n- yiqing\n- louyuan\n" in text  # the file's topic first, the newly ticked one after


# -- the home page's 民生实事 summary ------------------------------------------------------------------


def test_home_summarises_the_newest_years_projects_by_stage(demo_content: Path, tmp_path: Path) -> None:
    write_project(demo_content, "xin-yi", 2024, "票决")
    write_project(demo_content, "xin-er", 2024, "票决")
    write_project(demo_content, "xin-san", 2024, "实施")
    write_project(demo_content, "xin-cao", 2024, "征集", extra="status: draft\n")  # not public: not counted
    client = prepare_app(demo_content, tmp_path / "data", config={"TESTING": True}).test_client()
    summary = section(soup(client, "/"), "2024年民生实事")
    text = summary.get_text(" ", strip=True)
    assert "共 3 件项目" in text
    assert [li.get_text(" ", strip=True) for li in summary.select(".stage-counts li")] == ["票决 2 件", "实施 1 件"]
    assert [a["href"] for a in summary.find_all("a")] == ["/projects/2024"]
    assert "2023" not in text  # only the newest year


def test_home_has_no_project_summary_without_projects(
    client: FlaskClient, write_entry: Callable[..., Path], resync: Callable[[], Any]
) -> None:
    write_entry("interview", "tan")
    resync()
    assert "民生实事" not in " ".join(h.get_text() for h in soup(client, "/").find_all("h2"))


# -- chips on topic cards ------------------------------------------------------------------------


def test_topic_card_chips_link_to_the_parts_of_the_topic_page(demo_app: Flask) -> None:
    client = demo_app.test_client()
    cards = soup(client, "/").select(".topic-card")
    assert cards
    for card in cards:
        topic_url = card.select_one("a.topic-link")["href"]
        number = card.select_one(".topic-number").get_text(strip=True)
        chips = card.select("ul.loop > li")
        assert len(chips) == 5  # 一谈, 微沙龙, 微案例, 微分享, then 借鉴 (issue 15)
        for chip in chips:
            link = chip.find("a")
            assert link is not None, chip
            path, _, anchor = link["href"].partition("#")
            assert path == topic_url and anchor.startswith("part-")
            target = soup(client, path)
            assert target.find(id=anchor) is not None, (path, anchor)
            name = link.get_text("", strip=True)  # the accessible name: topic, part and state
            assert name.startswith(number) and chip.get_text(strip=True) in name
            if "done" in chip["class"]:
                assert name.endswith("（已完成）")


def test_chip_text_names_the_topic_only_for_screen_readers(demo_app: Flask) -> None:
    html = demo_app.test_client().get("/").get_data(as_text=True)
    chip = BeautifulSoup(html, "html.parser").select_one("ul.loop a.loop-chip")
    assert chip is not None
    hidden = chip.select(".sr-only")
    assert hidden and hidden[0].get_text().startswith("第")
    css = (Path(__file__).resolve().parent.parent / "static" / "casebook.css").read_text("utf-8")
    rule = re.search(r"\.sr-only \{([^}]*)\}", css)
    assert rule is not None and "clip" in rule.group(1) and "position: absolute" in rule.group(1)


def test_a_0005_database_gains_project_topics_and_the_next_sync_fills_them(demo_content: Path, tmp_path: Path) -> None:
    """Migration 0006: ``project.topics`` is added to a database of the release before it (an old
    project row reads as naming no topic) and the sync at start-up reads every project file again."""
    data = tmp_path / "at0005"
    data.mkdir()
    engine = create_engine(f"sqlite:///{data / 'casebook.sqlite3'}")
    with engine.begin() as connection:
        command.upgrade(migrate._config(connection), "0005")
        connection.execute(
            text(
                "INSERT INTO project (slug, path, year, title, lead, stage, status, sample, date, excerpt,"
                " milestones_json, related, body, body_html) VALUES ('jiazhuang-dianti',"
                " 'projects/2023/jiazhuang-dianti.md', 2023, '旧标题', '区', '完成', 'published', 1, '2023-01-01',"
                " '', '[]', '[]', '', '')"
            )
        )
        connection.execute(text("INSERT INTO setting VALUES ('projects_known_entries', '\"old\"')"))
    engine.dispose()
    app = create_app({"TESTING": True, "CONTENT_DIR": demo_content, "DATA_DIR": data})
    with app.app_context():
        assert migrate.current(db.engine) == migrate.head()
        # the column exists; the old row reads as naming no topic unless start-up cleared a catalog of an
        # older layout (catalog.state.SCHEMA_VERSION), which the next sync fills again either way
        assert db.session.execute(text("SELECT topics FROM project")).scalars().all() in ([], ["[]"])
        assert db.session.get(Setting, "projects_known_entries") is None  # the next sync re-reads projects
        sync(db.session, demo_content)
        db.session.commit()
    items = section(soup(app.test_client(), "/topics/dianti-jiazhuang"), "相关民生实事").find_all("a")
    assert [a.get_text() for a in items] == ["老旧小区加装电梯"]
