"""民生实事 through the public surfaces: files in tmp_path, ``casebook check``/sync, pages, CSV, search, feed."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from casebook.catalog import refresh as refresh_project
from casebook.cli import main
from casebook.content import write_atomic
from casebook.content.project_model import STAGES
from casebook.content.projects import (
    load_projects,
    parse_project_file,
    parse_project_text,
    project_path,
    serialize_project,
)
from casebook.db import db

from .conftest import DEMO, WriteEntry

WriteProject = Callable[..., Path]

HEADER = [
    *["项目", "牵头单位", "阶段", "指标", "单位", "计划", "完成", "完成率"],
    *["调整动议数", "最近动议日期", "最近动议结果", "最近动议调整内容"],
]
NO_MOTION = ["0", "", "", ""]


@pytest.fixture
def write_project(content_dir: Path) -> WriteProject:
    """Write ``content/projects/<year>/<slug>.md`` from dedented front matter lines and a body."""

    def write(slug: str, front: str, body: str = "项目说明。", year: int | str = 2021) -> Path:
        path = content_dir / "projects" / str(year) / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{textwrap.dedent(front).strip()}\n---\n{body}\n", encoding="utf-8")
        return path

    return write


EDGES = """
    title: 边界情况
    year: 2021
    lead: 区测试局
    stage: 实施
    indicators:
      - name: 三分之二
        unit: 件
        planned: 3
        achieved: 2
      - name: 八百分之一
        unit: 件
        planned: 800
        achieved: 1
      - name: 计划为零
        unit: 件
        planned: 0
        achieved: 5
      - name: 千万亿
        unit: 元
        planned: 1
        achieved: 1000000000000000
      - name: 恰好完成
        unit: 个
        planned: 1086
        achieved: 1086
      - name: 小数
        unit: 公里
        planned: 0.1
        achieved: 12345678901234567.1
"""


def check(runner: CliRunner) -> tuple[int, list[str]]:
    result = runner.invoke(main, ["check"])
    return result.exit_code, result.stdout.splitlines()


def test_rounding_edge_cases_on_the_board(
    write_project: WriteProject, resync: Callable[[], Any], client: FlaskClient, runner: CliRunner
) -> None:
    write_project("bianjie", EDGES)
    code, lines = check(runner)
    assert code == 1
    assert lines == [
        "content/projects/2021/bianjie.md:17: 计划为零 的计划数为 0，无法计算完成率：没有计划请删除 planned"
    ]
    resync()
    page = client.get("/projects/2021").get_data(as_text=True)
    for shown in ("66.67%", "0.13%", "100000000000000000%", "100%", "12345678901234567100%"):
        assert f'<span class="indicator-rate">{shown}</span>' in page
    assert "E+" not in page and "e+" not in page
    # the zero plan is dropped: its achieved count is shown without a rate
    assert (
        '完成 <strong><data class="figure" value="5">5件</data></strong><span class="muted">（未设计划数）</span>'
        in page
    )
    # read in 亿, the exact figure (not via float) kept in the value and the title
    big = '<data class="figure" value="12345678901234567.1" title="12345678901234567.1公里">123456789.01亿公里</data>'
    assert f'完成 <strong>{big}</strong> / 计划 <data class="figure" value="0.1">0.1公里</data>' in page
    assert page.count('class="bar"') == 5
    assert page.count('class="bar-over"') == 2  # only the two exceeding bars draw a part beyond the 100% mark


def test_figures_are_read_exactly(write_project: WriteProject, content_dir: Path) -> None:
    path = write_project("bianjie", EDGES)
    project, _ = parse_project_file(content_dir, path)
    assert project is not None
    figures = {i.name: (i.planned, i.achieved) for i in project.indicators}
    assert figures["小数"] == (Decimal("0.1"), Decimal("12345678901234567.1"))
    assert figures["千万亿"] == (Decimal(1), Decimal(10**15))
    assert figures["计划为零"] == (None, Decimal(5))
    assert all(isinstance(v, Decimal) for pair in figures.values() for v in pair if v is not None)


BAD = """
    title: 有问题的项目
    year: 2021
    lead: 区测试局
    stage: 票决
    rate: 99
    vote:
      session: 区十六届人大六次会议
      present: 100
      for: 90
      against: 8
      abstain: 5
    indicators:
      - name: 指标甲
        planned: 10
        achieved: 12
        rate: 120%
      - name: 指标乙
        planned: 十
    related: [case/no-such-case, salon/dajiatan, blog/x]
"""


def test_bad_vote_typed_rate_and_unknown_related_are_reported_with_lines(
    write_project: WriteProject, write_entry: WriteEntry, runner: CliRunner
) -> None:
    write_entry("salon", "dajiatan")
    write_project("youwenti", BAD)
    code, lines = check(runner)
    assert code == 1
    where = "content/projects/2021/youwenti.md"
    assert lines == [
        f"{where}:6: 完成率不要填写：它总是由完成数 ÷ 计划数自动算出，请删除 rate",
        f"{where}:9: 票决数字不一致：赞成 90 + 反对 8 + 弃权 5 = 103，超过出席代表 100 人；票决结果不显示",
        f"{where}:17: 完成率不要填写：它总是由完成数 ÷ 计划数自动算出，请删除 rate",
        f"{where}:19: 指标乙 的 planned（计划数）：“十”不是数字（写成 19500 或 1.5，不加单位和千位分隔符）",
        f"{where}:20: related：没有条目“case/no-such-case”，已忽略",
        f"{where}:20: related：“blog/x”应写成 类型/slug，类型为 interview | salon | case，例如 case/louyuan-386-yuan",
    ]


def test_problems_never_stop_the_rest(
    write_project: WriteProject, resync: Callable[[], Any], client: FlaskClient, app: Flask
) -> None:
    write_project("youwenti", BAD)
    write_project("hao", "title: 好项目\nyear: 2021\nlead: 区甲局\nstage: 实施")
    write_project("cuonian", "title: 年份不符\nyear: 2022\nlead: 区甲局\nstage: 实施")
    write_project("hao", "title: 同名\nyear: 2022\nlead: 区乙局\nstage: 实施", year=2022)
    write_project("wuqianzhi", "title: 没有前置", year=2021)
    (Path(app.config["CASEBOOK_CONTENT_DIR"]) / "projects" / "2021" / "wuqianzhi.md").write_text("正文", "utf-8")
    report = resync()
    assert report.problems >= 4
    health = client.get("/healthz").json
    assert health["problems"] == report.problems
    page = client.get("/projects/2021").get_data(as_text=True)
    assert "好项目" in page and "有问题的项目" in page
    assert "年份不符" not in page and "同名" not in page
    assert "代表票决" not in client.get("/projects/2021/youwenti").get_data(as_text=True)  # the bad tally is not shown
    assert client.get("/projects/2022").status_code == 404


def test_check_reports_year_folder_and_duplicate_slug(write_project: WriteProject, runner: CliRunner) -> None:
    write_project("hao", "title: 好项目\nyear: 2021\nlead: 区甲局\nstage: 实施")
    write_project("hao", "title: 同名\nyear: 2022\nlead: 区乙局\nstage: 实施", year=2022)
    write_project("cuonian", "title: 年份不符\nyear: 2022\nlead: 区甲局\nstage: 实施")
    write_project("jieduan", "title: 阶段\nyear: 2021\nlead: 区甲局\nstage: 开工\nsample: 是")
    code, lines = check(runner)
    assert code == 1
    assert lines == [
        "content/projects/2021/cuonian.md:3: year 为 2022，但文件在 projects/2021/ 下：两者应一致",
        "content/projects/2021/jieduan.md:5: stage：“开工”无效，可选值：" + " | ".join(STAGES),
        "content/projects/2021/jieduan.md:6: sample：应为 true 或 false",
        "content/projects/2022/hao.md:1: 重复的项目 slug：hao 已由 projects/2021/hao.md 使用（不同年份也不能重复）",
    ]


def test_serialize_round_trips_every_demo_project() -> None:
    root = DEMO
    projects, problems = load_projects(root)
    assert problems == [] and len(projects) == 3
    for project in projects.values():
        path = root / "projects" / str(project.year) / f"{project.slug}.md"
        again, found = parse_project_text(serialize_project(project), project.slug, str(project.year), path=path)
        assert found == [] and again == project


def test_incremental_sync_follows_edits_deletions_and_related_entries(
    write_project: WriteProject, write_entry: WriteEntry, resync: Callable[[], Any], client: FlaskClient
) -> None:
    path = write_project("p1", "title: 项目一\nyear: 2021\nlead: 区甲局\nstage: 实施\nrelated: [case/later]")
    first = resync()
    assert first.added == 1 and first.problems == 1
    assert resync().unchanged >= 1 and resync().added == 0
    page = client.get("/projects/2021/p1").get_data(as_text=True)
    assert "相关案例与沙龙" not in page
    write_entry("case", "later", title="后来补上的案例")  # the project file is unchanged, but its link now resolves
    second = resync()
    assert second.problems == 0 and "project/p1" in second.changed
    assert "后来补上的案例" in client.get("/projects/2021/p1").get_data(as_text=True)
    path.write_text(path.read_text("utf-8").replace("项目一", "项目一改"), "utf-8")
    assert resync().updated == 1
    assert "项目一改" in client.get("/projects/2021").get_data(as_text=True)
    path.unlink()
    third = resync()
    assert third.removed == 1 and "project/p1" in third.gone
    assert client.get("/projects/2021/p1").status_code == 404


DRAFT = "title: 草稿项目\nyear: 2021\nlead: 区甲局\nstage: 征集\nstatus: draft"


def test_draft_projects_are_never_public(
    write_project: WriteProject, resync: Callable[[], Any], client: FlaskClient
) -> None:
    write_project("kaifang", "title: 公开项目\nyear: 2021\nlead: 区甲局\nstage: 实施", body="公开的说明，有桂花树。")
    write_project("caogao", DRAFT, body="草稿里的说明，也有桂花树。")
    write_project("caogao2", DRAFT.replace("2021", "2023"), year=2023)
    resync()
    assert "草稿项目" not in client.get("/projects/2021").get_data(as_text=True)
    assert client.get("/projects/2021/caogao").status_code == 404
    assert client.get("/projects/2023").status_code == 404
    assert "2023" not in client.get("/projects/").get_data(as_text=True)
    assert "草稿项目" not in client.get("/projects/2021.csv").get_data(as_text=True)
    found = client.get("/api/search?q=桂花树").json
    assert [r["slug"] for r in found["results"]] == ["kaifang"]
    assert "caogao" not in client.get("/feed.xml").get_data(as_text=True)
    assert "caogao" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_search_finds_a_project_by_a_word_in_its_body(
    write_project: WriteProject, write_entry: WriteEntry, resync: Callable[[], Any], client: FlaskClient
) -> None:
    write_entry("case", "anli", body="案例里也提到加装电梯。")
    write_project(
        "dianti", "title: 老旧小区改造\nyear: 2021\nlead: 区住建局\nstage: 实施", body="今年为十个小区加装电梯。"
    )
    resync()
    found = client.get("/api/search?q=加装电梯").json
    assert found["facets"]["kind"] == {"case": 1, "project": 1}
    only = client.get("/api/search?q=加装电梯&kind=project").json
    assert [(r["kind"], r["slug"], r["url"]) for r in only["results"]] == [
        ("project", "dianti", "https://cases.example.org/projects/2021/dianti")
    ]
    assert only["facets"]["year"] == {"2021": 1}
    page = client.get("/search?q=加装电梯&kind=project").get_data(as_text=True)
    assert 'href="/projects/2021/dianti"' in page and "民生实事" in page and "/cases/anli" not in page
    facets = client.get("/search?q=加装电梯").get_data(as_text=True)
    assert "kind=project" in facets  # the kind filter offers 民生实事


def test_feed_and_sitemap_include_projects(
    write_project: WriteProject, write_entry: WriteEntry, resync: Callable[[], Any], client: FlaskClient
) -> None:
    write_entry("case", "anli", date="2021-05-01")
    front = """
        title: 社区食堂
        year: 2021
        lead: 区民政局
        stage: 实施
        milestones:
          - date: 2021-09
            text: 首批食堂开门。
        sample: true
    """
    write_project("shitang", front, body="社区食堂让老人吃上热饭。")
    resync()
    feed = client.get("/feed.xml").get_data(as_text=True)
    assert "<title>社区食堂</title>" in feed
    assert "https://cases.example.org/projects/2021/shitang" in feed
    assert '<category term="project" label="民生实事"/>' in feed
    assert "【示例内容】" in feed
    assert feed.index("社区食堂") < feed.index("标题 anli")  # 2021-09 is newer than 2021-05-01
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    for url in ("/projects/", "/projects/2021", "/projects/2021/shitang"):
        assert f"<loc>https://cases.example.org{url}</loc>" in sitemap


INDICATOR = "\nindicators:\n  - {name: %s, unit: 个, planned: %d, achieved: %d}"
FILTERED = [
    ("jia", "title: 甲项目\nyear: 2021\nlead: 区教育局\nstage: 实施" + INDICATOR % ("学位", 3, 2)),
    ("yi", "title: 乙项目\nyear: 2021\nlead: 区教育局\nstage: 完成" + INDICATOR % ("班", 4, 5)),
    ("bing", "title: 丙项目\nyear: 2021\nlead: 区民政局\nstage: 实施"),
]


def test_board_filters_totals_and_csv_agree(
    write_project: WriteProject, resync: Callable[[], Any], client: FlaskClient
) -> None:
    for slug, front in FILTERED:
        write_project(slug, front)
    resync()
    page = client.get("/projects/2021").get_data(as_text=True)
    assert "项目已完成 <strong>1</strong> / 3" in page
    assert "计划指标达成 <strong>1</strong> / 2" in page
    lead = client.get("/projects/2021?lead=区教育局").get_data(as_text=True)
    assert "甲项目" in lead and "乙项目" in lead and "丙项目" not in lead
    assert 'href="/projects/2021.csv?lead=%E5%8C%BA%E6%95%99%E8%82%B2%E5%B1%80"' in lead
    both = client.get("/projects/2021?lead=区教育局&stage=实施").get_data(as_text=True)
    assert "甲项目" in both and "乙项目" not in both
    none = client.get("/projects/2021?stage=征集").get_data(as_text=True)
    assert "没有符合条件的项目" in none

    response = client.get("/projects/2021.csv?lead=区教育局")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == [
        HEADER,
        ["乙项目", "区教育局", "完成", "班", "个", "4", "5", "125%", *NO_MOTION],
        ["甲项目", "区教育局", "实施", "学位", "个", "3", "2", "66.67%", *NO_MOTION],
    ]
    assert lead.index("乙项目") < lead.index("甲项目")  # the same order as on the page
    everything = list(csv.reader(io.StringIO(client.get("/projects/2021.csv").data.decode("utf-8-sig"))))
    assert everything[1] == ["丙项目", "区民政局", "实施", "", "", "", "", "", *NO_MOTION]
    assert client.get("/projects/2030.csv").status_code == 404


def test_project_page_shows_its_life(
    write_project: WriteProject, write_entry: WriteEntry, resync: Callable[[], Any], client: FlaskClient
) -> None:
    write_entry("salon", "dajiatan", title="大家谈养老")
    write_entry("case", "caogao-anli", title="草稿案例", status="draft")
    front = """
        title: 助餐点
        year: 2021
        lead: 区民政局
        stage: 评估
        vote: {session: 区十六届人大六次会议, date: 2021-01-12, present: 196, for: 190, against: 2, abstain: 3}
        indicators:
          - {name: 助餐点, unit: 家, planned: 8, achieved: 8}
        milestones:
          - {date: 2021-10-08, text: 第二批开门, evidence: [salon/dajiatan, "https://example.org/a"]}
          - {date: 2021-03, text: 选址完成}
        evaluation: {date: 2022-01-20, verdict: 满意, score: 95.5, text: 建议周末也开。}
        related: [salon/dajiatan, case/caogao-anli]
    """
    write_project("zhucan", front)
    resync()
    page = client.get("/projects/2021/zhucan").get_data(as_text=True)
    for text in ("区十六届人大六次会议", "2021年1月12日", "<dd>196</dd>", "<dd>190</dd>", "未投票", "已完成", "100%"):
        assert text in page, text
    assert page.index("2021年3月") < page.index("2021年10月8日")  # the timeline is in date order
    assert '<a href="/salons/dajiatan">大家谈养老</a>' in page
    assert 'href="https://example.org/a"' in page
    assert "满意" in page and "95.5 分" in page and "建议周末也开。" in page
    assert "草稿案例" not in page  # a draft entry is never linked
    assert '<link rel="canonical" href="https://cases.example.org/projects/2021/zhucan">' in page
    assert client.get("/projects/2020/zhucan").headers["Location"].endswith("/projects/2021/zhucan")


def test_years_page_and_nav(write_project: WriteProject, resync: Callable[[], Any], client: FlaskClient) -> None:
    write_project("a", "title: 甲\nyear: 2021\nlead: 区甲局\nstage: 完成")
    write_project("b", "title: 乙\nyear: 2022\nlead: 区甲局\nstage: 征集", year=2022)
    resync()
    page = client.get("/projects/").get_data(as_text=True)
    assert page.index("2022年") < page.index("2021年")
    assert "已完成 1 / 1" in page and "已完成 0 / 1" in page
    assert '<a href="/projects/">民生实事</a>' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("written", "read", "problem"),
    [
        ("0100", Decimal(100), None),  # base 10, not YAML 1.1 octal
        ("1_000", Decimal(1000), None),
        ('"19500"', Decimal(19500), None),
        ("1.50", Decimal("1.50"), None),
        ("0.1", Decimal("0.1"), None),
        ("-3", None, "不能为负数"),
        ("1,000", None, "不是数字"),
        ("12%", None, "不是数字"),
        (".inf", None, "不是数字"),
        ("true", None, "应为数字"),
        ("1" * 31, None, "数字超过 30 位"),
    ],
)
def test_number_forms(written: str, read: Decimal | None, problem: str | None) -> None:
    front = "title: 数字\nyear: 2021\nlead: 区甲局\nstage: 实施\nindicators:\n  - name: 甲\n"
    text = f"---\n{front}    achieved: {written}\n---\n"
    project, problems = parse_project_text(text, "shuzi", "2021", path=Path("p.md"))
    assert project is not None
    assert project.indicators[0].achieved == read
    assert [p.line for p in problems] == ([] if problem is None else [8])
    assert problem is None or problem in problems[0].message


def test_refresh_project_after_a_save(
    write_project: WriteProject, resync: Callable[[], Any], client: FlaskClient, app: Flask, content_dir: Path
) -> None:
    path = write_project("baocun", "title: 保存前\nyear: 2021\nlead: 区甲局\nstage: 实施")
    resync()
    assert "保存前" in client.get("/projects/2021").get_data(as_text=True)
    project, _ = parse_project_file(content_dir, path)
    assert project is not None and project_path(content_dir, 2021, "baocun") == path
    write_atomic(path, serialize_project(replace(project, title="保存后", stage="完成")))
    with app.app_context():
        report = refresh_project(db.session, content_dir, path)
        db.session.commit()
    assert report.updated == 1 and report.changed == {"project/baocun"}
    page = client.get("/projects/2021").get_data(as_text=True)  # the page cache follows the generation
    assert "保存后" in page and "保存前" not in page
    assert resync().unchanged >= 1  # the next sync sees the saved file as already mirrored
