"""Guards whatever library sits in ``content/`` by its validity, never by its facts.

A district replaces the shipped sample with its own entries, so nothing here names a title, a
place or a count: every file loads, round-trips and is served under its own title, the sample
notice shows exactly on entries marked ``sample: true``, and every public entry can be found.
The sample's own prose is checked by ``casebook check --strict content/`` in ``.ci/run``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from casebook import content
from casebook.cli import main

from .browserkit import prepare_app

ROOT = Path(__file__).resolve().parent.parent / "content"  # the content this checkout ships
LIBRARY = content.load(ROOT)
FILES = sorted(p for _, p in content.iter_entry_files(ROOT))
PUBLIC = sorted((e for e in LIBRARY.entries.values() if e.is_public), key=lambda e: e.key)
HIDDEN = sorted((e for e in LIBRARY.entries.values() if not e.is_public), key=lambda e: e.key)
NOTICE = 'class="notice notice-sample"'


def _url(entry: content.Entry) -> str:
    return f"/{content.KIND_DIRS[entry.kind]}/{entry.slug}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    base = tmp_path_factory.mktemp("shipped")
    shutil.copytree(ROOT, base / "content")  # the app never writes into the checkout
    return prepare_app(
        base / "content", base / "data", rebuild_index=True, site_url="https://x.example", config={"TESTING": True}
    )


@pytest.fixture(scope="module")
def client(app: Flask) -> Iterator[FlaskClient]:
    yield app.test_client()


def test_content_loads_without_errors() -> None:
    assert [p.display(ROOT) for p in LIBRARY.problems if not p.is_warning] == []
    assert LIBRARY.rules.topics, "topics.yml names at least one topic"


def test_casebook_check_accepts_the_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", str(ROOT)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_file_loads_and_round_trips(path: Path) -> None:
    kind = next(k for k, d in content.KIND_DIRS.items() if path.relative_to(ROOT).parts[0] == d)
    entry, problems = content.parse_file(path, kind, LIBRARY.rules)
    assert [p for p in problems if not p.is_warning] == [] and entry is not None
    assert entry.topic in LIBRARY.rules.topics
    again, found = content.parse_text(content.serialize(entry), kind, entry.slug, rules=LIBRARY.rules, path=path)
    assert [p for p in found if not p.is_warning] == [] and again == entry


def test_every_entry_place_is_listed_in_places() -> None:
    places = LIBRARY.rules.places
    for entry in LIBRARY.entries.values():
        if entry.street:
            assert entry.street in places, entry.key
            if entry.community:
                assert entry.community in places[entry.street], entry.key


@pytest.mark.parametrize("entry", PUBLIC, ids=lambda e: e.key)
def test_every_public_entry_is_served_under_its_own_title(client: FlaskClient, entry: content.Entry) -> None:
    response = client.get(_url(entry))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert str(escape(entry.title)) in page
    # the notice marks invented content, and only that: a district's own entries carry none
    assert (NOTICE in page) == entry.sample


def test_unpublished_entries_are_not_public(client: FlaskClient) -> None:
    for entry in HIDDEN:
        assert client.get(_url(entry)).status_code == 404, entry.key


def test_every_topic_lists_its_public_entries(client: FlaskClient) -> None:
    for slug in LIBRARY.rules.topics:
        page = client.get(f"/topics/{slug}").get_data(as_text=True)
        for entry in PUBLIC:
            if entry.topic == slug:
                assert f'href="{_url(entry)}"' in page, (slug, entry.key)
        assert client.get(f"/topics/{slug}/share").status_code == 200


def test_home_feed_and_sitemap_answer(client: FlaskClient) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/feed.xml").status_code == 200
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    for entry in PUBLIC:
        assert f"https://x.example{_url(entry)}<" in sitemap, entry.key


def test_healthz_counts_every_public_entry(client: FlaskClient) -> None:
    health = client.get("/healthz").json
    assert health is not None and health["status"] == "ok"
    assert health["entries"] == {kind: sum(e.kind == kind for e in PUBLIC) for kind in content.KINDS}


@pytest.mark.parametrize("entry", PUBLIC, ids=lambda e: e.key)
def test_every_public_entry_is_found_by_its_title(client: FlaskClient, entry: content.Entry) -> None:
    found = client.get("/api/search", query_string={"q": entry.title, "per_page": 100}).json
    assert found is not None
    assert entry.key in {f"{r['kind']}/{r['slug']}" for r in found["results"]}
