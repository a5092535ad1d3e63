"""民生实事 on the demo library (tests/democontent/projects/2023): known figures on the board, in the
CSV and on each page; the completion-rate arithmetic against the rates a district newspaper printed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from casebook.content import load
from casebook.content.project_model import completion_rate, rate_text

from .browserkit import prepare_app
from .conftest import DEMO

PROJECTS = {p.slug: p for p in load(DEMO).projects.values()}

# indicator, planned, achieved, the rate as a district newspaper printed it (2021): the rounding reference.
PRINTED = [
    ("新增城镇就业", 19500, 24305, "124.64%"),
    ("农村劳动力转移就业", 100, 154, "154%"),
    ("宫颈癌筛查", 1000, 1024, "102.4%"),
    ("乳腺癌筛查", 1000, 1016, "101.6%"),
    ("建成安置房", 10000, 11200, "112%"),
    ("安置房网签", 6000, 6078, "101.3%"),
    ("回迁安置群众", 7000, 11355, "162.21%"),
    ("新增绿化面积", 600000, 820000, "136.67%"),
    ("进驻政务服务事项", 1086, 1343, "123.66%"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    app = prepare_app(DEMO, tmp_path_factory.mktemp("d"), site_url="https://x.example", config={"TESTING": True})
    return app.test_client()


@pytest.mark.parametrize(("name", "planned", "achieved", "printed"), PRINTED)
def test_computed_rates_match_the_printed_ones(name: str, planned: int, achieved: int, printed: str) -> None:
    assert rate_text(completion_rate(Decimal(planned), Decimal(achieved))) == printed


def test_demo_projects_load_with_their_figures() -> None:
    assert sorted(PROJECTS) == ["fenlei-dudao", "jiazhuang-dianti", "shequ-shitang"]
    figures = {i.name: (i.planned, i.achieved) for p in PROJECTS.values() for i in p.indicators}
    assert figures == {
        "加装电梯": (Decimal(40), Decimal(46)),
        "惠及住户": (None, Decimal(690)),
        "新建社区食堂": (Decimal(6), Decimal(4)),
        "日均供餐": (Decimal(1200), Decimal(1350)),
    }
    assert PROJECTS["fenlei-dudao"].indicators == ()


def test_board_totals_rates_and_counts(client: FlaskClient) -> None:
    page = client.get("/projects/2023").get_data(as_text=True)
    assert "<small>3 件</small>" in page
    assert "项目已完成 <strong>1</strong> / 3" in page and "计划指标达成 <strong>2</strong> / 3" in page
    for rate in ("115%", "66.67%", "112.5%"):
        assert f'<span class="indicator-rate">{rate}</span>' in page, rate
    # a count without a plan shows no rate
    assert '完成 <strong><data class="figure" value="690">690户</data></strong>' in page


ELEVATORS = ["老旧小区加装电梯", "区住房和城乡建设局", "完成"]
MOTIONS = ["2", "2023-09-12", "未通过", "范围：把电梯维保补贴列入本项目。"]  # the latest of its two motions


def test_csv_lists_every_indicator_and_the_project_without_one(client: FlaskClient) -> None:
    text = client.get("/projects/2023.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [
        [*ELEVATORS, "加装电梯", "部", "40", "46", "115%", *MOTIONS],
        [*ELEVATORS, "惠及住户", "户", "", "690", "", *MOTIONS],
        ["社区食堂建设", "区民政局", "实施", "新建社区食堂", "家", "6", "4", "66.67%", "0", "", "", ""],
        ["社区食堂建设", "区民政局", "实施", "日均供餐", "份", "1200", "1350", "112.5%", "0", "", "", ""],
        ["垃圾分类楼栋督导", "区城市管理局", "征集", "", "", "", "", "", "0", "", "", ""],
    ]


def test_project_page_links_its_evidence_and_vote(client: FlaskClient) -> None:
    page = client.get("/projects/2023/jiazhuang-dianti").get_data(as_text=True)
    assert "老旧小区加装电梯" in page and "notice-sample" in page and "代表票决" in page
    for href in ("/interviews/dianti-liuan", "/salons/dianti-yishi", "/cases/dianti-liuan-qihao"):
        assert f'href="{href}"' in page, href
