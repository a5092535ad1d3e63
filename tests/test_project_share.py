"""Share affordances of a 民生实事 project page: share bar, og tags, QR codes, ``?from=`` counting,
the staff statistics and the 公众号 export."""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from casebook.db import db
from casebook.share.counter import ViewCounter
from casebook.share.models import ViewCount

from .conftest import WriteEntry
from .staffkit import staff_client

SITE = "https://cases.example.org"

FRONT = """
    title: 新建社区食堂
    year: 2021
    lead: 区民政局
    stage: 实施
    sample: true
    vote: {session: 区十六届人大六次会议, date: 2021-01-12, present: 196, for: 190, against: 2, abstain: 1}
    indicators:
      - {name: 社区食堂, unit: 个, planned: 10, achieved: 12}
      - {name: 助餐人次, unit: 人次, planned: 19500, achieved: 24305}
    milestones:
      - {date: 2021-03, text: 选定第一批点位。}
    evaluation: {date: 2022-01-20, verdict: 满意, text: 建议周末也开。}
    related: [case/anli]
"""
BODY = "老人吃饭难，先在[区政府网站](https://www.example.gov.cn/zhucan)公布点位。"


@pytest.fixture
def project(content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]) -> None:
    write_entry("case", "anli", title="386号院的做法", scope="local")
    folder = content_dir / "projects" / "2021"
    folder.mkdir(parents=True)
    (folder / "shitang.md").write_text(f"---\n{textwrap.dedent(FRONT).strip()}\n---\n{BODY}\n", encoding="utf-8")
    (folder / "caogao.md").write_text(
        "---\ntitle: 草稿项目\nyear: 2021\nlead: 区甲局\nstage: 征集\nstatus: draft\n---\n未发布。\n", encoding="utf-8"
    )
    resync()


def _decode(png: bytes) -> tuple[str, str]:
    image = Image.open(io.BytesIO(png))
    assert min(image.size) >= 600
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1
    return str(found[0].text), str(found[0].ec_level)


def _counts(app: Flask) -> dict[tuple[str, str, str], int]:
    views: ViewCounter = app.extensions["casebook.views"]
    assert views.flush()
    with app.app_context():
        return {(r.kind, r.slug, r.source): r.count for r in db.session.scalars(select(ViewCount))}


def test_project_page_carries_the_share_bar_and_og_tags(client: FlaskClient, project: None) -> None:
    html = client.get("/projects/2021/shitang").get_data(as_text=True)
    url = f"{SITE}/projects/2021/shitang"
    assert html.count('rel="canonical"') == 1
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="新建社区食堂">' in html
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:image" content="{SITE}/static/share-cover.png">' in html
    description = re.search(r'<meta property="og:description" content="([^"]*)">', html)
    assert description and description.group(1).startswith("老人吃饭难")
    assert f'data-share-copy="{url}"' in html and "复制链接" in html
    assert 'src="/projects/2021/shitang/qr.svg"' in html and 'href="/projects/2021/shitang/qr.png"' in html
    assert "/static/share.js" in html and "/static/share.css" in html
    assert html.index("指标完成情况") < html.index('aria-label="分享本项目"')


def test_project_qr_png_decodes_to_the_canonical_url(client: FlaskClient, project: None) -> None:
    response = client.get("/projects/2021/shitang/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.cache_control.max_age == 86400
    text, level = _decode(response.data)
    assert text == f"{SITE}/projects/2021/shitang?from=qr"
    assert level in ("M", "Q", "H")


def test_project_qr_svg_names_the_project(client: FlaskClient, project: None) -> None:
    response = client.get("/projects/2021/shitang/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<title>新建社区食堂 二维码</title>" in svg


@pytest.mark.parametrize(
    "path",
    [
        "/projects/2020/shitang/qr.png",  # a wrong year never gets a code for another year's page
        "/projects/2021/nope/qr.png",
        "/projects/2021/nope/qr.svg",
        "/projects/2021/caogao/qr.png",  # drafts are not shared
        "/projects/2021/caogao/qr.svg",
    ],
)
def test_missing_wrong_year_or_draft_projects_get_no_qr(client: FlaskClient, project: None, path: str) -> None:
    assert client.get(path).status_code == 404


def test_project_views_are_counted_by_source(app: Flask, client: FlaskClient, project: None) -> None:
    for query in ("", "?from=qr", "?from=qr", "?from=gzh", "?from=timeline", "?from=weibo"):
        assert client.get(f"/projects/2021/shitang{query}").status_code == 200
    assert client.get("/projects/2021?from=group").status_code == 200
    assert client.get("/projects/").status_code == 200
    assert client.get("/projects/2021.csv").status_code == 200  # a download, not a page view
    assert client.get("/projects/2020/shitang?from=qr").status_code == 301  # only the page it lands on counts
    assert client.get("/projects/2021/shitang/qr.png").status_code == 200  # images are not views
    assert client.get("/projects/2021/nope?from=qr").status_code == 404
    counts = _counts(app)
    project_counts = {k: v for k, v in counts.items() if k[0] == "project"}
    assert project_counts == {
        ("project", "shitang", "direct"): 1,
        ("project", "shitang", "qr"): 2,
        ("project", "shitang", "gzh"): 1,
        ("project", "shitang", "timeline"): 1,
        ("project", "shitang", "other"): 1,
    }
    assert counts[("page", "projects.board", "group")] == 1
    assert counts[("page", "projects.years", "direct")] == 1
    assert not any(slug == "projects.board_csv" for _, slug, _ in counts)


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    client = staff_client(app, "project-editor", "editor")
    return client


@pytest.mark.parametrize(
    "path", ["/projects/2021/shitang/gzh", "/projects/2021/shitang/gzh?raw=1", "/staff/stats/projects/shitang"]
)
def test_project_staff_tools_need_a_login(app: Flask, project: None, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_staff_stats_list_and_chart_projects(
    app: Flask, client: FlaskClient, staff: FlaskClient, project: None
) -> None:
    for query in ("?from=qr", "?from=qr", "?from=gzh"):
        client.get(f"/projects/2021/shitang{query}")
    client.get("/cases/anli?from=group")
    _counts(app)
    index = staff.get("/staff/stats/").get_data(as_text=True)
    assert '<a href="/staff/stats/projects/shitang">新建社区食堂（民生实事）</a></td><td class="num">3</td>' in index
    assert '<a href="/staff/stats/cases/anli">386号院的做法</a></td><td class="num">1</td>' in index
    page = staff.get("/staff/stats/projects/shitang")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "新建社区食堂" in html and f"{SITE}/projects/2021/shitang" in html
    assert "二维码 2</title>" in html and "公众号 1</title>" in html  # the chart's per-source bars
    assert staff.get("/staff/stats/projects/caogao").status_code == 404
    assert staff.get("/staff/stats/projects/nope").status_code == 404


def test_project_gzh_export_is_inline_styled_with_figures(staff: FlaskClient, project: None) -> None:
    response = staff.get("/projects/2021/shitang/gzh?raw=1")
    assert response.status_code == 200
    article = response.get_data(as_text=True)
    assert "class=" not in article and "<style" not in article and "<script" not in article
    assert "2021年民生实事" in article and "牵头单位：区民政局" in article
    assert "赞成 <strong" in article and ">190</strong> 票" in article
    assert re.search(
        r"<td[^>]*>助餐人次</td><td[^>]*><span[^>]*>1.95万人次</span></td><td[^>]*><span[^>]*>2.43万人次</span></td>"
        r"<td[^>]*><span[^>]*>124.64%</span>（超额完成）</td>",
        article,
    )
    assert "选定第一批点位。" in article and "建议周末也开。" in article
    assert "示例内容" in article  # the sample project keeps its notice
    # the external link became a numbered footnote; the closing points at the tagged page and its QR code
    assert "[1] 区政府网站：https://www.example.gov.cn/zhucan" in article
    assert 'href="https://www.example.gov.cn/zhucan"' not in article
    assert f"阅读原文：{SITE}/projects/2021/shitang?from=gzh" in article
    assert f'src="{SITE}/projects/2021/shitang/qr.png"' in article
    assert "民生实事的票决、进展和指标完成情况" in article and "一谈三微" not in article
    page = staff.get("/projects/2021/shitang/gzh").get_data(as_text=True)
    assert "公众号导出：新建社区食堂" in page and f'value="{SITE}/projects/2021/shitang?from=gzh"' in page
    assert staff.get("/projects/2020/shitang/gzh").status_code == 404
    assert staff.get("/projects/2021/caogao/gzh").status_code == 404
