"""Community pages (issue 14, point 6): ``/communities/<社区名 as in places.yml>``, every entry and
project of the community with its interviews first, linked from every page that names it.

On the demo library (tests/democontent, an invented district) copied to tmp_path, or on entries the
tests write; never on the facts of ``content/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from .browserkit import prepare_app

Resync = Callable[[], Any]


def url_of(name: str) -> str:
    return "/communities/" + quote(name)


@pytest.fixture
def demo(demo_content: Path, tmp_path: Path) -> FlaskClient:
    return prepare_app(demo_content, tmp_path / "data", config={"TESTING": True}).test_client()


def page(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def community_links(html: BeautifulSoup) -> set[tuple[str, str]]:
    """(href, text) of every link to a community page."""
    return {(a["href"], a.get_text()) for a in html.find_all("a", href=True) if a["href"].startswith("/communities/")}


@contextmanager
def rendered(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def record(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        yield names


def test_a_community_page_lists_its_entries_interviews_first_then_its_projects(demo: FlaskClient) -> None:
    html = page(demo, url_of("柳岸社区"))
    assert html.h1 is not None and html.h1.get_text(" ", strip=True) == "柳岸社区 松涛街道"
    street = quote("松涛街道")
    assert any(a["href"] == f"/streets/{street}" for a in html.select(".community-street a"))
    sections = [s.h2.get_text(" ", strip=True) for s in html.select("section.community-part")]
    assert sections == [
        "社区书记谈治理 1 篇",
        "微沙龙 1 篇",
        "微案例 1 篇",
        "民生实事 1 件",
        "借鉴学习 1 次",  # 借鉴 records (issue 15): what it learned, then who learned from it
        "来这里学习的社区 2 次",
    ]
    titles = [h3.a["href"] for h3 in html.select("section.community-part h3")]
    assert titles == [
        "/interviews/dianti-liuan",
        "/salons/dianti-yishi",
        "/cases/dianti-liuan-qihao",
        "/projects/2023/jiazhuang-dianti",  # its related entries are this community's
    ]
    # another community's entries and projects stay on their own page (its draft case on none)
    other = page(demo, url_of("北园社区"))
    assert [h3.a["href"] for h3 in other.select("section.community-part h3")] == [
        "/interviews/shitang-beiyuan",
        "/projects/2023/shequ-shitang",
    ]


@pytest.mark.parametrize("name", ["不存在社区", "松涛街道", "柳岸", "柳岸社区 "])
def test_a_name_places_yml_does_not_list_as_a_community_is_404(demo: FlaskClient, name: str) -> None:
    assert demo.get(url_of(name)).status_code == 404


def test_a_listed_community_without_entries_has_a_page_that_says_so(demo_content: Path, tmp_path: Path) -> None:
    places = demo_content / "places.yml"
    places.write_text(places.read_text("utf-8") + "  - 新河社区\n", "utf-8")  # under 望川街道, the last street
    client = prepare_app(demo_content, tmp_path / "data", config={"TESTING": True}).test_client()
    html = page(client, url_of("新河社区"))
    assert "这个社区还没有公开的内容" in html.get_text()
    assert not html.select("section.community-part")
    assert not html.select(".community-street a")  # the street page lists entries: none here yet


def test_drafts_stay_off_a_community_page(
    client: FlaskClient, write_entry: Callable[..., Path], resync: Resync
) -> None:
    write_entry("case", "gongkai", title="公开的案例", street="林山寨街道", community="碧沙岗社区")
    write_entry("case", "caogao", title="草稿的案例", street="林山寨街道", community="碧沙岗社区", status="draft")
    resync()
    text = page(client, url_of("碧沙岗社区")).get_text()
    assert "公开的案例" in text and "草稿的案例" not in text


def test_every_page_that_names_a_community_links_to_it(demo: FlaskClient) -> None:
    link = (url_of("柳岸社区"), "柳岸社区")
    for url in (
        "/",  # latest entries' cards
        "/interviews/dianti-liuan",  # the entry's facts
        "/cases/",  # list cards
        "/topics/dianti-jiazhuang",  # the topic's loop
        "/topics/dianti-jiazhuang/share",  # the page a 公众号 post links to
        "/streets/" + quote("松涛街道"),
        "/tags/" + quote("加装电梯"),
        "/projects/2023/jiazhuang-dianti",  # the communities of the project's related entries
    ):
        assert link in community_links(page(demo, url)), url
    facts = page(demo, "/interviews/dianti-liuan").find("dl", class_="facts")
    assert isinstance(facts, Tag)
    dd = facts.find("dt", string="社区").find_next_sibling("dd")
    assert dd.a is not None and dd.a["href"] == url_of("柳岸社区")


def test_the_sitemap_lists_the_communities_with_entries(demo_content: Path, tmp_path: Path) -> None:
    places = demo_content / "places.yml"
    places.write_text(places.read_text("utf-8") + "  - 新河社区\n", "utf-8")
    client = prepare_app(demo_content, tmp_path / "data", config={"TESTING": True, "SITE_URL": "https://x.example"})
    xml = client.test_client().get("/sitemap.xml").get_data(as_text=True)
    for name in ("柳岸社区", "石桥社区", "北园社区"):
        assert f"<loc>https://x.example{url_of(name)}</loc>" in xml, name
    assert url_of("新河社区") not in xml  # an empty page is not offered to search engines


def test_a_community_page_is_cached_and_follows_a_sync(
    app: Flask, client: FlaskClient, write_entry: Callable[..., Path], resync: Resync
) -> None:
    write_entry("interview", "tan", title="书记谈楼院", street="林山寨街道", community="碧沙岗社区")
    resync()
    url = url_of("碧沙岗社区")
    with rendered(app) as names:
        first = [client.get(url).get_data(as_text=True) for _ in range(3)]
    assert names.count("public/community.html") == 1 and first[0] == first[2]
    write_entry("salon", "yishi", title="楼院议事沙龙", street="林山寨街道", community="碧沙岗社区")
    resync()
    assert "楼院议事沙龙" in client.get(url).get_data(as_text=True)
