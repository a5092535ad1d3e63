"""进展可监督: the Atom feeds of one project and of a year, parsed with lxml, and 最近更新 on the page."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from lxml import etree

Resync = Callable[[], Any]
ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://cases.example.org"  # the conftest app's SITE_URL

FRONT = """\
title: 口袋公园 <建设> & 提升
year: 2022
lead: 区园林局
stage: 实施
vote:
  session: 区人大二次会议
  date: 2022-01-10
  present: 100
  for: 96
  against: 1
  abstain: 3
milestones:
{milestones}
adjustments:
  - date: 2022-07-08
    moved_by: 区人大代表联名
    reason: 两处选址离学校太近。
    change: 范围：两处选址改到河滨路。
    outcome: 通过
evaluation:
  date: 2023-01-05
  verdict: 满意
  score: 93
sample: true
"""
MILESTONES = """\
  - date: 2022-03
    text: 十处选址公示。
  - date: 2022-09-20
    text: 八处建成开放。"""
INSERTED = """\
  - date: 2022-02-14
    text: 征求沿街居民意见 <第一轮>。
  - date: 2022-03
    text: 十处选址公示。
  - date: 2022-09-20
    text: 八处建成开放。"""


def write(content_dir: Path, slug: str, front: str, year: int = 2022) -> Path:
    path = content_dir / "projects" / str(year) / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{textwrap.dedent(front).strip()}\n---\n说明。\n", encoding="utf-8")
    return path


def feed(client: FlaskClient, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/atom+xml"
    root = etree.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root


def entries(root: etree._Element) -> list[dict[str, str]]:
    found = []
    for entry in root.iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        found.append(
            {
                "id": entry.findtext(f"{ATOM}id") or "",
                "title": entry.findtext(f"{ATOM}title") or "",
                "updated": entry.findtext(f"{ATOM}updated") or "",
                "summary": entry.findtext(f"{ATOM}summary") or "",
                "href": link.get("href", "") if link is not None else "",
            }
        )
    return found


@pytest.fixture
def park(content_dir: Path, resync: Resync) -> Path:
    path = write(content_dir, "koudai-gongyuan", FRONT.format(milestones=MILESTONES))
    resync()
    return path


def test_the_project_feed_lists_every_dated_event_newest_first(client: FlaskClient, park: Path) -> None:
    root = feed(client, "/projects/2022/koudai-gongyuan/feed.xml")
    items = entries(root)
    assert [e["updated"][:10] for e in items] == ["2023-01-05", "2022-09-20", "2022-07-08", "2022-03-01", "2022-01-10"]
    assert [e["title"].split("｜")[0] for e in items] == ["评估", "进展", "调整动议", "进展", "代表票决"]
    assert all(e["title"].endswith("口袋公园 <建设> & 提升") for e in items)  # escaped text, read back as text
    assert root.findtext(f"{ATOM}updated") == "2023-01-05T00:00:00+08:00"
    assert all(e["updated"].endswith("T00:00:00+08:00") for e in items)  # Beijing dates
    month = items[3]["summary"]
    assert "2022年3月" in month and "月份" in month and "十处选址公示" in month  # YYYY-MM: the month's first day
    assert "【示例内容】" in month
    assert "两处选址改到河滨路" in items[2]["summary"] and "通过" in items[2]["summary"]
    assert all(e["href"] == f"{SITE}/projects/2022/koudai-gongyuan" for e in items)  # absolute links
    assert all(e["id"].startswith("tag:cases.example.org,2022:/projects/2022/koudai-gongyuan/") for e in items)
    assert len({e["id"] for e in items}) == len(items)
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "self": f"{SITE}/projects/2022/koudai-gongyuan/feed.xml",
        "alternate": f"{SITE}/projects/2022/koudai-gongyuan",
    }


def test_ids_stay_the_same_when_a_milestone_is_inserted_before_another(
    client: FlaskClient, content_dir: Path, resync: Resync, park: Path
) -> None:
    before = {e["summary"]: e["id"] for e in entries(feed(client, "/projects/2022/koudai-gongyuan/feed.xml"))}
    year_before = {e["id"] for e in entries(feed(client, "/projects/2022/feed.xml"))}
    park.write_text(park.read_text("utf-8").replace(MILESTONES, INSERTED), "utf-8")
    resync()
    after = {e["summary"]: e["id"] for e in entries(feed(client, "/projects/2022/koudai-gongyuan/feed.xml"))}
    assert len(after) == len(before) + 1
    for summary, entry_id in before.items():
        assert after[summary] == entry_id, summary
    new = [summary for summary in after if summary not in before]
    assert len(new) == 1 and "征求沿街居民意见 <第一轮>" in new[0]  # the served (cached) feed followed the change
    year_after = {e["id"] for e in entries(feed(client, "/projects/2022/feed.xml"))}
    assert year_before < year_after and len(year_after - year_before) == 1


def test_the_year_feed_has_every_published_project_and_never_a_draft(
    client: FlaskClient, content_dir: Path, resync: Resync, park: Path
) -> None:
    write(content_dir, "gongce", "title: 公厕改造\nyear: 2022\nlead: 区城管局\nstage: 实施\n"
          "milestones:\n  - date: 2022-05-05\n    text: 开工。\n")  # fmt: skip
    write(content_dir, "caogao", "title: 草稿项目\nyear: 2022\nlead: 区城管局\nstage: 实施\nstatus: draft\n"
          "milestones:\n  - date: 2022-12-30\n    text: 不应出现。\n")  # fmt: skip
    write(content_dir, "other-year", "title: 别的年份\nyear: 2023\nlead: 区城管局\nstage: 实施\n"
          "milestones:\n  - date: 2023-05-05\n    text: 别的年份的进展。\n", year=2023)  # fmt: skip
    resync()
    root = feed(client, "/projects/2022/feed.xml")
    items = entries(root)
    text = etree.tostring(root, encoding="unicode")
    assert "公厕改造" in text and "口袋公园" in text
    assert "草稿项目" not in text and "不应出现" not in text and "别的年份" not in text
    assert [e["updated"] for e in items] == sorted((e["updated"] for e in items), reverse=True)
    assert root.findtext(f"{ATOM}id") == "tag:cases.example.org,2022:/projects/2022/feed.xml"
    assert client.get("/projects/2022/caogao/feed.xml").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/projects/2031/feed.xml",
        "/projects/2022/no-such-project/feed.xml",
        "/projects/2021/koudai-gongyuan/feed.xml",  # the project is of 2022
    ],
)
def test_unknown_years_and_slugs_have_no_feed(client: FlaskClient, park: Path, url: str) -> None:
    assert client.get(url).status_code == 404


def test_pages_link_their_feeds_and_list_the_latest_five_events(client: FlaskClient, park: Path) -> None:
    page = BeautifulSoup(client.get("/projects/2022/koudai-gongyuan").get_data(as_text=True), "html.parser")
    alternate = page.select_one('head link[rel="alternate"][href="/projects/2022/koudai-gongyuan/feed.xml"]')
    assert alternate is not None and alternate.get("type") == "application/atom+xml"
    updates = page.select_one("section#updates")
    assert updates is not None and updates.h2 is not None and updates.h2.get_text() == "最近更新"
    times = [t["datetime"] for t in updates.select("li time")]
    assert times == ["2023-01-05", "2022-09-20", "2022-07-08", "2022-03-01", "2022-01-10"]
    assert "2022年3月" in updates.get_text() and "2022年9月20日" in updates.get_text()
    subscribe = updates.find("a", string=lambda s: bool(s and "订阅更新" in s))
    assert subscribe is not None and subscribe["href"] == "/projects/2022/koudai-gongyuan/feed.xml"

    board = BeautifulSoup(client.get("/projects/2022").get_data(as_text=True), "html.parser")
    assert board.select_one('head link[rel="alternate"][href="/projects/2022/feed.xml"]') is not None
    link = board.find("a", string=lambda s: bool(s and "订阅更新" in s))
    assert link is not None and link["href"] == "/projects/2022/feed.xml"


def test_only_five_events_are_listed_on_the_page(client: FlaskClient, content_dir: Path, resync: Resync) -> None:
    many = "\n".join(f"  - date: 2022-0{n}-0{n}\n    text: 第{n}步。" for n in range(1, 10))
    write(content_dir, "koudai-gongyuan", FRONT.format(milestones=many))
    resync()
    page = BeautifulSoup(client.get("/projects/2022/koudai-gongyuan").get_data(as_text=True), "html.parser")
    times = [t["datetime"] for t in page.select("section#updates li time")]
    assert times == ["2023-01-05", "2022-09-09", "2022-08-08", "2022-07-08", "2022-07-07"]
    assert len(entries(feed(client, "/projects/2022/koudai-gongyuan/feed.xml"))) == 9 + 3


def test_feeds_are_served_from_the_page_cache(app: Flask, client: FlaskClient, park: Path) -> None:
    names: list[str] = []

    def record(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        bodies = [client.get("/projects/2022/koudai-gongyuan/feed.xml").data for _ in range(3)]
        bodies += [client.get("/projects/2022/feed.xml").data for _ in range(3)]
    assert len(set(bodies)) == 2
    assert names.count("projects/feed.xml") == 2  # rendered once per URL, then served from the cache
