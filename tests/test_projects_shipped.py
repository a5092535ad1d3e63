"""The 民生实事 projects under ``content/``, whatever they are: each one loads and round-trips, has its
row on its year's board with the computed rates, re-reads from the CSV, and fits a 360 px phone.

Nothing here names a project, a year or a figure: a district's own projects must pass too.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from casebook.content import load
from casebook.content.project_model import completion_rate, rate_text
from casebook.content.projects import parse_project_text, serialize_project

from .browserkit import SHOTS, launched_chromium, open_at_font_scale, prepare_app, serving, sideways_scroll
from .test_shipped_content import ROOT

LIBRARY = load(ROOT)
PROJECTS = sorted(LIBRARY.projects.values(), key=lambda p: (p.year, p.number or 0, p.slug))
PUBLIC = [p for p in PROJECTS if p.is_public]
YEARS = sorted({p.year for p in PUBLIC})
NOTICE = 'class="notice notice-sample"'


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    base = tmp_path_factory.mktemp("d")
    shutil.copytree(ROOT, base / "content")
    app = prepare_app(base / "content", base / "data", site_url="https://x.example", config={"TESTING": True})
    return app.test_client()


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: f"{p.year}/{p.slug}")
def test_every_project_round_trips(project: Any) -> None:
    path = ROOT / "projects" / str(project.year) / f"{project.slug}.md"
    again, found = parse_project_text(serialize_project(project), project.slug, str(project.year), path=path)
    assert [p for p in found if not p.is_warning] == [] and again == project


@pytest.mark.parametrize("year", YEARS)
def test_board_has_a_row_and_the_computed_rates_for_every_project(client: FlaskClient, year: int) -> None:
    page = client.get(f"/projects/{year}").get_data(as_text=True)
    for project in (p for p in PUBLIC if p.year == year):
        assert str(escape(project.title)) in page, project.slug
        assert f'href="/projects/{year}/{project.slug}"' in page, project.slug
        for indicator in project.indicators:
            if indicator.planned is not None:
                rate = rate_text(completion_rate(indicator.planned, indicator.achieved))
                assert f'<span class="indicator-rate">{rate}</span>' in page, (project.slug, indicator.name)


@pytest.mark.parametrize("year", YEARS)
def test_csv_re_reads_into_the_same_numbers(client: FlaskClient, year: int) -> None:
    response = client.get(f"/projects/{year}.csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows and list(rows[0])[:8] == ["项目", "牵头单位", "阶段", "指标", "单位", "计划", "完成", "完成率"]
    for row in rows:  # each row carries its project's motions, as many as the file has
        project = next(p for p in PUBLIC if p.title == row["项目"])
        assert row["调整动议数"] == str(len(project.adjustments))
    read = sorted(
        (r["项目"], r["指标"], _decimal(r["计划"]), _decimal(r["完成"]), r["完成率"]) for r in rows if r["指标"]
    )
    expected = sorted(
        (p.title, i.name, i.planned, i.achieved, rate_text(completion_rate(i.planned, i.achieved)))
        for p in PUBLIC
        if p.year == year
        for i in p.indicators
    )
    assert read == expected
    assert {r["项目"] for r in rows} == {p.title for p in PUBLIC if p.year == year}


@pytest.mark.parametrize("project", PUBLIC, ids=lambda p: f"{p.year}/{p.slug}")
def test_every_project_page_shows_its_title_and_the_notice_only_if_sample(client: FlaskClient, project: Any) -> None:
    response = client.get(f"/projects/{project.year}/{project.slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert str(escape(project.title)) in page
    assert (NOTICE in page) == project.sample


def test_unpublished_projects_are_not_public(client: FlaskClient) -> None:
    for project in PROJECTS:
        if not project.is_public:
            assert client.get(f"/projects/{project.year}/{project.slug}").status_code == 404, project.slug


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("live")
    shutil.copytree(ROOT, base / "content")
    with serving(prepare_app(base / "content", base / "data")) as url:
        yield url


PHONE_PAGES = [
    "/projects/",
    *(f"/projects/{year}" for year in YEARS),
    *(f"/projects/{p.year}/{p.slug}" for p in PUBLIC[:1]),
]


@pytest.mark.browser
@pytest.mark.parametrize("font_scale", [100, 150])
@pytest.mark.parametrize("path", PHONE_PAGES)
def test_project_pages_fit_a_phone(live_server: str, path: str, font_scale: int) -> None:
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 640}, device_scale_factor=2)
        try:
            open_at_font_scale(page, live_server + path, font_scale)
            overflow = sideways_scroll(page)
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {font_scale}% font"
            year = path.strip("/").split("/")[-1]
            if year.isdigit():  # a year's board: one progress bar per planned indicator
                indicators = [i for p in PUBLIC if p.year == int(year) for i in p.indicators]
                bars = page.locator("svg.bar")
                assert bars.count() == sum(i.planned is not None for i in indicators)
                if bars.count():
                    first = bars.first.bounding_box()
                    assert first is not None and first["width"] > 200  # a real bar, most of a phone's width
                exceeding = sum(i.planned is not None and i.achieved > i.planned for i in indicators)
                assert page.locator("svg.bar .bar-over").count() == exceeding
            if font_scale == 100 and path != "/projects/":
                SHOTS.mkdir(parents=True, exist_ok=True)
                name = path.strip("/").replace("/", "-")
                page.screenshot(path=str(SHOTS / f"{name}-360.png"))
        finally:
            page.close()
