"""Pictures of unpublished entries are for staff only (issue 13, finding 9), through HTTP.

An uploaded picture (``media/uploads/…``), its phone copy and its sidecar are served to anonymous
readers only once a published entry, project or topic uses it; until then only logged-in staff get
it and everyone else gets 404. Pictures placed in ``content/media/`` by hand stay public.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from casebook.catalog import uploads as catalog_uploads

from .conftest import TOPICS, WriteEntry
from .staffkit import entry_form, form_of, publish_form, staff_client
from .test_staff_uploads import encode, upload


@pytest.fixture
def editor(app: Flask, resync: Callable[[], Any]) -> FlaskClient:
    resync()
    return staff_client(app, "editor1", "editor")


@pytest.fixture
def reviewer(app: Flask, editor: FlaskClient) -> FlaskClient:
    return staff_client(app, "reviewer1", "reviewer")


def wide_picture(editor: FlaskClient, colour: str = "orange") -> dict[str, Any]:
    """Upload a 1600 px picture (so it has an 800 px phone copy); its upload JSON plus ``urls``."""
    data: dict[str, Any] = upload(editor, encode(Image.new("RGB", (1600, 1000), colour), "JPEG"), "现场.jpg").get_json()
    phone = data["path"].replace("-1600w.", "-800w.")
    data["urls"] = [f"/media/{data['path']}", f"/media/{phone}"]
    return data


def statuses(client: FlaskClient, urls: list[str]) -> list[int]:
    return [client.get(url).status_code for url in urls]


def save_case(editor: FlaskClient, slug: str, action: str, *, body: str = "正文。", cover: str = "") -> None:
    url = "/staff/new/case" if action != "edit" else f"/staff/edit/case/{slug}"
    fields = entry_form(body=body, cover=cover)
    data = {**form_of(editor, url), **fields, "slug": slug, "action": "save" if action == "edit" else action}
    response = editor.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def publish(reviewer: FlaskClient, slug: str, to: str = "published") -> None:
    """What the review page's buttons send: publish, or (``to``) submit or take back to draft."""
    response = reviewer.post(f"/staff/status/case/{slug}", data={**publish_form(reviewer, "case", slug), "to": to})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_a_picture_is_staff_only_until_its_entry_is_published(
    editor: FlaskClient, reviewer: FlaskClient, app: Flask
) -> None:
    anonymous = app.test_client()
    picture = wide_picture(editor)
    # just uploaded, used by nothing yet
    assert statuses(anonymous, picture["urls"]) == [404, 404]
    assert statuses(editor, picture["urls"]) == [200, 200]
    # in a draft, then in an entry waiting for review
    save_case(editor, "louyuan-tupian", "save", body=f"做法。\n\n{picture['markdown']}\n")
    assert statuses(anonymous, picture["urls"]) == [404, 404]
    save_case(editor, "louyuan-tupian", "edit", body=f"做法。\n\n{picture['markdown']}\n")
    reviewer.post(
        "/staff/status/case/louyuan-tupian",
        data={**publish_form(reviewer, "case", "louyuan-tupian"), "to": "submitted"},
    )
    assert statuses(anonymous, picture["urls"]) == [404, 404]
    staff_copy = editor.get(picture["urls"][0])
    assert staff_copy.status_code == 200 and staff_copy.headers["Content-Type"] == "image/jpeg"
    cache = staff_copy.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache  # no shared cache may keep and hand it out
    # published: public, cacheable, phone copy too
    publish(reviewer, "louyuan-tupian")
    assert statuses(anonymous, picture["urls"]) == [200, 200]
    served = anonymous.get(picture["urls"][1])
    assert served.headers["Content-Type"] == "image/jpeg" and "private" not in served.headers["Cache-Control"]
    # unpublished again: staff only again
    reviewer.post(
        "/staff/status/case/louyuan-tupian", data={**publish_form(reviewer, "case", "louyuan-tupian"), "to": "draft"}
    )
    assert statuses(anonymous, picture["urls"]) == [404, 404]


def test_a_cover_becomes_public_with_its_entry(editor: FlaskClient, reviewer: FlaskClient, app: Flask) -> None:
    anonymous = app.test_client()
    picture = wide_picture(editor, "green")
    save_case(editor, "fengmian", "submit", cover=picture["path"])
    assert statuses(anonymous, picture["urls"]) == [404, 404]
    publish(reviewer, "fengmian")
    assert statuses(anonymous, picture["urls"]) == [200, 200]


def test_a_picture_in_a_published_entry_and_a_draft_is_public(
    editor: FlaskClient, reviewer: FlaskClient, app: Flask
) -> None:
    anonymous = app.test_client()
    picture = wide_picture(editor, "blue")
    save_case(editor, "yifabu", "submit", body=f"已发布。\n\n{picture['markdown']}\n")
    publish(reviewer, "yifabu")
    save_case(editor, "caogao", "save", body=f"草稿也用它。\n\n{picture['markdown']}\n")
    assert statuses(anonymous, picture["urls"]) == [200, 200]


def test_a_picture_added_by_a_pending_edit_waits_for_that_edit(
    editor: FlaskClient, reviewer: FlaskClient, app: Flask
) -> None:
    anonymous = app.test_client()
    first, added = wide_picture(editor, "red"), wide_picture(editor, "purple")
    save_case(editor, "xiugai", "submit", body=f"第一版。\n\n{first['markdown']}\n")
    publish(reviewer, "xiugai")
    # an edit of the published entry is kept as a pending revision: the public still sees the first version
    save_case(editor, "xiugai", "edit", body=f"第二版。\n\n{first['markdown']}\n\n{added['markdown']}\n")
    assert statuses(anonymous, first["urls"]) == [200, 200]
    assert statuses(anonymous, added["urls"]) == [404, 404]
    publish(reviewer, "xiugai")
    assert statuses(anonymous, added["urls"]) == [200, 200]


def test_topic_covers_and_project_pictures_follow_their_own_publication(
    app: Flask, content_dir: Path, resync: Callable[[], Any], write_entry: WriteEntry
) -> None:
    media = content_dir / "media"
    stems = {name: f"2026/{n:016x}" for n, name in enumerate(("topic", "project", "draft_project", "hand"), start=1)}
    for stem in stems.values():
        (media / "uploads" / stem[:4]).mkdir(parents=True, exist_ok=True)
        (media / "uploads" / f"{stem}-640w.jpg").write_bytes(encode(Image.new("RGB", (640, 400)), "JPEG"))
    summary = "  summary: 老旧楼院没人管怎么办。\n"
    topics = TOPICS.replace(summary, f"{summary}  cover: uploads/{stems['topic']}-640w.jpg\n")
    (content_dir / "topics.yml").write_text(topics, encoding="utf-8")
    projects = content_dir / "projects" / "2024"
    projects.mkdir(parents=True)
    for slug, status, stem in (("dianti", "published", stems["project"]), ("caogao", "draft", stems["draft_project"])):
        front = f"title: 加装电梯 {slug}\nyear: 2024\nlead: 区住建局\nstage: 实施\nstatus: {status}"
        (projects / f"{slug}.md").write_text(f"---\n{front}\n---\n![电梯](media/uploads/{stem}-640w.jpg)\n")
    resync()
    anonymous = app.test_client()
    assert anonymous.get(f"/media/uploads/{stems['topic']}-640w.jpg").status_code == 200
    assert anonymous.get(f"/media/uploads/{stems['project']}-640w.jpg").status_code == 200
    assert anonymous.get(f"/media/uploads/{stems['draft_project']}-640w.jpg").status_code == 404
    (media / "by-hand.jpg").write_bytes(encode(Image.new("RGB", (64, 64)), "JPEG"))  # not an upload: public as ever
    assert anonymous.get("/media/by-hand.jpg").status_code == 200


def test_the_public_path_reads_the_published_set_once_per_catalog_change(
    editor: FlaskClient, reviewer: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    pictures = [wide_picture(editor, colour) for colour in ("red", "green", "blue")]
    body = "\n\n".join(p["markdown"] for p in pictures)
    save_case(editor, "sanzhang", "submit", body=body)
    publish(reviewer, "sanzhang")
    reads: list[int] = []
    original = catalog_uploads.published_uploads

    def counted(session: Any) -> frozenset[str]:
        reads.append(1)
        return original(session)

    monkeypatch.setattr(catalog_uploads, "published_uploads", counted)
    anonymous = app.test_client()
    for _ in range(5):
        assert all(status == 200 for p in pictures for status in statuses(anonymous, p["urls"]))
    assert len(reads) <= 1  # 30 pictures served, the published set read at most once (this process may hold it)
    save_case(editor, "another", "save")  # any catalog change: the set is read again, once
    for p in pictures:
        assert statuses(anonymous, p["urls"]) == [200, 200]
    assert len(reads) <= 2


def test_another_spelling_of_a_draft_picture_path_is_not_served(editor: FlaskClient, app: Flask) -> None:
    """The privacy check reads the file's own path, not the URL's: ``//`` or ``%2F`` in it change nothing."""
    anonymous = app.test_client()
    path = wide_picture(editor)["path"]  # uploads/<year>/<name>
    year, name = path.split("/")[1:]
    spellings = [
        f"/media/uploads//{year}/{name}",
        f"/media/uploads/%2F{year}/{name}",
        f"/media/uploads/{year}//{name}",
        f"/media/uploads/./{year}/{name}",
        f"/media/uploads/{year}/../{year}/{name}",
    ]
    assert statuses(anonymous, spellings) == [404] * len(spellings)
    assert statuses(editor, [f"/media/{path}"]) == [200]
