"""The search engine against a brute-force reference, on a real index (Whoosh's on disk, or PostgreSQL's).

The reference reads the documented rules literally, one document at a time: a term matches where
its folded text occurs in the folded title, meta or body; a document scores, per term, the best
place of the literal or a synonym (title 100 > meta 30 > body 10, +5 where the segmenter found the
term as a word, a synonym at 5 %), plus 1000 when the whole query occurs as a phrase; ties go to the
newer entry, then the key. casebook answers the same with sets, posting blocks and the bodies file;
every page of every query must come out identical, with the same totals and facet counts.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from whoosh.query import Term

from casebook.content.glossary import Glossary
from casebook.search import IndexDoc, PgSearchIndex, SearchIndex, fold, parse_query, search
from casebook.search import query as query_module
from casebook.search.postings import term_docs
from casebook.search.schema import words_of
from casebook.search.text import clean

from . import pgkit

WORDS = ["楼院", "无主管楼院", "三无楼院", "物业", "纠纷", "调解", "社区", "书记", "党群服务中心", "居民", "议事会"]
WORDS += ["加装电梯", "老旧小区", "改造", "网格", "志愿者", "AED", "12345", "疫情", "防控", "的", "了", "和"]
STREETS = ["林山寨街道", "建设路街道", "桐柏路街道", ""]
COMMUNITIES = ["农业银行社区", "绿东村社区", "", "Lin Shan 社区"]  # a value with a space is never a whole word
TAGS = ["居民自治", "物业管理", "网格化管理", "党建引领", "AED 设备"]
WHOOSH_ONLY = pytest.mark.skipif(
    pgkit.search_wanted(), reason="about the Whoosh index's own files, views and generations (PostgreSQL has none)"
)
JOINS = ["，", "，", "，", " ", "\n\n"]  # paragraphs become single spaces: phrases of two words occur
GLOSSARY = Glossary((("无主管楼院", "三无楼院", "老旧散楼院"), ("物业", "物业服务企业")))


def _corpus(count: int, seed: int = 7) -> list[IndexDoc]:
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        parts = ["".join(rng.choices(WORDS, k=rng.randint(2, 5))) for _ in range(rng.randint(3, 12))]
        body = "".join(part + rng.choice(JOINS) for part in parts[:-1]) + parts[-1] + "。"
        docs.append(
            IndexDoc(
                key=f"{rng.choice(['interview', 'salon', 'case'])}/d{n:03d}",
                kind="",
                slug=f"d{n:03d}",
                title=rng.choice(["", "", " "]).join(rng.choices(WORDS, k=rng.randint(1, 3))),
                topic=rng.choice(["louyuan", "yiqing", "zuzhi"]),
                date=f"{rng.randint(2021, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                body=body,
                summary="".join(rng.choices(WORDS, k=2)) if rng.random() < 0.3 else "",
                scope=rng.choice(["local", "national"]),
                street=rng.choice(STREETS),
                community=rng.choice(COMMUNITIES),
                tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
                people=("王书记",) if rng.random() < 0.1 else (),
            )
        )
    return [IndexDoc(**{**d.__dict__, "kind": d.key.split("/")[0]}) for d in docs]


class Reference:
    """The rules, read literally, one document at a time."""

    def __init__(self, docs: list[IndexDoc]) -> None:
        self.docs = {d.key: d for d in docs}
        self.title = {d.key: fold(clean(d.title)) for d in docs}
        self.meta = {d.key: fold(d.meta) for d in docs}
        self.body = {d.key: fold(clean(d.body)) for d in docs}
        self.words = {
            d.key: words_of(f"{self.title[d.key]}\n{self.meta[d.key]}\n{self.body[d.key]}", GLOSSARY.words)
            | {w for w in (fold(clean(v)) for v in (*d.tags, d.street, d.community) if v) if " " not in w}
            for d in docs
        }

    def holds(self, key: str, needle: str) -> bool:
        return needle in self.title[key] or needle in self.meta[key] or needle in self.body[key]

    def place(self, key: str, needle: str) -> int:
        weight = 100 if needle in self.title[key] else 30 if needle in self.meta[key] else 10
        return weight + (5 if needle in self.words[key] else 0)

    def facet(self, key: str, name: str) -> tuple[str, ...]:
        doc = self.docs[key]
        if name == "tag":
            return doc.tags
        value = doc.date[:4] if name == "year" else getattr(doc, name)
        return (value,) if value else ()

    def answer(self, query: str, filters: dict[str, str], expand: bool) -> tuple[list[str], dict[str, Counter[str]]]:
        parsed = parse_query(query)
        options = [
            [t.text, *([fold(s) for s in GLOSSARY.synonyms(t.text)] if expand and not t.phrase else [])]
            for t in parsed.positive
        ]
        matched = [
            k
            for k in self.docs
            if all(any(self.holds(k, n) for n in o) for o in options)
            and not any(self.holds(k, t.text) for t in parsed.negative)
        ]
        if not options and not filters:
            return [], {}

        def passes(key: str, skip: str = "") -> bool:
            return all(want in self.facet(key, name) for name, want in filters.items() if name != skip)

        rows = [k for k in matched if passes(k)]
        facets = {
            name: Counter(v for k in matched if passes(k, name) for v in self.facet(k, name))
            for name in ("kind", "topic", "scope", "street", "tag", "year")
        }
        texts = [t.text for t in parsed.positive]

        def score(key: str) -> float:
            total = 0.0
            if len(texts) > 1 and any(self.holds(key, p) for p in ("".join(texts), " ".join(texts))):
                total += 1000
            for needles in options:
                total += max(
                    self.place(key, n) * (1 if rank == 0 else 0.05)
                    for rank, n in enumerate(needles)
                    if self.holds(key, n)
                )
            return round(total, 6)

        def newest_first(key: str) -> tuple[int, ...]:
            return tuple(-int(p) for p in self.docs[key].date.split("-"))

        rows.sort(key=lambda k: (-score(k), newest_first(k), k))
        return rows, facets


Built = tuple[SearchIndex | PgSearchIndex, Reference]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The index under test: Whoosh, or with ``CASEBOOK_SEARCH=postgres`` PostgreSQL's (in a database
    of its own for the module)."""
    with ExitStack() as stack:
        if pgkit.search_wanted():
            index: SearchIndex | PgSearchIndex = PgSearchIndex(stack.enter_context(pgkit.database()), name="engine")
        else:
            index = SearchIndex(tmp_path_factory.mktemp("engine") / "search", parallel_from=10_000)
        stack.enter_context(index)
        yield from _built(index)


def _built(index: SearchIndex | PgSearchIndex) -> Iterator[Built]:
    docs = _corpus(420)
    index.rebuild(docs, user_words=GLOSSARY.words)
    search(index, "楼院")  # PostgreSQL: the snapshot read whole now is brought forward by the writes below
    # Changes after the build: replaced, removed and added entries (new segments, deletions).
    changed = _corpus(60, seed=11)
    changed = [IndexDoc(**{**d.__dict__, "key": docs[i * 7].key}) for i, d in enumerate(changed)]
    index.update(changed[:40], user_words=GLOSSARY.words)
    search(index, "楼院")
    index.update(changed[40:], remove=[docs[3].key, docs[5].key], user_words=GLOSSARY.words)
    final = {d.key: d for d in docs}
    final.update({d.key: d for d in changed})
    for key in (docs[3].key, docs[5].key):
        final.pop(key)
    yield index, Reference(list(final.values()))


QUERIES = [
    "楼院",
    "院",
    "的",
    "物业",
    "主管楼",
    "无主管楼院",
    "党群服务中心",
    "社区 书记",
    "楼院 物业",
    "社区书记",
    "“社区 书记”",
    "居民 -物业",
    "aed",
    "１２３４５",
    "楼院 居民 改造",
    "志愿者网格",
    "林山寨",
    "居民自治",
    "王书记",
    "农业银行社区",
    "lin shan",
    "aed 设备",
    "没有这个词",
]
FILTERS = [{}, {"kind": "case"}, {"year": "2022", "street": "林山寨街道"}, {"tag": "居民自治", "scope": "local"}]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize("expand", [True, False], ids=["synonyms", "literal"])
@pytest.mark.parametrize("few", [query_module.FEW, 3], ids=["per-document", "one-pass"])
def test_every_page_matches_the_reference(
    engine: Built,
    filters: dict[str, str],
    expand: bool,
    few: int,
    monkeypatch: Any,
) -> None:
    """``few``: below it titles and metas are checked per candidate, above it in one pass."""
    monkeypatch.setattr(query_module, "FEW", few)
    index, reference = engine
    for query in [*QUERIES, ""]:
        want, facets = reference.answer(query, filters, expand)
        first = search(index, query, filters=filters, per_page=9, glossary=GLOSSARY, expand=expand)
        assert first.total == len(want), query
        got = [h.key for h in first.hits]
        for page in range(2, first.pages + 1):
            got += [h.key for h in search(index, query, filters, page, 9, GLOSSARY, expand).hits]
        assert got == want, query
        assert first.facets == {name: dict(c) for name, c in facets.items()} or not facets, query


def test_phrases_of_two_words_occur_with_their_space(engine: Built) -> None:
    """The reference test covers a query whose words occur as one phrase with a space between them
    in bodies, titles and metas (PostgreSQL finds those by their ``x y`` grams)."""
    _, reference = engine
    for phrase, place in (("社区 书记", reference.body), ("楼院 物业", reference.title), ("aed 设备", reference.meta)):
        assert any(phrase in text for text in place.values()), phrase
        assert phrase in QUERIES


def test_queries_reach_both_ways_of_paging(engine: Built) -> None:
    """The reference test covers a big score group (walked in date order) and small ones (sorted)."""
    index, _ = engine
    result = search(index, "的", per_page=100, expand=False)
    scores = Counter(h.score for h in result.hits)
    assert max(scores.values()) * 16 >= 400  # one group big enough to be walked
    assert min(scores.values()) * 16 < 400  # and a small one, sorted


@WHOOSH_ONLY
def test_term_docs_reads_what_whoosh_reads(engine: Built) -> None:
    index, _ = engine
    searcher = index.view().searcher
    assert len(searcher.leaf_searchers()) > 1  # several segments, with deletions
    assert any(sub.reader().has_deletions() for sub, _ in searcher.leaf_searchers())
    for field in ("grams", "words"):
        terms = [t.decode() if isinstance(t, bytes) else t for t in searcher.reader().field_terms(field)]
        assert len(terms) > 20
        for text in terms:
            assert term_docs(searcher, field, text) == set(searcher.docs_for_query(Term(field, text))), text
    assert term_docs(searcher, "grams", "不存在的词") == set()


@WHOOSH_ONLY
def test_a_view_keeps_reading_its_own_generation(new_index: Callable[..., SearchIndex], tmp_path: Path) -> None:
    docs = _corpus(30)
    index = new_index(tmp_path / "search")
    index.rebuild(docs)
    old = index.view()
    target = next(d for d in range(30) if old.snapshot.key[d] == docs[0].key)
    before = old.body(target, folded=True)
    index.update([IndexDoc(**{**docs[0].__dict__, "body": "全新的正文：加装电梯已经完工。"})])
    assert old.body(target, folded=True) == before  # the appended body does not disturb it
    assert [h.key for h in search(index, "加装电梯已经完工").hits] == [docs[0].key]
    assert index.view().snapshot is not old.snapshot
    size = (index._live_dir() or tmp_path / "missing") / "bodies"
    grown = size.stat().st_size
    index.rebuild(docs)  # a rebuild starts a fresh file without superseded bodies
    assert ((index._live_dir() or tmp_path) / "bodies").stat().st_size < grown
    assert search(index, "加装电梯已经完工").total == 0


@WHOOSH_ONLY
def test_a_reader_that_loses_files_to_a_writer_looks_again(
    new_index: Callable[..., SearchIndex], tmp_path: Path, monkeypatch: Any
) -> None:
    """A commit may replace files while a reader opens them: it opens the new state instead."""
    docs = _corpus(20)
    root = tmp_path / "search"
    index = new_index(root)
    index.rebuild(docs)
    assert search(index, "楼院").total > 0
    index.update([IndexDoc(**{**docs[0].__dict__, "body": "更新后的正文写着加装电梯。"})])
    real, raced = SearchIndex._snapshot_for, []

    def racing(self: SearchIndex, searcher: Any, live: Path) -> Any:
        if not raced:  # another process commits right now and the columns being read go away
            raced.append(1)
            new_index(root).update([IndexDoc(**{**docs[1].__dict__, "body": "另一个进程写入的正文。"})])
            raise FileNotFoundError("MAIN_x.body.col")
        return real(self, searcher, live)

    monkeypatch.setattr(SearchIndex, "_snapshot_for", racing)
    assert [h.key for h in search(index, "另一个进程写入").hits] == [docs[1].key]
    assert raced
    for _ in range(3):  # and the thread's view is a working one afterwards
        assert search(index, "加装电梯").total >= 1


@WHOOSH_ONLY
def test_a_failure_on_an_unchanged_index_is_not_hidden(
    new_index: Callable[..., SearchIndex], tmp_path: Path, monkeypatch: Any
) -> None:
    from casebook.search import query as query_module

    index = new_index(tmp_path / "search")
    index.rebuild(_corpus(20))
    assert search(index, "楼院").total > 0

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a real bug")

    monkeypatch.setattr(query_module, "_filter_and_count", broken)
    with pytest.raises(RuntimeError, match="a real bug"):
        search(index, "楼院")


@WHOOSH_ONLY
def test_a_failed_reopen_keeps_the_old_view_open(
    new_index: Callable[..., SearchIndex], tmp_path: Path, monkeypatch: Any
) -> None:
    from casebook.search import index as index_module

    docs = _corpus(20)
    index = new_index(tmp_path / "search")
    index.rebuild(docs)
    before = index.view()
    index.update([IndexDoc(**{**docs[0].__dict__, "body": "新的正文。"})])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("_MAIN_2.toc")

    monkeypatch.setattr(index_module, "_open_searcher", broken)
    with pytest.raises(FileNotFoundError):
        index.view()
    monkeypatch.undo()
    assert not before.searcher.is_closed  # the thread was not left with a closed searcher
    assert search(index, "新的正文").total == 1


@WHOOSH_ONLY
def test_a_rebuild_keeps_the_generation_it_replaced_until_the_next(
    new_index: Callable[..., SearchIndex], tmp_path: Path
) -> None:
    docs = _corpus(20)
    index = new_index(tmp_path / "search")
    index.rebuild(docs)
    first = index.view()
    index.rebuild(docs[:10])
    assert first.dir.exists()  # a search that began there can finish there
    docnum = first.snapshot.live[0]
    assert first.body(docnum, folded=False) and first.body(docnum, folded=True)
    assert search(index, "").total == 0 and search(index, "", filters={"scope": "local"}).total <= 10
    index.rebuild(docs[:5])
    assert not first.dir.exists()
    assert len(list((tmp_path / "search").glob("gen-*"))) == 2
