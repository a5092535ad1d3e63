"""One writer and readers on one PostgreSQL database (issue 16): ``CASEBOOK_INSTANCE=reader``.

A reader has no content folder and an empty (here: missing) data folder. Its pages, search,
share views, QR codes, PDF cards, exports, pictures and attachments come from the database that
the writer's sync and saves fill (``stored_file`` for the files). It refuses staff pages and writes
with a link to the writer, and accepts login, logout and the public forms. Settings and command
refusals need no database and run on every pass; the rest needs PostgreSQL with its search index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from casebook import config, create_app
from casebook.catalog.publish import publish
from casebook.cli import main
from casebook.db import db
from casebook.migrate import DatabaseNotReady
from casebook.models import StoredFile

from . import pgkit
from .pagelist import ADMIN, NOT_HTML, PASSWORD, build_library
from .staffkit import entry_form, form_of, login, token
from .test_staff_uploads import encode, upload

WRITER = "https://edit.example.org"
PG = "postgresql+psycopg://user:password@127.0.0.1/casebook"
needs_pg_search = pytest.mark.skipif(
    not pgkit.search_wanted(), reason="needs CASEBOOK_TEST_DATABASE=postgres and CASEBOOK_SEARCH=postgres"
)


# --- settings and commands (any database) --------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"CASEBOOK_INSTANCE": "reader"}, "CASEBOOK_DATABASE_URL 设为编辑服务器用的 PostgreSQL 数据库"),
        ({"CASEBOOK_INSTANCE": "reader", "CASEBOOK_DATABASE_URL": "sqlite:///x.db"}, "设置 CASEBOOK_SEARCH=postgres"),
        (
            {"CASEBOOK_INSTANCE": "reader", "CASEBOOK_DATABASE_URL": PG, "CASEBOOK_SECRET_KEY": "k" * 64},
            "CASEBOOK_INSTANCE=reader（只读服务器）只从编辑服务器的数据库读取内容",
        ),
        ({"CASEBOOK_INSTANCE": "leser"}, "CASEBOOK_INSTANCE='leser' 应为 writer（编辑服务器"),
        ({"CASEBOOK_WRITER_URL": "edit.example.org"}, "'edit.example.org' 应为编辑服务器的网址"),
        ({"CASEBOOK_WRITER_URL": "edit.example.org"}, "例如 https://edit.example.org"),
    ],
    ids=[
        "reader-no-database",
        "reader-on-sqlite",
        "reader-without-postgres-search",
        "unknown-instance",
        "writer-url-not-an-address",
        "writer-url-example",
    ],
)
def test_reader_settings_that_cannot_work_are_named(tmp_path: Path, environ: dict[str, str], says: str) -> None:
    with pytest.raises(config.SettingError, match=re.escape(says)):
        config.build({"DATA_DIR": tmp_path / "data"}, environ=environ)
    assert not (tmp_path / "data").exists()  # no secret key written for a setting that fails


def test_a_reader_setting_on_postgres_with_its_search_is_accepted(tmp_path: Path) -> None:
    environ = {
        **{"CASEBOOK_INSTANCE": " Reader ", "CASEBOOK_DATABASE_URL": PG, "CASEBOOK_SEARCH": "postgres"},
        **{"CASEBOOK_SECRET_KEY": "k" * 64, "CASEBOOK_WRITER_URL": "https://edit.example.org/"},
    }
    settings = config.build({"DATA_DIR": tmp_path / "data"}, environ=environ)
    assert (settings["INSTANCE"], settings["WRITER_URL"]) == ("reader", WRITER)
    assert config.build({"DATA_DIR": tmp_path / "w"}, environ={})["INSTANCE"] == "writer"


@pytest.mark.parametrize(
    "args", [["sync"], ["reindex"], ["unused-uploads"], ["db", "upgrade"], ["jobs", "work", "--once"], ["backup", "x"]]
)
def test_writer_commands_refuse_on_a_reader(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content_dir: Path
) -> None:
    monkeypatch.setenv("CASEBOOK_INSTANCE", "reader")
    monkeypatch.setenv("CASEBOOK_CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("CASEBOOK_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "这是只读服务器" in result.output and "编辑服务器（writer）" in result.output
    assert not (tmp_path / "data").exists()


def test_a_reader_worker_runs_no_job_runner() -> None:
    from types import SimpleNamespace

    from casebook import server

    worker = SimpleNamespace(wsgi=SimpleNamespace(config={"CASEBOOK_INSTANCE": "reader"}))
    server._start_jobs(worker)
    assert worker.casebook_jobs is None
    server._stop_jobs(None, worker)  # nothing to stop


# --- a writer and a reader on one PostgreSQL database ---------------------------------------------


def reader_app(tmp_path: Path, **extra: Any) -> Flask:
    """A reader: no content folder, a data folder that does not exist, the writer's address."""
    settings = {"INSTANCE": "reader", "WRITER_URL": WRITER, "SITE_URL": "https://cases.example.org"}
    return create_app(
        {**settings, "DATA_DIR": tmp_path / "reader-data", "CONTENT_DIR": tmp_path / "no-content", **extra}
    )


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    """The page-list library on a writer, and a reader beside it."""
    writer, _ = build_library(tmp_path / "w")
    writer.config["CASEBOOK_SITE_URL"] = "https://cases.example.org"
    reader = reader_app(tmp_path)
    yield writer, reader
    for app in (writer, reader):
        app.extensions["casebook.search"].close()
    assert not (tmp_path / "reader-data").exists() and not (tmp_path / "no-content").exists()


_VARYING = [
    re.compile(r'(name="csrf_token" value=")[^"]*'),  # each visitor's session token
    re.compile(r'(nonce=")[^"]*'),  # each response's script nonce
    re.compile(r'(data-csrf=")[^"]*'),
]


def same_text(text: str) -> str:
    for pattern in _VARYING:
        text = pattern.sub(r"\1…", text)
    return text


def public_urls(writer: Flask, pages: list[str]) -> list[str]:
    """The public HTML pages of the page list and, linked from them, every non-HTML public address."""
    client = writer.test_client()
    found = list(pages)
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        found += re.findall(r'href="(/(?:downloads|media)/[^"]+)"', html)
        found += re.findall(r'src="(/(?:media|topics|cases|projects)/[^"]+)"', html)
    found += ["/topics/dianti-jiazhuang/qr.svg", "/topics/dianti-jiazhuang/qr.png", "/api/search?q=老楼电梯"]
    found += ["/api/entries", "/feed.xml", "/sitemap.xml", "/projects/2023.csv", "/projects/2023/proposals.csv"]
    found += ["/projects/2023/feed.xml", "/projects/2023/ratings.csv", "/cases/dianti-liuan-qihao/qr.png"]
    return sorted(set(found))


@needs_pg_search
def test_a_reader_serves_every_public_page_and_file_as_the_writer_does(
    pair: tuple[Flask, Flask], tmp_path: Path
) -> None:
    writer, reader = pair
    from .pagelist import PAGES

    pages = [p.url for p in PAGES if not p.staff and p.endpoint not in ("proposals.done",)]
    urls = public_urls(writer, pages)
    assert any(u.startswith("/downloads/") for u in urls), "the library lists an attachment"
    w, r = writer.test_client(), reader.test_client()
    for url in urls:
        mine, theirs = w.get(url), r.get(url)
        assert (theirs.status_code, theirs.mimetype) == (mine.status_code, mine.mimetype), url
        if mine.mimetype.startswith(("text/", "application/json", "application/atom", "application/xml")):
            assert same_text(theirs.get_data(as_text=True)) == same_text(mine.get_data(as_text=True)), url
        else:
            assert theirs.get_data() == mine.get_data(), url
    # the glossary came from the database: a synonym finds the term's entries on the reader
    assert "/cases/" in r.get("/search?q=老楼电梯").get_data(as_text=True)
    card = r.get("/topics/dianti-jiazhuang/card.pdf")
    assert card.status_code == 200 and card.get_data().startswith(b"%PDF")
    assert set(NOT_HTML) >= {"public.media", "downloads.attachment"}


@needs_pg_search
def test_a_reader_refuses_staff_pages_and_writes_with_a_link_to_the_writer(pair: tuple[Flask, Flask]) -> None:
    _, reader = pair
    client = reader.test_client()
    login(client, ADMIN, PASSWORD)  # login is a database write a reader accepts
    from .pagelist import IMPORT_EVENT, PAGES

    for staff_page in (p for p in PAGES if p.staff):  # every staff page the page list knows
        url = staff_page.url.replace(IMPORT_EVENT, "1")
        assert client.get(url).status_code == 503, url
    for method, url in (
        ("GET", "/staff/edit/case/dianti-liuan-qihao?x=1"),
        ("GET", "/staff/settings/places"),
        ("POST", "/staff/settings/places"),
        ("POST", "/staff/upload"),
        ("GET", "/cases/dianti-liuan-qihao.docx"),
    ):
        answer = client.open(url, method=method)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 503, (method, url)
        assert "这是只读服务器" in page and 'lang="zh' in page
        target = url if method == "GET" else url.split("?")[0]
        assert f'href="{WRITER}{target.replace("&", "&amp;")}"' in page, page
    for url in ("/logout", "/login"):  # answered by the app itself (here: a missing form token), not refused
        answer = client.post(url)
        assert answer.status_code != 503 and "这是只读服务器" not in answer.get_data(as_text=True), url


@needs_pg_search
def test_a_reader_takes_proposals_and_ratings_into_the_shared_database(pair: tuple[Flask, Flask]) -> None:
    writer, reader = pair
    resident = reader.test_client()
    from .pagelist import COLLECTING

    form = {
        "csrf_token": token(resident, f"/projects/{COLLECTING}/propose"),
        **{"title": "松涛街道路灯", "problem": "柳岸社区北门路灯不亮，晚上回家看不清路。"},
        **{"street": "松涛街道", "community": "柳岸社区", "theme": "便民服务", "suggestion": "修好路灯。"},
        **{"name": "", "phone": "", "consent": "1"},
    }
    sent = resident.post(f"/projects/{COLLECTING}/propose", data=form)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:800]
    staff = writer.test_client()
    login(staff, ADMIN, PASSWORD)
    assert "松涛街道路灯" in staff.get("/staff/proposals").get_data(as_text=True)


@needs_pg_search
def test_a_save_on_the_writer_reaches_the_reader_with_its_picture(pair: tuple[Flask, Flask], tmp_path: Path) -> None:
    writer, reader = pair
    editor = writer.test_client()
    login(editor, ADMIN, PASSWORD)
    picture = encode(Image.new("RGB", (900, 600), "teal"), "JPEG")
    sent = upload(editor, picture, "楼道.jpg").get_json()
    url = f"/media/{sent['path']}"
    visitor = reader.test_client()
    assert visitor.get(url).status_code == 404  # not used by a published text yet
    slug = "dianti-liuan-qihao"
    fields = entry_form(
        title="柳岸社区七号楼：三轮议事",
        body=f"## 做法\n\n![新装的楼道灯]({url.removeprefix('/')})\n\n居民把 yzqloudao 方案写进了公约。",
        topic="dianti-jiazhuang",
        date="2023-04-07",
        street="松涛街道",
        community="柳岸社区",
    )
    edit = f"/staff/edit/case/{slug}"
    saved = editor.post(edit, data={**form_of(editor, edit), **fields, "action": "publish"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    page = visitor.get(f"/cases/{slug}").get_data(as_text=True)
    assert "yzqloudao 方案" in page and sent["path"] in page
    served = visitor.get(url)
    assert served.status_code == 200 and served.get_data() == (tmp_path / "w/content/media" / sent["path"]).read_bytes()
    assert served.headers["X-Content-Type-Options"] == "nosniff" and served.headers["ETag"]
    again = visitor.get(url, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert f"/cases/{slug}" in visitor.get("/search?q=yzqloudao").get_data(as_text=True)


@needs_pg_search
def test_places_glossary_and_removed_files_follow_the_writers_sync(pair: tuple[Flask, Flask], tmp_path: Path) -> None:
    writer, reader = pair
    content = tmp_path / "w/content"
    visitor = reader.test_client()
    assert visitor.get("/communities/新桥社区").status_code == 404
    places = (content / "places.yml").read_text("utf-8")
    (content / "places.yml").write_text(places.rstrip("\n") + "\n新桥街道:\n  - 新桥社区\n", "utf-8")
    glossary = (content / "glossary.yml").read_text("utf-8")
    (content / "glossary.yml").write_text(glossary + "- term: 加装电梯\n  synonyms: [yzqtiji]\n", "utf-8")
    attachment = next((content / "media/attachments").iterdir())
    download = f"/downloads/attachments/{attachment.name}"
    assert visitor.get(download).status_code == 200
    attachment.unlink()
    with writer.app_context():
        generation = _generation()
        publish(db.session, content, writer.extensions["casebook.search"])
        assert _generation() > generation
        assert (
            db.session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.path.like("%.docx"))) == 0
        )
    assert visitor.get("/communities/新桥社区").status_code == 200
    assert "/cases/" in visitor.get("/search?q=yzqtiji").get_data(as_text=True)
    assert visitor.get(download).status_code == 404
    assert attachment.name not in visitor.get("/cases/dianti-liuan-qihao").get_data(as_text=True)
    with writer.app_context():  # nothing changed: no new generation (every reader keeps its cached pages)
        generation = _generation()
        (content / "places.yml").touch()
        publish(db.session, content, writer.extensions["casebook.search"])
        assert _generation() == generation


def _generation() -> int:
    from casebook.catalog.state import generation

    return generation(db.session)


@pytest.mark.skipif(not pgkit.wanted(), reason="needs CASEBOOK_TEST_DATABASE=postgres")
def test_a_reader_will_not_start_on_a_database_its_writer_has_not_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBOOK_SEARCH", "postgres")
    with pytest.raises(DatabaseNotReady, match="请先用同一版本启动编辑服务器"):
        reader_app(tmp_path)
    monkeypatch.setenv("CASEBOOK_INSTANCE", "reader")
    monkeypatch.setenv("CASEBOOK_DATA_DIR", str(tmp_path / "reader-data"))
    result = CliRunner().invoke(main, ["user", "list"])
    assert result.exit_code == 1 and "请先用同一版本启动编辑服务器" in result.output
    assert not (tmp_path / "reader-data").exists()


@pytest.mark.skipif(not pgkit.wanted(), reason="needs CASEBOOK_TEST_DATABASE=postgres")
def test_only_pictures_attachments_places_and_glossary_are_copied_into_the_database(
    app: Flask, content_dir: Path, tmp_path: Path
) -> None:
    media = content_dir / "media"
    (media / "photos").mkdir()
    (media / ".hidden").mkdir()
    for rel in ("photos/a.jpg", "photos/B.PNG", "doc.pdf", "photos/notes.txt", ".secret.jpg", ".hidden/c.jpg"):
        (media / rel).write_bytes(b"x" * 10)
    (media / "photos/a.json").write_text("{}", "utf-8")  # an editor sidecar
    (media / "photos/link.jpg").symlink_to(tmp_path / "outside.jpg")
    (tmp_path / "outside.jpg").write_bytes(b"outside")
    with app.app_context():
        publish(db.session, content_dir, app.extensions["casebook.search"])
        stored = set(db.session.scalars(select(StoredFile.path)))
    assert stored == {"places.yml", "media/photos/a.jpg", "media/photos/B.PNG", "media/doc.pdf"}
