"""微案例 and 微分享 as two things: two lists, their labels everywhere, old links kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from .conftest import WriteEntry
from .staffkit import staff_client

Resync = Callable[[], Any]


@pytest.fixture
def cases(write_entry: WriteEntry, resync: Resync) -> None:
    write_entry("case", "bendi", title="本区楼院的做法", scope="local", date="2022-04-01")
    write_entry("case", "waidi", title="外地楼院的做法", scope="national", region="示例省示例市", date="2022-05-01")
    write_entry("interview", "tan", title="书记谈楼院", date="2022-03-01")
    resync()


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_cases_list_local_and_shares_list_national(client: FlaskClient, cases: None) -> None:
    local = page(client, "/cases/")
    assert "<h1>微案例 <small>1 篇</small></h1>" in local
    assert 'href="/cases/bendi"' in local and "外地楼院" not in local
    shares = page(client, "/shares/")
    assert "<h1>微分享 <small>1 篇</small></h1>" in shares and "<title>微分享｜" in shares
    assert 'href="/cases/waidi"' in shares and "本区楼院" not in shares  # entries keep /cases/<slug>
    assert "<h2>范围</h2>" not in local + shares and "已筛选" not in local + shares  # the scope is the page
    nav = shares[shares.index('<nav class="site-nav"') : shares.index("</nav>")]
    assert '<a href="/cases/">微案例</a>' in nav and '<a href="/shares/">微分享</a>' in nav
    filtered = page(client, "/shares/?topic=louyuan")
    assert "外地楼院" in filtered and "已筛选" in filtered and "范围：" not in filtered


def test_old_scope_links_lead_to_the_right_list(client: FlaskClient, cases: None) -> None:
    moved = client.get("/cases/?scope=national&topic=louyuan")
    assert moved.status_code == 301 and moved.headers["Location"] == "/shares/?topic=louyuan"
    assert "外地楼院" in page(client, moved.headers["Location"])
    same = page(client, "/cases/?scope=local")  # the list's own scope: shown as it is
    assert "本区楼院" in same and "外地楼院" not in same
    assert client.get("/shares/?scope=local&year=2022").headers["Location"] == "/cases/?year=2022"
    assert page(client, "/cases/waidi").count("外地楼院的做法") >= 1  # the entry URL itself is unchanged


def test_search_labels_each_case_and_the_api_keeps_kind_case(client: FlaskClient, cases: None) -> None:
    text = page(client, "/search?q=" + quote("楼院的做法"))
    badges = dict(
        (slug, label) for label, slug in re.findall(r'badge-kind">(\w+)</span>.*?<a href="/cases/(\w+)">', text, re.S)
    )
    assert badges == {"bendi": "微案例", "waidi": "微分享"}
    results = client.get("/api/search?q=" + quote("楼院的做法")).get_json()["results"]
    assert {(r["slug"], r["kind"], r["scope"]) for r in results} == {
        ("bendi", "case", "local"),
        ("waidi", "case", "national"),
    }
    interview = client.get("/api/search?q=" + quote("书记谈")).get_json()["results"]
    assert interview[0]["kind"] == "interview" and "scope" not in interview[0]


def test_entry_topic_feed_and_sitemap_say_weifenxiang(
    client: FlaskClient, cases: None, write_entry: WriteEntry, resync: Resync
) -> None:
    for number in range(13):  # more than a topic page shows: it links to the full list
        write_entry("case", f"more{number}", scope="national", region="示例省", date="2022-06-01")
    resync()
    entry = page(client, "/cases/waidi")
    crumbs = entry[entry.index('<nav class="crumbs">') : entry.index("</nav>", entry.index('<nav class="crumbs">'))]
    assert '<a href="/shares/">微分享</a>' in crumbs
    assert '<a href="/cases/">微案例</a>' in page(client, "/cases/bendi")
    topic = page(client, "/topics/louyuan")
    assert 'href="/shares/?topic=louyuan">查看全部 14 篇' in topic and "scope=national" not in topic
    feed = page(client, "/feed.xml")
    assert '<category term="national" label="微分享"/>' in feed and '<category term="local" label="微案例"/>' in feed
    sitemap = page(client, "/sitemap.xml")
    assert "<loc>https://cases.example.org/shares/</loc>" in sitemap
    assert "<loc>https://cases.example.org/cases/</loc>" in sitemap


def test_staff_lists_and_the_gzh_export_say_weifenxiang(
    app: Flask, cases: None, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "daishen", title="待审的外地做法", scope="national", region="示例省", status="submitted")
    resync()
    staff = staff_client(app, "shares-editor", "reviewer")
    waiting = page(staff, "/staff/review")
    assert "待审的外地做法</a> <small>微分享 ·" in waiting
    listing = page(staff, "/staff/entries")
    row = next(line for line in listing.splitlines() if "外地楼院的做法" in line)
    assert "<small>微分享 ·" in row
    local_row = next(line for line in listing.splitlines() if "本区楼院的做法" in line)
    assert "<small>微案例 ·" in local_row
    export = page(staff, "/cases/waidi/gzh?raw=1")
    assert '<p class="gzh-meta">微分享' in export or "微分享 ·" in export


def test_the_shares_list_is_served_from_the_page_cache(app: Flask, client: FlaskClient, cases: None) -> None:
    names: list[str] = []

    def record(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        pages = [page(client, "/shares/") for _ in range(3)]
    assert names == ["public/list.html"] and pages[0] == pages[2]
