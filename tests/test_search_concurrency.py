"""Several processes writing the index at once, and rebuilds swapped in under readers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casebook import indexing
from casebook.db import db
from casebook.search import SearchIndex

from .conftest import WriteEntry
from .test_search_engine import WHOOSH_ONLY

Resync = Callable[[], Any]

SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from casebook import create_app, content, indexing
    from casebook.catalog import refresh_file
    from casebook.db import db

    root, data, worker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    app = create_app({"CONTENT_DIR": root, "DATA_DIR": data})
    index = app.extensions["casebook.search"]
    with app.app_context():
        for n in range(5):
            path = root / "cases" / f"w{worker}-{n}.md"
            content.write_atomic(path, f"---\\ntitle: 并发{worker}-{n}\\ntopic: louyuan\\ndate: 2022-01-01\\n---\\n"
                                       f"唯一词甲{worker}乙{n}丙。\\n")
            report = refresh_file(db.session, root, path)
            db.session.commit()
            indexing.update(db.session, index, root, report.changed | report.gone)
    print("ok", worker)
    """
)


def test_three_processes_saving_at_once_lose_nothing(
    app: Flask, client: FlaskClient, content_dir: Path, tmp_path: Path, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "seed")
    resync()
    env = {**os.environ}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(content_dir), str(tmp_path / "instance"), str(w)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(3)
    ]
    outputs = [w.communicate(timeout=180) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert "LockError" not in err
    for w in range(3):
        for n in range(5):
            found = client.get("/api/search", query_string={"q": f"甲{w}乙{n}丙"}).json
            assert [r["slug"] for r in found["results"]] == [f"w{w}-{n}"]
    assert client.get("/api/search?q=唯一词&per_page=100").json["total"] == 15


@WHOOSH_ONLY
def test_rebuild_swaps_in_a_fresh_directory_while_readers_keep_working(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Resync
) -> None:
    write_entry("case", "one", body="第一版本的正文。")
    resync()
    index = app.extensions["casebook.search"]
    before = os.readlink(index.root / "current")
    assert client.get("/api/search?q=第一版本").json["total"] == 1  # a searcher is now open
    write_entry("case", "two", body="第二篇。")
    with app.app_context():
        from casebook.catalog import sync

        sync(db.session, content_dir)
        db.session.commit()
        assert indexing.rebuild(db.session, index, content_dir) == 2
    after = os.readlink(index.root / "current")
    assert after != before
    assert (index.root / before).exists()  # kept until the next rebuild, for searches still on it
    assert client.get("/api/search?q=第二篇").json["total"] == 1  # readers move to the new directory
    assert client.get("/api/search?q=第一版本").json["total"] == 1


@WHOOSH_ONLY
def test_glossary_change_rebuilds_the_index(
    content_dir: Path, write_entry: WriteEntry, resync: Resync, client: FlaskClient, app: Flask
) -> None:
    write_entry("case", "x", body="居民议事厅每周开放。")
    resync()
    index = app.extensions["casebook.search"]
    first = os.readlink(index.root / "current")
    (content_dir / "glossary.yml").write_text("- term: 议事厅\n  synonyms: [议事室]\n", "utf-8")
    resync()
    assert os.readlink(index.root / "current") != first
    assert client.get("/api/search?q=议事室").json["total"] == 1


def test_parallel_rebuild_gives_the_same_answers(new_index: Callable[..., SearchIndex], tmp_path: Path) -> None:
    from casebook.search import IndexDoc, search

    docs = [
        IndexDoc(
            key=f"case/d{i}",
            kind="case",
            slug=f"d{i}",
            title=f"标题{i}",
            topic="t",
            date="2022-01-01",
            body=f"第{i}篇正文，楼院{'自管会' if i % 3 == 0 else '物业'}的故事。编号{i:04d}。",
        )
        for i in range(60)
    ]
    serial, parallel = new_index(tmp_path / "a"), new_index(tmp_path / "b", parallel_from=10)
    assert serial.rebuild(docs, total=60) == parallel.rebuild(docs, total=60) == 60
    for query in ("楼院", "自管会", "编号0042", "物业 -自管会", "院"):
        one, two = search(serial, query, per_page=100), search(parallel, query, per_page=100)
        assert one.total == two.total > 0
        assert [h.key for h in one.hits] == [h.key for h in two.hits]


def _garble_toc(live: Path) -> None:
    next(live.glob("_MAIN_*.toc")).write_bytes(b"garbage")  # e.g. written by an incompatible version


def _drop_bodies(live: Path) -> None:
    (live / "bodies").unlink()  # e.g. a half-copied backup


@WHOOSH_ONLY
@pytest.mark.parametrize("damage", [_garble_toc, _drop_bodies], ids=["toc", "bodies"])
def test_a_damaged_index_is_rebuilt(
    app: Flask, client: FlaskClient, write_entry: WriteEntry, resync: Resync, damage: Callable[[Path], None]
) -> None:
    write_entry("case", "x", body="正文里才有的长句子。")
    resync()
    index = app.extensions["casebook.search"]
    damage(index.root / os.readlink(index.root / "current"))
    assert not index.usable()
    resync()
    assert index.usable()
    assert client.get("/api/search?q=才有的长句").json["total"] == 1
