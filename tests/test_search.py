"""Chinese search: exact substring recall and precision, query syntax, ranking, facets, API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casebook.db import db
from casebook.models import SearchMiss
from casebook.web import QUERY_LIMIT

from .conftest import WriteEntry

Resync = Callable[[], Any]

GLOSSARY = """\
- term: 无主管楼院
  synonyms: [三无楼院, 老旧散楼院]
"""


@pytest.fixture
def library(content_dir: Path, write_entry: WriteEntry, resync: Resync) -> None:
    (content_dir / "glossary.yml").write_text(GLOSSARY, "utf-8")
    write_entry(
        "interview",
        "a1",
        title="无主管楼院的治理经验",
        date="2022-03-01",
        street="林山寨街道",
        people=["王慧敏（社区党委书记）"],
        tags=["居民自治"],
        sample=True,
        body="陇海西路386号院成立了自管会。居民自治让楼院焕然一新。AED设备已安装，服务电话12345。",
    )
    write_entry(
        "case",
        "b1",
        title="物业纠纷怎么调解",
        date="2022-04-01",
        tags=["网格化管理"],
        body="老旧小区常见物业纠纷，党群服务中心出面组织调解。",
    )
    write_entry("salon", "c1", title="居民座谈会", date="2022-05-01", body="社区书记主持，大家轮流发言。")
    write_entry("salon", "g1", title="另一次座谈", date="2022-05-02", body="社区的书记和居民坐在一起。")
    write_entry(
        "case",
        "d1",
        title="成都的院落治理",
        date="2022-06-01",
        scope="national",
        region="四川省成都市",
        body="三无楼院改造经验值得借鉴。",
    )
    write_entry("case", "e1", title="草稿", status="draft", body="草稿里的秘密词汇楼院。")
    write_entry(
        "case", "f1", title="信息化", date="2023-01-01", body="Mixed 中英文 text: WiFi覆盖和5G基站。全角ＡＢＣ字母。"
    )
    resync()


def keys(client: FlaskClient, query: str, **params: str) -> list[str]:
    response = client.get("/api/search", query_string={"q": query, **params})
    assert response.status_code == 200
    return [f"{r['kind']}/{r['slug']}" for r in response.json["results"]]


def slugs(client: FlaskClient, query: str, **params: str) -> set[str]:
    return {k.split("/")[1] for k in keys(client, query, **params)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("物业", {"b1"}),  # a word inside 物业纠纷
        ("楼院", {"a1", "d1"}),  # a part of compound words; never the draft
        ("主管楼院", {"a1"}),
        ("党群服", {"b1"}),  # cuts across words
        ("386号院", {"a1"}),  # digits and Chinese together
        ("林山寨", {"a1"}),  # inside the street
        ("院", {"a1", "d1"}),  # a single character
        ("社区书记", {"c1"}),  # not 社区的书记, whose characters are apart
        ("慧敏", {"a1"}),  # inside a person's name
        ("网格", {"b1"}),  # inside a tag
        ("成都市", {"d1"}),  # inside the region
        ("aed", {"a1"}),
        ("AED", {"a1"}),
        ("ＡＥＤ", {"a1"}),  # full-width letters
        ("12345", {"a1"}),
        ("１２３４５", {"a1"}),  # full-width digits
        ("234", {"a1"}),  # digits as substrings
        ("wifi", {"f1"}),
        ("ifi", {"f1"}),  # Latin as a substring
        ("abc", {"f1"}),  # full-width in the text
        ("5g基站", {"f1"}),  # mixed scripts
        ("楼院 自管会", {"a1"}),  # AND
        ("楼院　自管会", {"a1"}),  # ideographic space
        ("楼院 物业", set()),
        ('"居民自治"', {"a1"}),
        ("“居民自治”", {"a1"}),
        ("「居民自治」", {"a1"}),
        ('"自治 居民"', set()),
        ("楼院 -自管会", {"d1"}),  # exclusion
        ("－自管会 楼院", {"d1"}),  # full-width minus
        ("秘密词汇", set()),  # only in a draft
        ("草稿", set()),
        ("status:draft", set()),
        ("不存在的内容", set()),
    ],
)
def test_matching_table(client: FlaskClient, library: None, query: str, expected: set[str]) -> None:
    assert slugs(client, query) == expected


def test_synonyms_expand_and_rank_below_the_literal(client: FlaskClient, library: None) -> None:
    assert keys(client, "三无楼院") == ["case/d1", "interview/a1"]
    assert keys(client, "无主管楼院") == ["interview/a1", "case/d1"]
    assert keys(client, "老旧散楼院") == ["interview/a1", "case/d1"]  # the newer literal-less hit does not jump ahead
    assert keys(client, '"三无楼院"') == ["case/d1"]  # a quoted phrase is taken literally


def test_ranking_title_before_body_word_before_substring_newer_first(
    client: FlaskClient, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "body-old", title="甲", date="2020-01-01", body="这里讲到调解。")
    write_entry("case", "title-old", title="如何调解", date="2019-01-01", body="正文。")
    write_entry("case", "body-new", title="乙", date="2021-01-01", body="这里也讲到调解。")
    write_entry("case", "summary", title="丙", summary="关于调解的摘要", date="2018-01-01", body="正文。")
    resync()
    assert keys(client, "调解") == ["case/title-old", "case/summary", "case/body-new", "case/body-old"]
    write_entry("case", "word", title="甲", date="2020-01-01", body="社区书记到场。")
    write_entry("case", "accident", title="乙", date="2021-06-01", body="秘书记录了发言。")
    resync()
    assert keys(client, "书记") == ["case/word", "case/accident"]  # word boundary beats a newer substring


def test_phrase_of_the_whole_query_comes_first(client: FlaskClient, write_entry: WriteEntry, resync: Resync) -> None:
    write_entry("case", "apart", title="甲", date="2022-01-01", body="楼院很旧，后来成立了自管会。")
    write_entry("case", "together", title="乙", date="2020-01-01", body="这个楼院自管会很有名。")
    resync()
    assert keys(client, "楼院 自管会") == ["case/together", "case/apart"]


def test_filters_and_facets_follow_the_query(client: FlaskClient, library: None) -> None:
    data = client.get("/api/search?q=楼院").json
    assert data["facets"]["kind"] == {"interview": 1, "case": 1}
    assert data["facets"]["scope"] == {"national": 1}
    assert data["facets"]["street"] == {"林山寨街道": 1}
    assert data["facets"]["tag"] == {"居民自治": 1}
    assert data["facets"]["year"] == {"2022": 2}
    filtered = client.get("/api/search?q=楼院&kind=case").json
    assert [r["slug"] for r in filtered["results"]] == ["d1"]
    assert filtered["facets"]["kind"] == {"interview": 1, "case": 1}  # a facet ignores its own filter
    assert filtered["facets"]["street"] == {}
    assert slugs(client, "", topic="yiqing") == set()
    assert slugs(client, "", kind="salon") == {"c1", "g1"}  # filters alone browse
    assert slugs(client, "楼院", year="2023") == set()


def test_api_shape_pagination_and_escaping(
    client: FlaskClient, library: None, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "html", title="<b>标题</b>", body="正文里有 <不是标签> & 楼院 的字样。")
    resync()
    data = client.get("/api/search?q=楼院&per_page=2").json
    assert set(data) == {"query", "total", "page", "per_page", "results", "facets"}
    assert (data["query"], data["total"], data["page"], data["per_page"]) == ("楼院", 3, 1, 2)
    first = data["results"][0]
    assert set(first) == {"kind", "slug", "title", "url", "topic", "date", "snippet"}
    assert first["url"].startswith("https://cases.example.org/")
    page2 = client.get("/api/search?q=楼院&per_page=2&page=2").json
    assert len(page2["results"]) == 1
    assert client.get("/api/search?q=楼院&per_page=500").json["per_page"] == 100
    assert client.get("/api/search?q=楼院&per_page=abc").json["per_page"] == 20
    snippet = next(r["snippet"] for r in client.get("/api/search?q=字样").json["results"])
    assert "&lt;不是标签&gt; &amp; 楼院 的<mark>字样</mark>" in snippet


HOSTILE = [
    '"',
    '""',
    "'",
    "“",
    "」",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "<script>alert(1)</script>",
    "*",
    "?",
    "~",
    "^",
    "\\",
    "/",
    "AND",
    "OR NOT",
    "NOT",
    "status:draft",
    "title:楼院",
    "kind:case",
    "楼院^2",
    "楼*",
    "\x00",
    "a\x00b",
    "楼院\x00",
    "x" * 5000,
    "楼" * 5000,
    "😀",
    "👍🏻楼院",
    "-",
    "--",
    "－",
    "-楼院",
    '-"楼院"',
    "\u3000",
    "\u200b楼院",
    "%",
    "%25",
    "' OR 1=1 --",
    "\n\t",
    "&#x697c;",
    "{{7*7}}",
    "..",
    "../../etc/passwd",
    "𠮷野家",
    "楼院 " * 100,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_never_errors(client: FlaskClient, library: None, query: str) -> None:
    # past web.QUERY_LIMIT (5,000 Chinese characters: 45,000 bytes) the app answers its Chinese 414 page
    # instead of reading the query (issue 13; tests/test_long_requests.py); anything shorter is searched
    too_long = len(urlencode({"q": query})) > QUERY_LIMIT
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == (414 if too_long else 200)
    assert "<script>alert(1)</script>" not in page.get_data(as_text=True)
    if too_long:
        assert "链接太长" in page.get_data(as_text=True)
    api = client.get("/api/search", query_string={"q": query, "page": "-3", "per_page": "0", "year": "x" * 300})
    assert api.status_code == (414 if too_long else 200)
    if not too_long:
        assert isinstance(api.json["results"], list)


def test_search_page_shows_results_facets_and_help(client: FlaskClient, library: None) -> None:
    page = client.get("/search?q=楼院").get_data(as_text=True)
    assert "找到 <strong>2</strong> 篇" in page and "<mark>楼院</mark>" in page
    assert "无主管楼院的治理经验" in page and "草稿" not in page
    assert "示例内容" in page  # a sample entry says so in results too
    assert "示例内容" not in client.get("/search?q=物业").get_data(as_text=True)
    assert "筛选结果" in page
    empty = client.get("/search?q=无主管楼").get_data(as_text=True)
    assert "找到 <strong>1</strong> 篇" in empty
    nothing = client.get("/search?q=三无小区").get_data(as_text=True)
    assert "没有找到" in nothing and "三无楼院" in nothing  # did-you-mean from the glossary
    synonym_only = client.get("/search?q=老旧散小区").get_data(as_text=True)
    assert "q=%E8%80%81%E6%97%A7%E6%95%A3%E6%A5%BC%E9%99%A2" in synonym_only  # 老旧散楼院 finds entries via synonyms
    filtered = client.get("/search?q=楼院&year=2023").get_data(as_text=True)
    assert "去掉筛选条件后有 2 篇结果" in filtered


def test_misses_are_counted(app: Flask, client: FlaskClient, library: None) -> None:
    for _ in range(3):
        client.get("/search?q=没有的词")
    client.get("/api/search?q=没有的词")
    client.get("/search?q=楼院")
    with app.app_context():
        misses = {m.query: m.count for m in db.session.scalars(select(SearchMiss))}
    assert misses == {"没有的词": 4}


def test_index_follows_edits_drafts_and_deletes(
    client: FlaskClient, library: None, write_entry: WriteEntry, resync: Resync, content_dir: Path
) -> None:
    write_entry("case", "b1", title="物业纠纷怎么调解", body="改写后的正文只谈停车难。")
    write_entry("case", "e1", title="草稿", body="草稿里的秘密词汇楼院。")  # now published
    write_entry("salon", "c1", title="居民座谈会", status="submitted", body="社区书记主持。")
    (content_dir / "cases" / "f1.md").unlink()
    resync()
    assert slugs(client, "停车难") == {"b1"} and slugs(client, "党群服") == set()
    assert slugs(client, "秘密词汇") == {"e1"}
    assert slugs(client, "社区书记") == set()
    assert slugs(client, "wifi") == set()


def test_search_unavailable_without_index(client: FlaskClient) -> None:
    assert client.get("/search?q=楼院").status_code == 503
    assert client.get("/api/search?q=楼院").status_code == 503


def test_openapi_describes_the_api(client: FlaskClient, library: None, content_dir: Path, resync: Resync) -> None:
    record = content_dir / "learning" / "a1.md"  # a 借鉴 record (issue 15) for /api/learning/{slug}
    record.parent.mkdir()
    record.write_text(
        "---\ndate: 2022-04-01\ncommunity: 碧沙岗社区\ntype: 参观\nlearned_from: [interview/a1]\n---\n", "utf-8"
    )
    resync()
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/api/search",
        "/api/topics",
        "/api/topics/{slug}",
        "/api/entries",
        "/api/entries/{kind}/{slug}",
        "/api/learning",
        "/api/learning/{slug}",
    }
    for path in spec["paths"]:
        concrete = path.replace("{slug}", "louyuan" if "topics" in path else "a1").replace("{kind}", "interview")
        assert client.get(concrete).status_code == 200, concrete
    json.dumps(spec)


def test_read_api(client: FlaskClient, library: None) -> None:
    topics = client.get("/api/topics").json
    assert topics["total"] == 3 and topics["results"][0]["slug"] == "louyuan"
    assert topics["results"][0]["parts"]["interview"] == 1
    topic = client.get("/api/topics/louyuan").json
    assert [e["slug"] for e in topic["entries"]["national"]] == ["d1"]
    listing = client.get("/api/entries?kind=salon&per_page=1").json
    assert listing["total"] == 2 and len(listing["results"]) == 1
    assert client.get("/api/entries?kind=poem").status_code == 400
    entry = client.get("/api/entries/interview/a1").json
    assert entry["people"] == ["王慧敏（社区党委书记）"] and "386号院" in entry["html"]
    assert client.get("/api/entries/case/e1").status_code == 404  # drafts stay private
    assert client.get("/api/topics/nope").status_code == 404
