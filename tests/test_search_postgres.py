"""The PostgreSQL search backend's own behaviour (``CASEBOOK_SEARCH=postgres``).

The search suite (test_search*.py) runs unchanged against both backends; these tests cover what
only the PostgreSQL one has: several processes sharing one index with no files, its swap, its
writers' turns, the glossary stamp in the database, and the settings that choose it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from casebook import create_app, indexing
from casebook.catalog import sync
from casebook.cli import main
from casebook.db import db
from casebook.search import IndexBusy, IndexDoc, PgSearchIndex, search
from casebook.search.pg import cache_advice

from . import pgkit
from .conftest import WriteEntry

needs_postgres = pgkit.needs_postgres


def _doc(n: int, body: str = "居民议事会每月开一次。") -> IndexDoc:
    return IndexDoc(key=f"case/c{n}", kind="case", slug=f"c{n}", title=f"案例{n}", topic="louyuan", date="2022-03-01",
                    body=body)  # fmt: skip


@pytest.fixture
def two_servers() -> Iterator[tuple[PgSearchIndex, PgSearchIndex]]:
    """Two handles on one index, as two servers have: each its own connections and snapshot."""
    url = os.environ["CASEBOOK_DATABASE_URL"]
    first, second = PgSearchIndex(url, name="shared"), PgSearchIndex(url, name="shared")
    yield first, second
    first.close()
    second.close()


def test_postgres_search_on_sqlite_is_refused_in_one_line(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOOK_DATABASE_URL", "sqlite:///" + str(Path.cwd() / "x.sqlite3"))
    monkeypatch.setenv("CASEBOOK_SEARCH", "postgres")
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 1
    assert "设置有误：CASEBOOK_SEARCH=postgres 把搜索索引存在数据库里" in result.output
    assert "CASEBOOK_DATABASE_URL 必须是 PostgreSQL 数据库" in result.output
    monkeypatch.setenv("CASEBOOK_SEARCH", "elastic")
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 1 and "设置有误：CASEBOOK_SEARCH='elastic' 应为 whoosh" in result.output


@needs_postgres
def test_another_server_finds_a_change_at_its_next_search(two_servers: tuple[PgSearchIndex, PgSearchIndex]) -> None:
    writer, reader = two_servers
    writer.rebuild([_doc(n) for n in range(5)])
    assert search(reader, "议事会").total == 5  # the reader's snapshot of this generation
    writer.update([_doc(9, "楼院加装电梯的经验。")], remove=["case/c0"])
    assert search(reader, "议事会").total == 4
    found = search(reader, "加装电梯")
    assert [hit.key for hit in found.hits] == ["case/c9"] and "<mark>" in found.hits[0].snippet


@needs_postgres
def test_searches_during_rebuilds_see_the_old_index_or_the_new(
    two_servers: tuple[PgSearchIndex, PgSearchIndex],
) -> None:
    writer, reader = two_servers
    writer.rebuild([_doc(n) for n in range(30)])
    totals: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                totals.append(search(reader, "议事会").total)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=keep_searching)
    thread.start()
    try:
        for size in (10, 30, 10, 30, 10):
            writer.rebuild([_doc(n) for n in range(size)])
    finally:
        stop.set()
        thread.join(30)
    assert errors == []
    assert totals and set(totals) <= {10, 30}


@needs_postgres
def test_a_writer_waits_its_turn_then_says_the_index_is_busy(
    two_servers: tuple[PgSearchIndex, PgSearchIndex],
) -> None:
    first, second = two_servers
    first.rebuild([_doc(1)])
    engine = create_engine(os.environ["CASEBOOK_DATABASE_URL"])
    try:
        with engine.begin() as holder:  # another writer, in the middle of its transaction
            holder.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": first._lock_number})
            with pytest.raises(IndexBusy, match="搜索索引正忙"):
                second.update([_doc(2)], wait=0.3)
        second.update([_doc(2)], wait=0.3)  # the lock is free again
    finally:
        engine.dispose()
    assert search(first, "案例2").total == 1


@needs_postgres
def test_the_app_keeps_its_index_in_the_database_and_the_glossary_stamp_there_too(
    content_dir: Path, tmp_path: Path, write_entry: WriteEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBOOK_SEARCH", "postgres")
    write_entry("case", "dianti", title="加装电梯", body="楼院加装电梯，居民议事。")
    data = tmp_path / "instance"
    app = create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": data})
    index = app.extensions["casebook.search"]
    assert isinstance(index, PgSearchIndex)
    try:
        with app.app_context():
            report = sync(db.session, content_dir)
            db.session.commit()
            assert indexing.follow(db.session, index, content_dir, report.changed | report.gone) == 1  # built
            assert not indexing.needs_rebuild(index, content_dir)
            (content_dir / "glossary.yml").write_text("- term: 加装电梯\n  synonyms: [电梯加装]\n", encoding="utf-8")
            assert indexing.needs_rebuild(index, content_dir)  # the stamp in the database differs
        page = app.test_client().get("/search?q=电梯加装").get_data(as_text=True)  # the new synonym
        assert "加装电梯" in page
        assert not (data / "search").exists()  # no index files in the data folder
    finally:
        index.close()


def _varied(n: int, round_: int = 0) -> IndexDoc:
    """A document whose facets, date and text depend on ``n`` and ``round_`` (facets to compare)."""
    return IndexDoc(
        key=f"case/v{n}",
        kind=("case", "interview", "salon")[n % 3],
        slug=f"v{n}",
        title=f"议事{n}号" if n % 2 else f"楼院{n}号",
        topic=("louyuan", "wuye", "dianti")[(n + round_) % 3],
        date=f"20{20 + (n + round_) % 5}-0{1 + n % 9}-1{n % 10}",
        body=f"第{round_}轮。" + ("居民议事会每月开一次。" if (n + round_) % 2 else "加装电梯要议事。") * (1 + n % 3),
        tags=tuple(t for t, on in (("电梯", n % 2 == 0), ("议事", n % 3 == 0), (f"轮{round_}", True)) if on),
        street=("东街", "西街", "")[n % 3],
        scope=("楼院", "社区")[n % 2],
        year=str(2020 + n % 4) if n % 5 == 0 else "",
    )


def _answers(index: PgSearchIndex) -> list[tuple[Any, ...]]:
    """What a set of searches shows: totals, every hit in order with its snippet, and every facet."""
    out: list[tuple[Any, ...]] = []
    for query, filters in (
        ("议事", {}),
        ("电梯", {"topic": "wuye"}),
        ("居民议事会", {}),
        ("楼院 -电梯", {}),
        ("", {"kind": "case"}),
        ("号", {"tag": "电梯", "scope": "楼院"}),
    ):
        found = search(index, query, filters, per_page=100)
        hits = [(h.key, h.score, h.snippet, h.title, h.date, h.year) for h in found.hits]
        out.append((query, found.total, hits, found.facets))
    return out


@needs_postgres
def test_another_server_brings_its_snapshot_forward_by_the_rows_changed(
    two_servers: tuple[PgSearchIndex, PgSearchIndex],
) -> None:
    writer, reader = two_servers
    writer.rebuild([_doc(n) for n in range(5)])
    assert search(reader, "议事会").total == 5
    assert reader.snapshot_reads == {"whole": 1, "forward": 0, "compacted": 0}
    writer.update([_doc(9, "楼院加装电梯的经验。")], remove=["case/c0"])
    writer.update([_doc(1, "楼院的议事规则。")])  # a replaced document: its old row is gone too
    assert search(reader, "议事会").total == 3
    assert [hit.key for hit in search(reader, "加装电梯").hits] == ["case/c9"]
    assert [hit.key for hit in search(reader, "议事规则").hits] == ["case/c1"]
    assert search(reader, "案例0").total == 0
    assert reader.snapshot_reads["whole"] == 1 and reader.snapshot_reads["forward"] == 1  # not read whole again
    writer.rebuild([_doc(n) for n in range(2)])  # after a rebuild the snapshot is read whole
    assert search(reader, "议事会").total == 2
    assert reader.snapshot_reads["whole"] == 2


@needs_postgres
def test_a_snapshot_brought_forward_answers_as_one_read_whole(
    two_servers: tuple[PgSearchIndex, PgSearchIndex],
) -> None:
    writer, reader = two_servers
    url = os.environ["CASEBOOK_DATABASE_URL"]
    writer.rebuild([_varied(n) for n in range(24)])
    _answers(reader)  # every facet computed on the reader's first snapshot: carried forward after
    rounds: list[tuple[list[IndexDoc], list[str]]] = [
        ([_varied(n, 1) for n in (0, 5, 30)], []),
        ([], ["case/v3", "case/v4", "case/v30"]),
        ([_varied(n, 2) for n in range(6, 12)], ["case/v1"]),
        ([_varied(40, 3)], [f"case/v{n}" for n in range(12, 20)]),  # dead positions past COMPACT
        ([_varied(n, 4) for n in range(2)], ["case/v40"]),
        ([], [f"case/v{n}" for n in range(24)]),  # none left
        ([_varied(n, 5) for n in range(3)], []),
    ]
    for docs, remove in rounds:
        writer.update(docs, remove=remove)
        fresh = PgSearchIndex(url, name="shared")  # a new process: reads the snapshot whole
        try:
            assert _answers(reader) == _answers(fresh)
        finally:
            fresh.close()
    assert reader.snapshot_reads["whole"] == 1
    assert reader.snapshot_reads["forward"] == len(rounds) and reader.snapshot_reads["compacted"] >= 1


@needs_postgres
def test_searches_during_updates_never_see_half_a_write(
    two_servers: tuple[PgSearchIndex, PgSearchIndex],
) -> None:
    writer, reader = two_servers
    writer.rebuild([_varied(n) for n in range(10)])
    seen: list[tuple[int, dict[str, int]]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                found = search(reader, "号")
                seen.append((found.total, found.facets["tag"]))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=keep_searching) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(1, 13):  # each write replaces half the documents and deletes the others
            odd = round_ % 2
            writer.update(
                [_varied(n + 10 * odd, round_) for n in range(10)],
                remove=[f"case/v{n + 10 * (1 - odd)}" for n in range(10)],
            )
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert seen
    for total, tags in seen:  # every document of one write carries that write's round tag
        rounds = {tag for tag in tags if tag.startswith("轮")}
        assert total == 10 and len(rounds) == 1 and tags[rounds.pop()] == 10, (total, tags)
    assert reader.snapshot_reads["forward"] >= 1


@needs_postgres
def test_tags_with_quotes_braces_and_backslashes_come_back_as_written(
    two_servers: tuple[PgSearchIndex, PgSearchIndex],
) -> None:
    """Array columns are written as literals: every element quoted, quotes and backslashes escaped."""
    writer, reader = two_servers
    odd = ('引号"标签', "反斜杠\\标签", "NULL", "{花括号,逗号}", "空 格")
    writer.rebuild([IndexDoc(**{**_doc(1).__dict__, "tags": odd[:3]}), _doc(2)])
    writer.update([IndexDoc(**{**_doc(3).__dict__, "tags": odd[3:]})])
    result = search(reader, "议事会")
    assert result.facets["tag"] == dict.fromkeys(odd, 1)
    for n, tag in enumerate(odd):
        holder = "case/c1" if n < 3 else "case/c3"
        assert [hit.key for hit in search(reader, "议事会", filters={"tag": tag}).hits] == [holder]


@needs_postgres
def test_new_entries_that_sort_between_the_same_two_keep_the_order_a_fresh_reading_has(
    two_servers: tuple[PgSearchIndex, PgSearchIndex],
) -> None:
    """A snapshot brought forward ranks a new entry between its neighbours; 60 entries into one gap
    use up the floats between them, and then every rank is numbered again. The hits are few among
    many entries, so they are sorted by those ranks (not found by walking the date order)."""
    writer, reader = two_servers
    url = os.environ["CASEBOOK_DATABASE_URL"]

    def doc(key: str, date: str = "2022-05-01", body: str = "议事。") -> IndexDoc:
        return IndexDoc(key=key, kind="case", slug=key[5:], title="楼院", topic="louyuan", date=date, body=body)

    fillers = [doc(f"case/f{n}", "2020-01-01", "楼院。") for n in range(400)]
    writer.rebuild([doc("case/a"), doc("case/b"), doc("case/c", "2021-01-01"), doc("case/z", "2023-01-01"), *fillers])
    assert [h.key for h in search(reader, "议事").hits] == ["case/z", "case/a", "case/b", "case/c"]
    held = ["case/a"]
    for n in range(1, 61):  # case/a0, case/a00, …: each sorts between the one before and case/b
        key = "case/a" + "0" * n
        found = n % 10 == 0 or n > 45
        writer.update([doc(key, body="议事。" if found else "楼院。")])
        held += [key] if found else []
        keys = [h.key for h in search(reader, "议事", per_page=100).hits]
        assert keys == ["case/z", *held, "case/b", "case/c"], n
    fresh = PgSearchIndex(url, name="shared")
    try:
        assert _answers(reader) == _answers(fresh)
    finally:
        fresh.close()
    assert reader.snapshot_reads["whole"] == 1 and reader.snapshot_reads["forward"] == 60


def test_a_search_index_larger_than_shared_buffers_gets_a_hint_with_a_size_to_set() -> None:
    assert cache_advice(100 << 20, 128 << 20) is None  # fits
    advice = cache_advice(1800 << 20, 128 << 20)
    assert advice is not None
    assert "共 1.8 GB" in advice and "shared_buffers（128 MB）" in advice
    assert "shared_buffers = 4GB" in advice  # 1.8 GB and a quarter to spare, rounded up to a power of two
    assert "docs/deploy.md" in advice
    assert "shared_buffers = 256MB" in (cache_advice(150 << 20, 128 << 20) or "")


@needs_postgres
def test_cache_sizes_count_what_searches_read_and_the_servers_shared_buffers() -> None:
    url = os.environ["CASEBOOK_DATABASE_URL"]
    index = PgSearchIndex(url, name="sizes")
    try:
        index.rebuild([_doc(n) for n in range(5)])
        small, buffers = index.cache_sizes()
        index.rebuild([_doc(n, "楼院加装电梯，居民议事。" * 400) for n in range(200)])
        large, again = index.cache_sizes()
        with create_engine(url).connect() as connection:
            shown = connection.scalar(text("SHOW shared_buffers"))
        assert buffers == again == _bytes(shown)
        assert 0 < small < large and large > 200 * len("楼院加装电梯，居民议事。".encode()) * 400
    finally:
        index.close()


def _bytes(setting: str) -> int:
    """``128MB`` → bytes (as SHOW prints shared_buffers)."""
    number, unit = int(setting.rstrip("kMGTB")), setting.lstrip("0123456789")
    return number << {"kB": 10, "MB": 20, "GB": 30, "TB": 40}[unit]


@needs_postgres
def test_reindex_says_when_the_index_outgrows_shared_buffers(
    runner: CliRunner, content_dir: Path, write_entry: WriteEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBOOK_SEARCH", "postgres")
    write_entry("case", "a", body="可以搜索的正文。")
    assert runner.invoke(main, ["sync"]).exit_code == 0
    quiet = runner.invoke(main, ["reindex"])
    assert quiet.exit_code == 0 and "搜索索引已重建：1 篇" in quiet.stdout
    assert "shared_buffers" not in quiet.output  # a small index fits in any server's buffers
    monkeypatch.setattr(PgSearchIndex, "cache_sizes", lambda self: (3 << 30, 128 << 20))
    loud = runner.invoke(main, ["reindex"])
    assert loud.exit_code == 0 and "搜索索引已重建：1 篇" in loud.stdout
    assert "大于 PostgreSQL 的 shared_buffers（128 MB）" in loud.stderr and "shared_buffers = 4GB" in loud.stderr
    (content_dir / "glossary.yml").write_text("- term: 正文\n  synonyms: [文本]\n", encoding="utf-8")
    first_start = runner.invoke(main, ["sync"])  # a changed glossary: sync rebuilds, as a first start does
    assert "搜索索引已重建：1 篇" in first_start.stdout and "shared_buffers = 4GB" in first_start.stderr
