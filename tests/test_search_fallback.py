"""Search never dead-ends: per-word counts and partial matches, topics, title marks, pages past the end."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from .conftest import WriteEntry

Resync = Callable[[], Any]

TOPICS = """\
- slug: wuye
  number: 1
  title: 物业服务进老楼
  summary: 没有物业的楼院，怎样请进物业。
- slug: jijiu
  number: 2
  title: ＡＥＤ急救站
  summary: 每个社区一台除颤仪。
"""


@pytest.fixture
def library(content_dir: Path, write_entry: WriteEntry, resync: Resync) -> None:
    (content_dir / "topics.yml").write_text(TOPICS, "utf-8")
    write_entry("case", "both", title="物业和议事会一起管楼院", topic="wuye", date="2023-01-05", scope="local")
    write_entry("interview", "fee", title="物业费怎么收", topic="wuye", date="2023-02-01")
    write_entry("salon", "leave", title="业委会换届的规矩", body="老业委会成员退出以后怎么交接。", topic="wuye")
    write_entry(
        "case", "parking", title="停车难", body="物业划出夜间车位。", topic="wuye", date="2023-03-01", scope="local"
    )
    write_entry("case", "green", title="楼前绿化", body="居民认养花坛。", topic="jijiu", scope="local")
    resync()


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def hit_links(text: str) -> list[str]:
    """The entry links of the result cards, in order."""
    return re.findall(r'<h[23] class="card-title"><a href="([^"]+)"', text)


def search_total(client: FlaskClient, href: str) -> int:
    found = re.search(r"找到 <strong>(\d+)</strong> 篇", page(client, html.unescape(href)))
    assert found is not None
    return int(found.group(1))


def test_words_that_meet_nowhere_show_each_count_and_partial_matches(client: FlaskClient, library: None) -> None:
    text = page(client, "/search?q=" + quote("物业 退出 议事"))
    assert "找到 <strong>0</strong> 篇" in text  # the exact answer stays honest
    assert "没有同时包含“物业”、“退出”和“议事”的内容" in text
    counts = re.findall(r'<li><a href="([^"]+)">“(\w+)”：(\d+) 篇</a></li>', text)
    assert [(word, int(n)) for _, word, n in counts] == [("物业", 3), ("退出", 1), ("议事", 1)]
    for href, _, n in counts:  # each count is a link to that word's own search, which finds as many
        assert search_total(client, href) == int(n)
    partial = text[text.index("包含部分词语的内容") :]
    links = hit_links(partial)
    assert links[0] == "/cases/both"  # two of the words first
    assert sorted(links[1:]) == ["/cases/parking", "/interviews/fee", "/salons/leave"]
    assert "含“物业”和“议事”" in partial and "/cases/green" not in text
    assert text.index("没有同时包含") < text.index("包含部分词语的内容")
    alone = page(client, "/search?q=" + quote("没有的词"))  # one word: nothing partial to offer
    assert "没有找到包含“没有的词”的内容" in alone
    assert "包含部分词语" not in alone and "没有同时包含" not in alone


def test_the_fallback_keeps_filters_and_exclusions(client: FlaskClient, library: None) -> None:
    text = page(client, "/search?kind=case&q=" + quote("物业 退出 -停车"))
    counts = re.findall(r'<li><a href="([^"]+)">“(\w+)”：(\d+) 篇</a></li>', text)
    assert [(word, int(n)) for _, word, n in counts] == [("物业", 1), ("退出", 0)]
    href = html.unescape(counts[0][0])
    assert "kind=case" in href and quote("物业 -停车") in href.replace("+", "%20")
    assert search_total(client, counts[0][0]) == 1
    assert hit_links(text[text.index("包含部分词语的内容") :]) == ["/cases/both"]


def test_api_keeps_the_exact_answer_and_adds_the_fallback_beside_it(client: FlaskClient, library: None) -> None:
    data = client.get("/api/search?q=" + quote("物业 退出 议事")).get_json()
    assert data["total"] == 0 and data["results"] == []
    assert all(not counts for counts in data["facets"].values())
    assert data["partial"]["words"] == {"物业": 3, "退出": 1, "议事": 1}
    assert data["partial"]["total"] == 4
    first = data["partial"]["results"][0]
    assert first["slug"] == "both" and first["words"] == ["物业", "议事"]
    exact = client.get("/api/search?q=" + quote("物业")).get_json()
    assert "partial" not in exact and exact["total"] == 3


def test_topics_are_results_above_the_entries(client: FlaskClient, library: None) -> None:
    text = page(client, "/search?q=" + quote("物业"))
    block = text[text.index('<h2 id="search-topics-heading">主题</h2>') : text.index("</section>")]
    assert 'href="/topics/wuye"' in block and "<mark>物业</mark>服务进老楼" in block
    assert "/topics/jijiu" not in block
    assert text.index("search-topics-heading") < text.index('class="card-title"')
    folded = page(client, "/search?q=aed")  # NFKC and case folded: ＡＥＤ in the title
    assert 'href="/topics/jijiu"' in folded and "<mark>ＡＥＤ</mark>急救站" in folded
    only_topic = page(client, "/search?q=" + quote("除颤仪"))  # in a summary only, no entry has it
    assert 'href="/topics/jijiu"' in only_topic and "找到 <strong>0</strong> 篇" in only_topic
    assert "search-topics-heading" not in page(client, "/search?per_page=1&page=2&q=" + quote("物业"))
    assert "search-topics-heading" not in page(client, "/search?q=" + quote("物业 -老楼"))
    api = client.get("/api/search?q=" + quote("除颤仪")).get_json()
    assert api["total"] == 0 and api["results"] == [] and "partial" not in api  # entries only


def test_title_matches_are_marked_and_escaped(
    client: FlaskClient, library: None, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "odd", title='"R&D <小组> 物业"', topic="wuye", scope="local")
    resync()
    text = page(client, "/search?q=" + quote("物业"))
    assert '<a href="/cases/odd"><span>R&amp;D &lt;小组&gt; <mark>物业</mark></span></a>' in text
    assert '<a href="/interviews/fee"><span><mark>物业</mark>费怎么收</span></a>' in text


def test_a_page_past_the_end_says_so_and_links_to_the_last(client: FlaskClient, library: None) -> None:
    text = page(client, "/search?per_page=2&page=99&q=" + quote("物业"))
    assert "找到 <strong>3</strong> 篇" in text and not hit_links(text)
    assert "第 99 页没有内容：结果只有 2 页" in text
    last = re.search(r'<a href="([^"]+)">前往最后一页（第 2 页）</a>', text)
    assert last is not None and "page=2" in last.group(1)
    assert len(hit_links(page(client, html.unescape(last.group(1))))) == 1
    partial = page(client, "/search?page=9&q=" + quote("物业 退出"))
    assert "第 9 页没有内容：结果只有 1 页" in partial
