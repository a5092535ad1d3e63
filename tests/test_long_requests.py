"""An over-long request (issue 13, the 414 item): gunicorn lets a long request line through, and the
app itself answers a query string it will not read with a Chinese 414 page in the site's layout."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from casebook import server
from casebook.web import QUERY_LIMIT

from .conftest import WriteEntry


def test_a_pasted_paragraph_gets_a_chinese_414_page_in_the_site_layout(client: FlaskClient) -> None:
    paragraph = "老旧楼院没有物业，居民自发成立议事会，每月开一次会，商量停车、绿化和维修基金的事。" * 17
    url = "/search?" + urlencode({"q": paragraph})
    assert QUERY_LIMIT < len(url) < 8190  # gunicorn lets it through; the app answers it
    response = client.get(url)
    assert response.status_code == 414
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "链接太长" in html and "200 个字" in html
    assert 'class="site-header"' in html and 'href="/search"' in html  # the site's own header and nav
    assert "URI Too Long" not in html and "Request-URI" not in html


@pytest.mark.parametrize("path", ["/", "/cases/", "/api/entries", "/topics/louyuan"])
def test_any_page_refuses_a_query_string_past_the_limit(client: FlaskClient, path: str) -> None:
    response = client.get(path + "?x=" + "a" * QUERY_LIMIT)
    assert response.status_code == 414, path


def test_a_shorter_paste_is_searched_by_its_first_200_characters(client: FlaskClient) -> None:
    """Anything gunicorn's old limit let through is answered as before (the search reads 200 characters)."""
    response = client.get("/search?" + urlencode({"q": "楼院议事会" * 100}))  # 500 characters, 4,502 bytes
    assert response.status_code in (200, 503)  # 503: no search index in this fixture; never 414


def test_the_longest_query_the_site_itself_makes_is_answered(client: FlaskClient, write_entry: WriteEntry) -> None:
    """200 Chinese characters (the search box's maxlength) with every filter set still passes."""
    args = {
        "q": "楼" * 200,
        "kind": "case",
        "topic": "louyuan",
        "scope": "local",
        "street": "林山寨街道",
        "tag": "楼院自治议事协商老旧小区改造",
        "year": "2022",
        "page": "2",
    }
    query = urlencode(args)
    assert len(query) > 1900
    response = client.get("/search?" + query)
    assert response.status_code in (200, 503)  # 503: no search index in this fixture; never 414


def test_gunicorn_lets_a_long_request_line_reach_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class Recorder:
        def __init__(self, options: dict[str, Any]) -> None:
            seen.update(options)

        def run(self) -> None:
            pass

    monkeypatch.setattr(server, "_Gunicorn", Recorder)
    server.run({"bind": "127.0.0.1:0"})
    assert seen["limit_request_line"] == 8190  # gunicorn's maximum (its default, 4094, is ~450 Chinese characters)
    assert seen["limit_request_line"] > QUERY_LIMIT + 200
