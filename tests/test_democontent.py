"""The demo library (tests/democontent) is a valid, complete library: the stand-in the suite uses
for ``content/``. Here the app runs on a writable copy of it (the ``demo_content`` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from casebook.cli import main

from .conftest import DEMO


@pytest.fixture
def content_dir(demo_content: Path) -> Path:
    """The app, client and resync fixtures of conftest, on a copy of the demo library."""
    return demo_content


def test_demo_library_is_clean_even_in_strict_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--strict", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "8 篇条目，3 个民生实事项目，3 条借鉴记录，0 个问题，0 条提示" in result.output


def test_topic_one_is_a_complete_loop_and_the_example_topic_is_empty(
    client: FlaskClient, resync: Callable[[], Any]
) -> None:
    resync()
    loop = client.get("/topics/dianti-jiazhuang").get_data(as_text=True)
    for href in (
        "/interviews/dianti-liuan",
        "/salons/dianti-yishi",
        "/cases/dianti-liuan-qihao",
        "/cases/haizhou-dianti",
        "/cases/yuntai-dianti",
    ):
        assert f'href="{href}"' in loop, href
    assert "待补充" not in loop
    assert "待补充" in client.get("/topics/laji-fenlei").get_data(as_text=True)  # only a draft there
    assert client.get("/cases/fenlei-caogao").status_code == 404


def test_glossary_synonym_finds_the_demo_entries(client: FlaskClient, resync: Callable[[], Any]) -> None:
    resync()
    found = client.get("/api/search?q=增设电梯").json  # the glossary's synonym of 加装电梯
    assert found is not None
    assert {"interview/dianti-liuan", "case/dianti-liuan-qihao"} <= {
        f"{r['kind']}/{r['slug']}" for r in found["results"]
    }


def test_a_district_marks_an_entry_as_its_own(
    demo_content: Path, client: FlaskClient, resync: Callable[[], Any]
) -> None:
    resync()
    assert "notice-sample" in client.get("/cases/dianti-liuan-qihao").get_data(as_text=True)
    path = demo_content / "cases" / "dianti-liuan-qihao.md"
    path.write_text(path.read_text("utf-8").replace("sample: true\n", "sample: false\n"), "utf-8")
    assert resync().updated == 1
    page = client.get("/cases/dianti-liuan-qihao").get_data(as_text=True)
    assert "notice-sample" not in page and "柳岸社区七号楼" in page
    assert "sample: true" in (DEMO / "cases" / "dianti-liuan-qihao.md").read_text("utf-8")  # the tree is untouched
