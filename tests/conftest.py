"""Fixtures mirroring the factory: a content tree in tmp_path, the app, its client and the CLI."""

from __future__ import annotations

import hashlib
import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from casebook import create_app, indexing
from casebook.catalog import sync
from casebook.db import db
from casebook.search import PgSearchIndex, SearchIndex
from casebook.share.counter import ViewCounter

from . import pgkit

TOPICS = """\
- slug: louyuan
  number: 1
  title: 无主管楼院治理
  summary: 老旧楼院没人管怎么办。
- slug: yiqing
  number: 2
  title: 疫情防控
- slug: extra
  number: 3
  title: 志愿服务常态化
  example: true
"""

PLACES = """\
林山寨街道:
  - 农业银行社区
  - 碧沙岗社区
秦岭路街道:
  - 新街坊社区
"""

DEMO = Path(__file__).resolve().parent / "democontent"
"""An invented district's whole library (every kind, places, glossary, projects): the suite's stand-in
for ``content/``, so no test depends on what a checkout ships there."""

KIND_DIRS = {"interview": "interviews", "salon": "salons", "case": "cases"}

WriteEntry = Callable[..., Path]

PROOF_FIGURES = pytest.StashKey[list[str]]()
"""Lines of figures the proofs (``tests/test_proofs.py``) report, printed at the end of the run."""


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(PROOF_FIGURES, [])
    if lines:
        terminalreporter.section("proof figures")
        for line in lines:
            terminalreporter.write_line(line)


class ClosingClient(FlaskClient):
    """A test client that reads every answer whole and closes it, as a browser does: a file sent
    with ``send_file`` is then closed at once instead of by the garbage collector."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> Any:
        response = super().open(*args, buffered=buffered, **kwargs)
        sent = getattr(response, "request", None)
        if sent is not None:  # Werkzeug spools a large test body to a temporary file it never closes
            sent.environ["wsgi.input"].close()
        return response


Flask.test_client_class = ClosingClient


@pytest.fixture(autouse=True)
def _database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """With ``CASEBOOK_TEST_DATABASE=postgres``: each test on its own fresh PostgreSQL database
    (``tests/pgkit.py``); otherwise SQLite in the test's data folder, as before."""
    if not pgkit.wanted():
        yield
        return
    counters: list[ViewCounter] = []
    made = ViewCounter.__init__

    def recorded(self: ViewCounter, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        counters.append(self)

    monkeypatch.setattr(ViewCounter, "__init__", recorded)
    with pgkit.database() as url:
        monkeypatch.setenv("CASEBOOK_DATABASE_URL", url)
        monkeypatch.setenv("CASEBOOK_SECRET_KEY", "test-secret-key-shared-by-every-instance")
        yield
        for counter in counters:  # views counted by the test's apps go in before its database is dropped
            counter.flush()


@pytest.fixture(autouse=True)
def _close_search_views() -> Iterator[None]:
    """Every app a test builds opens search views: close their files when the test ends."""
    yield
    SearchIndex.close_all()


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for folder in ("interviews", "salons", "cases", "media"):
        (root / folder).mkdir(parents=True)
    (root / "topics.yml").write_text(TOPICS, encoding="utf-8")
    (root / "places.yml").write_text(PLACES, encoding="utf-8")
    return root


@pytest.fixture
def demo_content(tmp_path: Path) -> Path:
    """A writable copy of the demo library (tests/democontent) at ``tmp_path/content``."""
    return Path(shutil.copytree(DEMO, tmp_path / "content"))


@pytest.fixture
def write_entry(content_dir: Path) -> WriteEntry:
    """Write ``content/<kind dir>/<slug>.md`` from keyword front matter (or raw text) and a body."""

    def write(kind: str, slug: str, body: str = "正文。", raw: str | None = None, **meta: Any) -> Path:
        path = content_dir / KIND_DIRS[kind] / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            path.write_text(textwrap.dedent(raw).lstrip("\n"), encoding="utf-8")
            return path
        fields = {"title": f"标题 {slug}", "topic": "louyuan", "date": "2022-03-01", **meta}
        lines = ["---"]
        for key, value in fields.items():
            if isinstance(value, list):
                lines.append(f"{key}: [{', '.join(value)}]")
            elif isinstance(value, bool):
                lines.append(f"{key}: {'true' if value else 'false'}")
            else:
                lines.append(f"{key}: {value}")
        lines += ["---", textwrap.dedent(body).strip(), ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    return write


@pytest.fixture
def app(content_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "CONTENT_DIR": content_dir,
            "DATA_DIR": tmp_path / "instance",
            "SITE_URL": "https://cases.example.org",
            "SITE_NAME": "中原区社区治理案例库",
            "ICP": "豫ICP备00000000号",
        }
    )
    yield app
    app.extensions["casebook.search"].close()


@pytest.fixture
def resync(app: Flask, content_dir: Path) -> Callable[[], Any]:
    """Sync the catalog with the content folder and commit, as ``casebook sync`` does."""

    def run() -> Any:
        with app.app_context():
            report = sync(db.session, content_dir)
            db.session.commit()
            indexing.follow(db.session, app.extensions["casebook.search"], content_dir, report.changed | report.gone)
            return report

    return run


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CASEBOOK_CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("CASEBOOK_DATA_DIR", str(tmp_path / "instance"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def new_index() -> Iterator[Callable[..., Any]]:
    """``SearchIndex(root, …)`` whose open views are closed when the test ends. With
    ``CASEBOOK_SEARCH=postgres`` (on the run's PostgreSQL database): a ``PgSearchIndex`` whose
    tables are named after ``root``, so a test's indexes in different folders stay apart."""
    made: list[Any] = []

    def make(root: Path, **options: Any) -> Any:
        if pgkit.search_wanted():
            name = "search_" + hashlib.sha256(str(root).encode()).hexdigest()[:10]
            wait = options.get("write_timeout", 120.0)
            made.append(PgSearchIndex(os.environ["CASEBOOK_DATABASE_URL"], name=name, write_timeout=wait))
        else:
            made.append(SearchIndex(root, **options))
        return made[-1]

    yield make
    for index in made:
        index.close()
