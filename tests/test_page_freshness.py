"""Cached and precomputed page parts follow the catalog: the share page cache and the entry map.

The share page (the page a 公众号 post links to) is served from the page cache like the topic page,
and rendered afresh after a sync or a staff save. An entry page's neighbours and related entries
come from a per-process map of the published entries, which is re-read when the catalog changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from .conftest import WriteEntry
from .staffkit import entry_form, form_of, staff_client

Resync = Callable[[], Any]


@contextmanager
def rendered_templates(app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered while the block runs (a cached page renders none)."""
    names: list[str] = []

    def record(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        yield names


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def topic(write_entry: WriteEntry, resync: Resync) -> None:
    write_entry("interview", "tan", title="书记谈楼院", date="2022-03-01", tags=["楼院"], community="农业银行社区")
    write_entry(
        "case",
        "anli",
        title="楼院议事会的做法",
        date="2022-03-20",
        scope="local",
        tags=["楼院"],
        summary="议事会摘要。",
    )
    resync()


@pytest.mark.parametrize("url", ["/topics/louyuan/share", "/topics/louyuan/card", "/topics/louyuan/share?from=gzh"])
def test_share_pages_are_served_from_the_page_cache(app: Flask, client: FlaskClient, topic: None, url: str) -> None:
    with rendered_templates(app) as names:
        pages = [page(client, url) for _ in range(3)]
    assert len(names) == 1  # rendered once, then served from the cache
    assert pages[0] == pages[1] == pages[2] and "书记谈楼院" in pages[0]
    if "/card" in url:
        assert "议事会摘要。" in pages[0]  # the card shows an entry's summary


def test_share_page_is_rendered_again_after_a_sync(
    app: Flask, client: FlaskClient, topic: None, write_entry: WriteEntry, resync: Resync
) -> None:
    assert "新沙龙" not in page(client, "/topics/louyuan/share")
    write_entry("salon", "xin", title="新沙龙", date="2022-03-10")
    resync()
    with rendered_templates(app) as names:
        assert "新沙龙" in page(client, "/topics/louyuan/share")
        assert "新沙龙" in page(client, "/topics/louyuan/share")
    assert names == ["share/topic_share.html"]  # once for the new generation, then cached again


def test_share_page_is_rendered_again_after_a_staff_save(
    app: Flask, client: FlaskClient, topic: None, resync: Resync
) -> None:
    assert "楼院沙龙三步走" not in page(client, "/topics/louyuan/share")
    reviewer = staff_client(app, "reviewer1", "reviewer")
    form = {**form_of(reviewer, "/staff/new/salon"), **entry_form(title="楼院沙龙三步走"), "slug": "sanbu"}
    assert reviewer.post("/staff/new/salon", data={**form, "action": "publish"}).status_code == 302
    assert "楼院沙龙三步走" in page(client, "/topics/louyuan/share")


def test_entry_neighbours_and_related_follow_a_sync(
    app: Flask, client: FlaskClient, topic: None, write_entry: WriteEntry, resync: Resync
) -> None:
    app.config["CASEBOOK_PAGE_CACHE"] = False  # every request renders: only the entry map could be stale
    interview = page(client, "/interviews/tan")
    assert 'class="next" href="/cases/anli"' in interview
    write_entry("salon", "xin", title="楼院新沙龙", date="2022-03-10", tags=["楼院"], community="农业银行社区")
    write_entry("salon", "cao", title="草稿沙龙", date="2022-03-05", tags=["楼院"], status="draft")
    resync()
    interview = page(client, "/interviews/tan")
    assert 'class="next" href="/salons/xin"' in interview  # the loop: 一谈 → 微沙龙 → 微案例
    related = interview[interview.index("相关内容") :]
    assert related.index("楼院新沙龙") < related.index("楼院议事会的做法")  # shares the community too
    assert "草稿沙龙" not in interview
    case = page(client, "/cases/anli")
    assert 'class="prev" href="/salons/xin"' in case and 'class="next"' not in case
    (app.config["CASEBOOK_CONTENT_DIR"] / "salons" / "xin.md").unlink()
    resync()
    assert 'class="next" href="/cases/anli"' in page(client, "/interviews/tan")
    assert "/salons/xin" not in page(client, "/cases/anli")


def test_remembered_links_follow_the_script_root(app: Flask, client: FlaskClient, topic: None) -> None:
    app.config["CASEBOOK_PAGE_CACHE"] = False
    assert 'class="next" href="/cases/anli"' in page(client, "/interviews/tan")
    mounted = client.get("/interviews/tan", base_url="http://localhost/lib/").get_data(as_text=True)
    assert 'class="next" href="/lib/cases/anli"' in mounted and 'href="/lib/static/casebook.css"' in mounted
    assert 'class="next" href="/cases/anli"' in page(client, "/interviews/tan")
