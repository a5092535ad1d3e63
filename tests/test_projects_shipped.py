"""The shipped 2021 民生实事: the article's ten projects with its figures, on the board, in the CSV, at 360 px."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from itertools import combinations
from typing import Any

import pytest
from flask.testing import FlaskClient

from casebook.content import load
from casebook.content.project_model import completion_rate, rate_text

from .browserkit import ROOT, SHOTS, launched_chromium, open_at_font_scale, prepare_app, serving, sideways_scroll

LIBRARY = load(ROOT)
PROJECTS = {p.slug: p for p in LIBRARY.projects.values() if p.year == 2021}
ARTICLE = ROOT.parent.parent / "shared" / "domain" / "source-article.txt"

# The domain notes' table: indicator, planned, achieved, the rate as the article prints it.
PRINTED = [
    ("新增城镇就业", 19500, 24305, "124.64%"),
    ("农村劳动力转移就业", 100, 154, "154%"),
    ("宫颈癌筛查", 1000, 1024, "102.4%"),
    ("乳腺癌筛查", 1000, 1016, "101.6%"),
    ("建成安置房", 10000, 11200, "112%"),
    ("安置房网签", 6000, 6078, "101.3%"),
    ("回迁安置群众", 7000, 11355, "162.21%"),
    ("新增绿化面积", 600000, 820000, "136.67%"),
]
# Plans and results given without a rate, and counts given without a plan.
UNPRINTED = {
    "新建公厕": (10, 10),
    "配备免费环保用纸的公厕": (105, 105),
    "全天开放的公厕": (50, 50),
    "区管道路改造提升": (5, 5),
    "5000平方米以上综合性公园": (1, 1),
    "5000平方米以下微公园、游园": (10, 15),
    "新建中小学": (4, 4),
    "投入使用小学": (2, 2),
    "新增教学班": (60, 60),
    "新增学位": (2700, 2700),
    "新建（改扩建）社区养老服务设施": (8, 8),
    "进驻政务服务事项": (1086, 1343),
    "食品留样柜": (22, 22),
    "文化惠民演出活动": (None, 79),
    "为困难特殊老人提供居家养老服务": (None, 285),
    "打通区管断头路": (None, 6),
    "大厅办件量增幅": (None, 48),
    "办事效率提升": (None, 30),
}


def _indicators() -> dict[str, tuple[Decimal | None, Decimal | None]]:
    return {i.name: (i.planned, i.achieved) for p in PROJECTS.values() for i in p.indicators}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    app = prepare_app(ROOT, tmp_path_factory.mktemp("d"), site_url="https://x.example", config={"TESTING": True})
    return app.test_client()


def test_ten_sample_projects_with_the_article_figures() -> None:
    assert len(PROJECTS) == 10
    assert sorted(p.number for p in PROJECTS.values()) == list(range(1, 11))
    assert all(p.sample and p.is_public and p.stage == "完成" for p in PROJECTS.values())
    figures = _indicators()
    for name, planned, achieved, _ in PRINTED:
        assert figures[name] == (Decimal(planned), Decimal(achieved)), name
    for name, (planned, achieved) in UNPRINTED.items():
        assert figures[name] == (None if planned is None else Decimal(planned), Decimal(achieved)), name


@pytest.mark.parametrize(("name", "planned", "achieved", "printed"), PRINTED)
def test_computed_rates_match_the_article(name: str, planned: int, achieved: int, printed: str) -> None:
    assert rate_text(completion_rate(Decimal(planned), Decimal(achieved))) == printed


def test_board_shows_every_project_and_printed_rate(client: FlaskClient) -> None:
    page = client.get("/projects/2021").get_data(as_text=True)
    for project in PROJECTS.values():
        assert project.title in page
    for _, _, _, printed in PRINTED:
        assert f'<span class="indicator-rate">{printed}</span>' in page, printed
    assert '<span class="indicator-rate">123.66%</span>' in page  # 1343 of 1086 government services
    assert "完成 <strong>79</strong>场" in page and "完成 <strong>285</strong>人" in page
    assert "项目已完成 <strong>10</strong> / 10" in page
    assert page.count("示例内容") >= 10


def test_csv_re_reads_into_the_same_numbers(client: FlaskClient) -> None:
    response = client.get("/projects/2021.csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["项目", "牵头单位", "阶段", "指标", "单位", "计划", "完成", "完成率"]
    figures = _indicators()
    assert {r["指标"] for r in rows} == set(figures)
    assert {r["项目"] for r in rows} == {p.title for p in PROJECTS.values()}
    for row in rows:
        planned, achieved = figures[row["指标"]]
        assert (Decimal(row["计划"]) if row["计划"] else None) == planned
        assert Decimal(row["完成"]) == achieved
        assert row["完成率"] == rate_text(completion_rate(planned, achieved))
    printed = {r["指标"]: r["完成率"] for r in rows}
    assert all(printed[name] == rate for name, _, _, rate in PRINTED)


def test_project_pages_render_with_sample_notice(client: FlaskClient) -> None:
    for project in PROJECTS.values():
        page = client.get(f"/projects/2021/{project.slug}").get_data(as_text=True)
        assert project.title in page and "notice-sample" in page and "代表票决" in page


def _texts(project: Any) -> str:
    parts = [project.body, *(i.note for i in project.indicators), *(m.text for m in project.milestones)]
    if project.evaluation:
        parts.append(project.evaluation.text)
    return "\n".join(parts)


@pytest.mark.skipif(not ARTICLE.is_file(), reason="the domain notes are not beside this checkout")
def test_prose_is_written_not_copied() -> None:
    source = ARTICLE.read_text("utf-8")
    runs = {source[i : i + 30] for i in range(len(source) - 29)}
    for project in PROJECTS.values():
        text = _texts(project)
        assert not any(text[i : i + 30] in runs for i in range(len(text) - 29)), project.slug


def test_no_thirty_character_run_is_shared_between_projects() -> None:
    texts = {slug: _texts(project) for slug, project in PROJECTS.items()}
    windows = {slug: {t[i : i + 30] for i in range(len(t) - 29)} for slug, t in texts.items()}
    assert [(a, b) for a, b in combinations(sorted(windows), 2) if windows[a] & windows[b]] == []


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(prepare_app(ROOT, tmp_path_factory.mktemp("live"))) as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize("font_scale", [100, 150])
@pytest.mark.parametrize("path", ["/projects/", "/projects/2021", "/projects/2021/shequ-yanglao"])
def test_project_pages_fit_a_phone(live_server: str, path: str, font_scale: int) -> None:
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 640}, device_scale_factor=2)
        try:
            open_at_font_scale(page, live_server + path, font_scale)
            overflow = sideways_scroll(page)
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {font_scale}% font"
            if path == "/projects/2021":
                bars = page.locator("svg.bar")
                indicators = [i for p in PROJECTS.values() for i in p.indicators]
                assert bars.count() == sum(i.planned is not None for i in indicators) == 22
                first = bars.first.bounding_box()
                assert first is not None and first["width"] > 200  # a real bar, most of a phone's width
                over = page.locator("svg.bar .bar-over")
                exceeding = sum(i.planned is not None and i.achieved > i.planned for i in indicators)
                assert over.count() == exceeding == 10 and over.first.bounding_box() is not None
            if font_scale == 100 and path != "/projects/":
                SHOTS.mkdir(parents=True, exist_ok=True)
                name = path.strip("/").replace("/", "-")
                page.screenshot(path=str(SHOTS / f"{name}-360.png"))
        finally:
            page.close()
