"""Numbers as people read them (issue 14.8): ``numbers.py`` on exact cases, and the property on
every board — a fixture year built here and every year of the shipped ``content/`` — that each
figure of 10,000 or more is shown in 万/亿 and equals the exact value to two decimals, while the
exact value stays in ``<data value>``, the CSV and the 公众号 table never breaks a figure.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import textwrap
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from casebook.content import load
from casebook.numbers import exact_text, readable, readable_with_unit

from .browserkit import launched_chromium, prepare_app
from .staffkit import staff_client
from .test_shipped_content import ROOT


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (820000, "82万"),
        (11200, "1.12万"),
        (10000, "1万"),
        (9999, "9999"),
        (123456, "12.35万"),  # half-up to two decimals
        (123449, "12.34万"),
        (99999, "10万"),
        (100000000, "1亿"),
        (99999999, "1亿"),  # rounds to 10000万: shown as 1亿
        (250000000, "2.5亿"),
        (Decimal("12345.678"), "1.23万"),
        (Decimal("9999.99"), "9999.99"),  # below 10,000: exact, as written
        (Decimal("0.10"), "0.1"),
        (0, "0"),
        (-12000, "-1.2万"),
        (-9999, "-9999"),
        (Decimal("-0"), "0"),
        ("600000", "60万"),
        (1.5, "1.5"),
        (Decimal("12345678901234567.1"), "123456789.01亿"),
        (None, ""),
    ],
)
def test_readable_on_exact_cases(value: Any, shown: str) -> None:
    assert readable(value) == shown


def test_readable_with_unit_keeps_an_already_scaled_unit_exact() -> None:
    assert readable_with_unit(820000, "平方米") == "82万平方米"
    assert readable_with_unit(11200, "人") == "1.12万人"
    assert readable_with_unit(12000, "万元") == "12000万元"  # never 1.2万万元
    assert readable_with_unit(None, "人") == ""
    assert exact_text(Decimal("1E+5")) == "100000"


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity"])
def test_readable_refuses_what_is_not_a_finite_number(bad: str) -> None:
    with pytest.raises(ValueError):
        readable(bad)


# ---- the property, on any board ---------------------------------------------------------------

_SHOWN_RE = re.compile(r"(-?\d+(?:\.\d+)?)(万|亿)?")
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


def check_board_figures(page: str, expected: Iterable[tuple[Decimal, str]]) -> int:
    """Every indicator figure on ``page`` is a ``<data>`` whose text reads the exact ``value``: in 万
    or 亿 from 10,000 (two decimals at most, no trailing zero, within half a cent of a unit of
    the scale), exactly below; no long digit run is left outside. Returns how many were ≥ 10,000."""
    soup = BeautifulSoup(page, "html.parser")
    shown = []
    large = 0
    for data in soup.select(".indicator-figures data.figure"):
        value = Decimal(data["value"])
        text, exact = data.get_text(), exact_text(value)
        rest = text[len(exact) :] if text.startswith(exact) else None
        if rest is not None and (abs(value) < 10_000 or rest.startswith(("万", "亿"))):
            unit = rest  # below 10,000, or a unit already in 万/亿 (万元): the exact value
            assert not data.has_attr("title"), text
        else:
            large += 1
            match = _SHOWN_RE.match(text)
            assert match and match.group(2) in ("万", "亿"), (value, text)
            figure, word = match.groups()
            unit = text[match.end() :]
            assert len(figure.partition(".")[2]) <= 2 and not re.search(r"\.\d*0$", figure), text
            assert abs(Decimal(figure) * _SCALE[word] - value) <= _SCALE[word] / 200, (value, text)
            assert abs(value) >= 10_000, (value, text)
            assert data["title"] == exact + unit  # the exact value a tap/hover away
        shown.append((value, unit))
    assert sorted(shown) == sorted((Decimal(exact_text(v)), u) for v, u in expected)
    for paragraph in soup.select(".indicator-figures"):
        visible = "".join(t for t in paragraph.find_all(string=True) if t.parent.name != "data")
        assert not re.search(r"\d{5,}", visible), visible
    return large


def _expected(root: Path, year: int) -> list[tuple[Decimal, str]]:
    projects = [p for p in load(root).projects.values() if p.year == year and p.is_public]
    return [(v, i.unit) for p in projects for i in p.indicators for v in (i.planned, i.achieved) if v is not None]


FIXTURE_YEAR = 2031
FIXTURES = {
    "lvdi": """\
        title: 口袋公园
        year: 2031
        number: 1
        lead: 区园林局
        stage: 完成
        indicators:
          - name: 新增绿地
            unit: 平方米
            planned: 600000
            achieved: 820000
          - name: 受益居民
            unit: 人
            planned: 10000
            achieved: 11200
          - name: 口袋公园
            unit: 个
            planned: 9999
            achieved: 12
        """,
    "zijin": """\
        title: 资金与人次
        year: 2031
        number: 2
        lead: 区财政局
        stage: 实施
        indicators:
          - name: 服务人次
            unit: 人次
            planned: 123456
            achieved: 99999
          - name: 总投资
            unit: 元
            planned: 100000000
            achieved: 12345.678
          - name: 专项资金
            unit: 万元
            planned: 12000
            achieved: 8000.5
          - name: 未填计划
            unit: 户
            achieved: 250000000
        """,
}


@pytest.fixture
def fixture_year(content_dir: Path, resync: Callable[[], Any]) -> Path:
    for slug, front in FIXTURES.items():
        path = content_dir / "projects" / str(FIXTURE_YEAR) / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{textwrap.dedent(front).strip()}\n---\n项目说明。\n", encoding="utf-8")
    resync()
    return content_dir


def test_fixture_board_reads_every_large_figure_in_wan(client: FlaskClient, fixture_year: Path) -> None:
    page = client.get(f"/projects/{FIXTURE_YEAR}").get_data(as_text=True)
    assert check_board_figures(page, _expected(fixture_year, FIXTURE_YEAR)) == 9
    assert '<data class="figure" value="820000" title="820000平方米">82万平方米</data>' in page
    assert '<data class="figure" value="11200" title="11200人">1.12万人</data>' in page
    assert '<data class="figure" value="123456" title="123456人次">12.35万人次</data>' in page
    assert '<data class="figure" value="12000">12000万元</data>' in page
    assert "820000平方米" not in page.replace('title="820000平方米"', "")


def test_project_page_reads_figures_in_wan(client: FlaskClient, fixture_year: Path) -> None:
    page = client.get(f"/projects/{FIXTURE_YEAR}/lvdi").get_data(as_text=True)
    assert '完成 <strong><data class="figure" value="820000" title="820000平方米">82万平方米</data></strong>' in page
    assert '计划 <data class="figure" value="600000" title="600000平方米">60万平方米</data>' in page


def test_csv_keeps_the_exact_values(client: FlaskClient, fixture_year: Path) -> None:
    text = client.get(f"/projects/{FIXTURE_YEAR}.csv").data.decode("utf-8-sig")
    rows = {r["指标"]: (r["计划"], r["完成"]) for r in csv.DictReader(io.StringIO(text))}
    assert rows["新增绿地"] == ("600000", "820000")
    assert rows["总投资"] == ("100000000", "12345.678")
    assert "万" not in text.replace("万元", "")


def test_gzh_table_reads_in_wan_and_never_breaks_a_figure(app: Flask, fixture_year: Path, tmp_path: Path) -> None:
    staff = staff_client(app, "figures-editor", "editor")
    html = staff.get(f"/projects/{FIXTURE_YEAR}/lvdi/gzh?raw=1").get_data(as_text=True)
    cells = re.findall(r'<span style="([^"]*)">([^<]*)</span>', html)
    figures = {text: style for style, text in cells}
    assert {"82万平方米", "60万平方米", "1.12万人", "1万人", "9999个", "12个"} <= set(figures)
    assert all("white-space: nowrap" in figures[t] for t in figures if re.match(r"[\d.]+", t)), figures
    # At a 360 px phone the table squeezes its columns; each figure stays one line all the same.
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.set_content(f'<meta name="viewport" content="width=device-width"><body style="margin:8px">{html}')
        lines = page.evaluate(
            """() => [...document.querySelectorAll('td span')].map(s => [s.textContent, s.getClientRects().length])"""
        )
        page.close()
    assert lines and all(count == 1 for _, count in lines), lines


# ---- the same property over every year of the shipped content ----------------------------------

SHIPPED_YEARS = sorted({p.year for p in load(ROOT).projects.values() if p.is_public})


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    base = tmp_path_factory.mktemp("shipped")
    shutil.copytree(ROOT, base / "content")
    app = prepare_app(base / "content", base / "data", site_url="https://x.example", config={"TESTING": True})
    return app.test_client()


@pytest.mark.parametrize("year", SHIPPED_YEARS)
def test_every_shipped_board_reads_large_figures_in_wan(shipped: FlaskClient, year: int) -> None:
    page = shipped.get(f"/projects/{year}").get_data(as_text=True)
    check_board_figures(page, _expected(ROOT, year))
