"""The chunked spill runs (casebook.search.runs) build exactly the index Whoosh's own pool builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from whoosh import index as whoosh_index
from whoosh import writing

from casebook.search import IndexDoc, runs
from casebook.search.schema import make_schema, to_fields

from . import pgkit

pytestmark = pytest.mark.skipif(
    pgkit.search_wanted(), reason="about how the Whoosh index is written (PostgreSQL has none)"
)

if TYPE_CHECKING:
    from casebook.search import SearchIndex


def _docs() -> list[IndexDoc]:
    phrases = ["无主管楼院", "物业服务", "党群服务中心", "加装电梯", "AED", "386号院", "居民议事会"]
    return [
        IndexDoc(
            key=f"case/d{n}",
            kind="case",
            slug=f"d{n}",
            title=f"第{n}篇 {phrases[n % 7]}",
            topic="louyuan",
            date=f"2022-01-{n % 28 + 1:02d}",
            body="".join(phrases[(n * k) % 7] + f"第{k}段，编号{n * k}。" for k in range(40)),
        )
        for n in range(120)
    ]


def _build(root: Path, pool: Any) -> dict[str, Any]:
    original = writing.PostingPool
    writing.PostingPool = pool
    try:
        root.mkdir()
        ix = whoosh_index.create_in(str(root), make_schema())
        writer = ix.writer(limitmb=1, compound=False)  # a tiny pool: many spilled runs
        for doc in _docs():
            writer.add_document(**to_fields(doc).fields)
        writer.commit()
    finally:
        writing.PostingPool = original
    with ix.reader() as reader:
        terms = list(reader.all_terms())
        postings = {term: list(reader.postings(*term).all_ids()) for term in terms[::7]}
        return {"count": reader.doc_count(), "terms": terms, "postings": postings}


def test_chunked_runs_give_the_same_index(tmp_path: Path, monkeypatch: Any) -> None:
    spilled: list[int] = []
    write_run = runs.ChunkedPostingPool._write_run

    def counting(self: Any, f: Any, items: Any) -> None:
        spilled.append(1)
        write_run(self, f, items)

    monkeypatch.setattr(runs.ChunkedPostingPool, "_write_run", counting)
    plain = _build(tmp_path / "pickle", runs.WhooshPostingPool)
    chunked = _build(tmp_path / "marshal", runs.ChunkedPostingPool)
    assert len(spilled) > 3  # the comparison is about spilled runs: make sure there were several
    assert plain["count"] == chunked["count"] == 120
    assert len(plain["terms"]) > 1000
    assert plain == chunked


def test_the_chunked_pool_is_used_only_while_casebook_writes(
    new_index: Callable[..., SearchIndex], tmp_path: Path, monkeypatch: Any
) -> None:
    from casebook.search import search

    made: list[str] = []
    chunked_init = runs.ChunkedPostingPool.__init__

    def noting(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(type(self).__name__)
        chunked_init(self, *args, **kwargs)

    monkeypatch.setattr(runs.ChunkedPostingPool, "__init__", noting)
    assert writing.PostingPool is runs.WhooshPostingPool  # importing casebook changes nothing
    index = new_index(tmp_path / "index")
    index.rebuild(_docs()[:20])
    assert made and writing.PostingPool is runs.WhooshPostingPool  # used in the build, put back after
    assert search(index, "加装电梯", per_page=5).total > 0


def test_on_another_whoosh_version_stock_whoosh_is_used_with_one_warning(
    new_index: Callable[..., SearchIndex], tmp_path: Path, monkeypatch: Any, caplog: Any
) -> None:
    from casebook.search import search

    made: list[str] = []
    monkeypatch.setattr(runs.ChunkedPostingPool, "__init__", lambda *a, **k: made.append("chunked"))
    monkeypatch.setattr(runs, "WRITTEN_FOR", "0.0.1")
    monkeypatch.setattr(runs, "_warned", False)
    index = new_index(tmp_path / "index")
    with caplog.at_level("WARNING", logger="casebook.search.runs"):
        index.rebuild(_docs()[:20])
        index.rebuild(_docs()[:30])
        found = search(index, "加装电梯", per_page=5)
    assert made == [] and found.total > 0  # stock pool to build, stock matchers to read
    warnings = [r.getMessage() for r in caplog.records if r.name == "casebook.search.runs"]
    assert len(warnings) == 1 and "stock Whoosh" in warnings[0]
