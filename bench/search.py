"""Benchmark casebook's search against obvious alternatives on one synthetic corpus.

Five setups get the same generated corpus and the same queries, in the same run:

1. ``casebook``: ``casebook.search.SearchIndex.rebuild`` with ``IndexDoc``s, one-entry
   ``SearchIndex.update``, and ``casebook.search.search(index, q, per_page=20, expand=False)``
   (which also counts the total and the facets, and cuts the snippets of the page's hits).
2. ``whoosh-ngram``: the obvious Whoosh schema, one ``TEXT(analyzer=NgramAnalyzer(1, 2),
   phrase=True, stored=True)`` field for title + body and an ``ID(stored=True, unique=True)`` key.
   A 1–2-character term is a ``Term`` on its unigram/bigram, a longer one a ``Phrase`` of its
   bigrams (adjacent positions, i.e. an exact substring); snippets by ``hit.highlights()``.
   It builds with the same processes as casebook (``ix.writer(procs=2, multisegment=True)`` from
   1,000 entries, as ``SearchIndex.rebuild`` does; one process below). ``whoosh-ngram-1proc``, the
   same setup built in one process, is a separate, labelled row, run only when named in ``--setups``.
3. ``whoosh-jieba``: the same (same processes too), analysed by jieba's ``ChineseAnalyzer``, queries
   through Whoosh's default ``QueryParser`` (word matching, not substrings: its recall shows what that costs).
4. ``fts5-trigram``: SQLite FTS5 ``tokenize='trigram'``; ``MATCH`` for terms of 3+ characters,
   ``LIKE '%…%'`` (a scan) for 1–2-character terms; snippets by ``snippet()`` (own slicing when
   no ``MATCH`` is involved); update = ``DELETE`` + ``INSERT`` + commit.
5. ``scan``: a Python list of (key, folded text), a substring test per entry, snippets by slicing.

The Whoosh setups are slow to build, so they run only at sizes up to ``--slow-max`` (10,000).

The corpus comes from ``random.Random(--seed)`` (printed): words drawn from jieba's dictionary by
frequency, with punctuation, about 1,500 Chinese characters per entry, plus injected domain
phrases, common (in 30–50 % of entries: 社区书记, 楼院, 党群服务中心…) and rare (≤ 5 %:
陇海西路386号院, 无主管楼院治理, AED…). Entries of a smaller size are a prefix of a larger
size's, and the queries are drawn (from a second seeded stream) from the first 1,000 entries
and the injected phrases, so sizes ≥ 1,000 share one query set. Summary, tags and people are
left empty: every setup sees exactly title + body.

Per setup and size it prints: the configuration; full build (entries/s); index size on disk;
a one-entry update until a fresh searcher finds it (median of ``--updates``); per query class
(1 char, 2 chars, 3–4 chars, 5+ chars, two words; each with common and rare terms) the p50/p95
latency of a results page (total + first 20 hits with snippets; one untimed warm-up pass, then
``--repeat`` timed passes, percentiles over all timed runs); and recall/precision against ground
truth (a substring scan of ``casebook.search.fold`` of title and body; both words for two-word
queries) over *complete* result sets. casebook's set is read by paging ``search()`` at
``per_page=100`` (checked against ``SearchResult.total``: no key twice, none lost); a result set
of more than ``--verify-pages`` pages would cost a whole search per page, so for those the rows
that one ``search()`` call ranks are captured from inside it (a wrapper around the private
``casebook.search.query._filter_and_count``; it falls back to paging if that is gone) and
cross-checked against ``total`` and the first pages. Every query where casebook's recall or
precision is not 1.00 is listed with the keys it missed or added.

Then, per size: ratios against the targets (at 10k: casebook p95 ≤ 0.2 × whoosh-ngram's, build
entries/s ≥ 2 ×, update time ≤ 0.5 ×; against the scan: ≥ 5× faster on rare terms, at most 2×
slower on common ones, judged on p50), the FTS5 comparison, and a search worker's peak RSS: a
subprocess that opens the casebook index and runs every query, reading its own ``VmHWM``
(``ru_maxrss`` would report this big parent's size: it survives fork + exec); target < 300 MB
at 10k. Finally a write-lock test: 3 processes × 20 ``SearchIndex.update`` calls at once on a
1k casebook index; failures (exceptions, updates not found afterwards) must be 0.

The header names the casebook that was imported and a hash of its code; if that code changes
during the run (someone editing it), the report says so: the figures then mix versions.

Run from the repository root with the virtualenv that has casebook installed::

    python bench/search.py                        # sizes 1000 10000 100000: 1.5–2 hours
    python bench/search.py --sizes 300 1000       # a smoke test: about 4 minutes
    python bench/search.py --sizes 10000 --setups casebook scan fts5-trigram

Rough run time on a 2-core machine: about 3 minutes at 1k, 25–35 minutes at 10k (mostly the
two Whoosh baselines: builds of 5–8 minutes each, and highlighting), an hour or more at 100k
(corpus and ground truth a few minutes, then mostly casebook's build; the Whoosh baselines are
skipped there). Memory: casebook's and Whoosh's searchers hold a copy of their index in RAM, so
100k needs several GB free. It prints a progress line per phase. The exit status is 0 unless a
setup crashed; no target is asserted.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import itertools
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SEED = 20240611
DEFAULT_SIZES = (1000, 10000, 100000)
SLOW_MAX = 10_000
PAGE = 20
VERIFY_PAGE = 100  # casebook caps per_page at 100
MAX_VERIFY_PAGES = 30  # casebook result sets up to this many pages are verified by paging search()
CROSS_CHECK_PAGES = 3  # bigger ones: captured rows, checked against total and these first pages
QUERY_SAMPLE = 1000  # queries are drawn from (and classified on) the first entries only
PER_BUCKET = 6  # queries per class and frequency (common / rare)
COMMON_MIN = 0.20  # "common": in at least this share of the sampled entries
RARE_MAX = 0.05  # "rare": in at most this share (and at least one entry)
TARGET_SIZE = 10_000
LOCK_SIZE = 1000
LOCK_WORKERS, LOCK_UPDATES = 3, 20
RSS_TARGET_MB = 300
CASEBOOK_BUILD_PROCS = 2
"""Processes casebook's ``SearchIndex.rebuild`` indexes with from ``PARALLEL_FROM`` entries on."""

CLASSES = ("1 char", "2 chars", "3–4 chars", "5+ chars", "two words")
SETUPS = ("casebook", "postgres", "whoosh-ngram", "whoosh-ngram-1proc", "whoosh-jieba", "fts5-trigram", "scan")
DEFAULT_SETUPS = tuple(name for name in SETUPS if name not in ("whoosh-ngram-1proc", "postgres"))
PG_ADMIN_URL = "postgresql+psycopg://casebook:casebook@127.0.0.1:5432/postgres"
"""The server the ``postgres`` setup makes its database on (``CASEBOOK_BENCH_POSTGRES_URL``): a role
that may create databases; the database is dropped at the end."""
SLOW_SETUPS = ("whoosh-ngram", "whoosh-ngram-1proc", "whoosh-jieba")

# Injected domain phrases and the share of entries that get each (1–3 times in the body).
COMMON_PHRASES: dict[str, float] = {
    "社区书记": 0.45,
    "楼院": 0.40,
    "党群服务中心": 0.35,
    "网格员": 0.35,
    "志愿服务": 0.40,
    "居民议事会": 0.30,
    "老旧小区改造": 0.30,
    "物业服务企业": 0.30,
    "楼栋长": 0.30,
}
RARE_PHRASES: dict[str, float] = {
    "陇海西路386号院": 0.02,
    "无主管楼院治理": 0.03,
    "AED": 0.04,
    "加装电梯": 0.03,
    "微心愿": 0.02,
    "红色物业": 0.01,
    "一老一小": 0.02,
    "15分钟生活圈": 0.01,
    "积分超市": 0.02,
    "楼院议事厅": 0.01,
}
KINDS = ("interview", "salon", "case")
TOPICS = tuple(f"topic-{n:02d}" for n in range(1, 11))
SEPARATORS = ("", "，", "。", "、", "；", "：", "！", "\n\n")
SEPARATOR_CUM = tuple(itertools.accumulate((820, 90, 45, 15, 8, 5, 2, 15)))
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]+$")
_WORD_RUN = re.compile(r"^\w+$")


# --- corpus -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    slug: str
    title: str
    topic: str
    date: str
    body: str


@dataclass
class Corpus:
    entries: list[Entry]
    folded: list[tuple[str, str]]  # (fold(clean(title)), fold(clean(body))), as casebook matches them

    @property
    def size(self) -> int:
        return len(self.entries)

    def plain(self, i: int) -> str:
        """Title and body as written (whitespace collapsed): what the other setups index."""
        entry = self.entries[i]
        return f"{clean(entry.title)}\n{clean(entry.body)}"


def clean(text: str) -> str:
    from casebook.search.text import clean as casebook_clean

    return casebook_clean(text)


def load_dictionary() -> tuple[list[str], list[int]]:
    """jieba's dictionary: CJK-only words and their cumulative frequencies."""
    import jieba

    words: list[str] = []
    freqs: list[int] = []
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and _CJK_WORD.match(parts[0]) and parts[1].isdigit() and int(parts[1]) > 0:
                words.append(parts[0])
                freqs.append(int(parts[1]))
    return words, list(itertools.accumulate(freqs))


class Generator:
    """Entries from one seeded stream: entry ``i`` is the same whatever the size."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words, self.cum = load_dictionary()
        self.count = 0

    def _words(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)

    def _inject(self, words: list[str], phrases: dict[str, float]) -> None:
        r = self.rng
        for phrase, share in phrases.items():
            if r.random() < share:
                for _ in range(r.choice((1, 1, 2, 3))):
                    words.insert(r.randrange(len(words) + 1), phrase)

    def entry(self) -> Entry:
        r = self.rng
        i = self.count
        self.count += 1
        title_words = self._words(r.randint(3, 7))
        if r.random() < 0.1:
            title_words.insert(r.randrange(len(title_words) + 1), r.choice(list(COMMON_PHRASES)))
        target = r.randint(1300, 1700)
        words = self._words(target * 2 // 3)  # words average about 1.66 characters
        while (have := sum(map(len, words))) < target:
            words += self._words(max(8, (target - have) * 2 // 3))
        lengths = list(itertools.accumulate(map(len, words)))
        words = words[: bisect.bisect_left(lengths, target) + 1]
        self._inject(words, COMMON_PHRASES)
        self._inject(words, RARE_PHRASES)
        seps = r.choices(SEPARATORS, cum_weights=SEPARATOR_CUM, k=len(words))
        body = "".join(w + s for w, s in zip(words, seps, strict=True)).rstrip("，、；：\n") + "。"
        kind = KINDS[r.randrange(3)]
        date = f"{r.randint(2021, 2023)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        slug = f"e{i:06d}"
        return Entry(f"{kind}/{slug}", kind, slug, "".join(title_words), TOPICS[i % len(TOPICS)], date, body)


def make_corpus(size: int, seed: int) -> Corpus:
    from casebook.search import fold

    gen = Generator(seed)
    entries = [gen.entry() for _ in range(size)]
    folded = [(fold(clean(e.title)), fold(clean(e.body))) for e in entries]
    return Corpus(entries, folded)


# --- queries and ground truth -----------------------------------------------------------


@dataclass
class Query:
    text: str
    cls: str
    common: bool = False
    truth: frozenset[str] = frozenset()

    @property
    def terms(self) -> list[str]:
        from casebook.search import fold

        return [fold(t) for t in self.text.split()]


def matches(title_f: str, body_f: str, terms: Sequence[str]) -> bool:
    return all(t in title_f or t in body_f for t in terms)


def ground_truth(corpus: Corpus, terms: Sequence[str]) -> frozenset[str]:
    return frozenset(
        corpus.entries[i].key for i, (title_f, body_f) in enumerate(corpus.folded) if matches(title_f, body_f, terms)
    )


def pick_queries(corpus: Corpus, seed: int) -> list[Query]:
    """``PER_BUCKET`` common and ``PER_BUCKET`` rare queries per class, from a seeded stream."""
    from casebook.search import fold

    rng = random.Random(seed * 7919 + 1)
    sample = corpus.folded[:QUERY_SAMPLE]
    n = len(sample)
    texts = [f"{t}\n{b}" for t, b in sample]

    def share(terms: Sequence[str]) -> float:
        return sum(1 for title_f, body_f in sample if matches(title_f, body_f, terms)) / n

    def bucket(candidates: Iterable[str], common: bool, limit: int, taken: set[str]) -> list[str]:
        out: list[str] = []
        for text in candidates:
            if len(out) >= limit:
                break
            if text in taken:
                continue
            value = share([fold(t) for t in text.split()])
            if (value >= COMMON_MIN) if common else (0 < value <= RARE_MAX):
                out.append(text)
                taken.add(text)
        return out

    def shuffled(items: Iterable[str]) -> list[str]:
        out = sorted(set(items))
        rng.shuffle(out)
        return out

    def drawn(lengths: tuple[int, int], count: int) -> list[str]:
        """Substrings of word characters at random places in the sampled entries."""
        out: list[str] = []
        for _ in range(count * 50):
            if len(out) >= count:
                break
            text = texts[rng.randrange(n)]
            size = rng.randint(*lengths)
            start = rng.randrange(max(1, len(text) - size))
            piece = text[start : start + size]
            if len(piece) == size and _WORD_RUN.match(piece):
                out.append(piece)
        return out

    def substrings(phrases: Iterable[str], lengths: tuple[int, int]) -> list[str]:
        return [p[i : i + k] for p in phrases for k in range(lengths[0], lengths[1] + 1) for i in range(len(p) - k + 1)]

    # Character and bigram document frequencies over the sample, for the short classes.
    chars: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for text in texts:
        chars.update({c for c in text if _CJK_WORD.match(c)})
        bigrams.update({text[i : i + 2] for i in range(len(text) - 1) if _CJK_WORD.match(text[i : i + 2])})
    common_phrases = [fold(p) for p in COMMON_PHRASES]
    rare_phrases = list(RARE_PHRASES)

    taken: set[str] = set()
    picked: dict[str, tuple[list[str], list[str]]] = {}
    picked["1 char"] = (
        bucket(shuffled(c for c, k in chars.items() if k / n >= COMMON_MIN), True, PER_BUCKET, taken),
        bucket(shuffled(c for c, k in chars.items() if k / n <= RARE_MAX), False, PER_BUCKET, taken),
    )
    picked["2 chars"] = (
        bucket(
            [
                *shuffled(substrings(common_phrases, (2, 2)))[:2],
                *shuffled(b for b, k in bigrams.items() if k / n >= 0.5),
            ],
            True,
            PER_BUCKET,
            taken,
        ),
        bucket(shuffled(b for b, k in bigrams.items() if k / n <= RARE_MAX), False, PER_BUCKET, taken),
    )
    picked["3–4 chars"] = (
        bucket(
            shuffled([*(p for p in common_phrases if len(p) <= 4), *substrings(common_phrases, (3, 4))]),
            True,
            PER_BUCKET,
            taken,
        ),
        bucket(
            ["AED", *shuffled(p for p in rare_phrases if 3 <= len(p) <= 4 and p != "AED")[:2], *drawn((3, 4), 40)],
            False,
            PER_BUCKET,
            taken,
        ),
    )
    picked["5+ chars"] = (
        bucket(
            shuffled([*(p for p in common_phrases if len(p) >= 5), *substrings(common_phrases, (5, 5))]),
            True,
            PER_BUCKET,
            taken,
        ),
        bucket([*shuffled(p for p in rare_phrases if len(p) >= 5)[:3], *drawn((5, 8), 40)], False, PER_BUCKET, taken),
    )
    frequent = [q for common, _ in picked.values() for q in common]

    def related(a: str, b: str) -> bool:
        return any(a in p and b in p for p in common_phrases) or a in b or b in a

    pairs_common = [f"{a} {b}" for a, b in itertools.permutations(shuffled(frequent), 2) if not related(a, b)]
    rng.shuffle(pairs_common)
    pairs_rare = [f"{a} {b}" for a in shuffled(rare_phrases)[:3] for b in shuffled(frequent)[:1]]
    for piece in drawn((4, 12), 40):
        if len(piece) >= 4:
            cut = rng.randint(2, len(piece) - 2)
            pairs_rare.append(f"{piece[cut:]} {piece[:cut]}")  # both halves, in swapped order
    picked["two words"] = (
        bucket(pairs_common[:400], True, PER_BUCKET, taken),
        bucket(pairs_rare, False, PER_BUCKET, taken),
    )
    queries: list[Query] = []
    for cls in CLASSES:
        common, rare = picked[cls]
        queries += [Query(t, cls, True) for t in common] + [Query(t, cls, False) for t in rare]
    return queries


# --- setups -----------------------------------------------------------------------------


Page = tuple[int, list[tuple[str, str]]]  # total, (key, snippet) of the first PAGE hits


class Setup:
    name = ""

    def __init__(self, work: Path) -> None:
        self.work = work

    def config(self) -> str:
        raise NotImplementedError

    def prepare(self, corpus: Corpus) -> None:
        """Untimed: inputs in the setup's own form, libraries and models loaded."""
        raise NotImplementedError

    def build(self) -> None:
        """Timed: the full build, until a searcher can use it."""
        raise NotImplementedError

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.work.rglob("*") if p.is_file() and not p.is_symlink())

    def page(self, query: Query) -> Page:
        """What a results page needs: the total and the first PAGE hits with snippets (timed)."""
        raise NotImplementedError

    def matched(self, query: Query) -> set[str]:
        """Every key the setup returns for ``query`` (untimed)."""
        raise NotImplementedError

    def update(self, corpus: Corpus, i: int, marker: str) -> bool:
        """Replace entry ``i`` by a copy whose body ends with ``marker``; True when a query then finds it."""
        raise NotImplementedError

    def close(self) -> None:
        pass


def _with_marker(entry: Entry, marker: str) -> Entry:
    return Entry(entry.key, entry.kind, entry.slug, entry.title, entry.topic, entry.date, f"{entry.body}{marker}。")


def slice_snippet(text: str, needles: Sequence[str], width: int = 80) -> str:
    """A window of folded ``text`` around the first needle found, that needle in ``<mark>``."""
    for needle in needles:
        at = text.find(needle)
        if at != -1:
            left = max(0, at - width // 3)
            end = at + len(needle)
            return f"{text[left:at]}<mark>{needle}</mark>{text[end : left + width]}"
    return text[:width]


@contextlib.contextmanager
def _captured_rows() -> Iterator[dict[str, Any]]:
    """While active, ``box["keys"]`` gets the keys of the rows ``search()`` ranks (all pages).

    Wraps the private ``casebook.search.query._filter_and_count`` (snapshot, matched, filters,
    result) -> rows; when that is gone or changed, ``box["error"]`` says why and the caller pages.
    """
    box: dict[str, Any] = {}
    try:
        from casebook.search import query as casebook_query

        original = casebook_query._filter_and_count
    except (ImportError, AttributeError) as exc:
        box["error"] = f"{type(exc).__name__}: {exc}"
        yield box
        return

    def spy(*args: Any, **kwargs: Any) -> Any:
        rows = original(*args, **kwargs)
        try:
            snapshot = args[0] if args else kwargs["snap"]
            box["keys"] = [snapshot.key[d] for d in rows]
        except Exception as exc:
            box["error"] = f"{type(exc).__name__}: {exc}"
        return rows

    casebook_query._filter_and_count = spy
    try:
        yield box
    finally:
        casebook_query._filter_and_count = original


class CasebookSetup(Setup):
    name = "casebook"

    def __init__(self, work: Path) -> None:
        super().__init__(work)
        from casebook.search import SearchIndex

        self.index = SearchIndex(work)
        self.notes: dict[str, list[str]] = {}
        self.methods: Counter[str] = Counter()
        self.max_pages = MAX_VERIFY_PAGES

    def config(self) -> str:
        return (
            "casebook.search: SearchIndex.rebuild(docs, total=n) (Whoosh: character 1+2-grams and jieba words as "
            "terms, postings read a block at a time; candidates verified against folded titles in memory and "
            "folded bodies in an mmap'ed file), update([doc]), search(q, per_page=20, expand=False)"
        )

    @staticmethod
    def doc(entry: Entry) -> Any:
        from casebook.search import IndexDoc

        return IndexDoc(
            key=entry.key,
            kind=entry.kind,
            slug=entry.slug,
            title=entry.title,
            topic=entry.topic,
            date=entry.date,
            body=entry.body,
        )

    def prepare(self, corpus: Corpus) -> None:
        from casebook.search import SearchIndex

        self.docs = [self.doc(e) for e in corpus.entries]
        warm = self.work.parent / f"{self.work.name}-warm"  # imports and jieba's model, untimed
        SearchIndex(warm).rebuild(self.docs[:1])
        shutil.rmtree(warm, ignore_errors=True)

    def build(self) -> None:
        self.index.rebuild(self.docs, total=len(self.docs))
        self.docs = []

    def page(self, query: Query) -> Page:
        from casebook.search import search

        result = search(self.index, query.text, per_page=PAGE, expand=False)
        return result.total, [(h.key, h.snippet) for h in result.hits]

    def matched(self, query: Query) -> set[str]:
        """The complete result set: by paging ``search()``, or (past ``MAX_VERIFY_PAGES``) the rows it ranks.

        Paging re-runs the whole search per page, so its cost grows with the square of the corpus;
        for big result sets the rows ``search()`` ranks and slices into pages are captured from
        inside that one call instead, and cross-checked against ``total`` and the first pages.
        """
        from casebook.search import search

        notes = self.notes.setdefault(query.text, [])
        with _captured_rows() as box:
            first = search(self.index, query.text, page=1, per_page=VERIFY_PAGE, expand=False)
        pages = [first]
        if first.pages > self.max_pages and box.get("keys") is not None:
            self.methods["rows captured"] += 1
            pages += [
                search(self.index, query.text, page=n, per_page=VERIFY_PAGE, expand=False)
                for n in range(2, CROSS_CHECK_PAGES + 1)
            ]
            found = set(box["keys"])
            if len(found) != len(box["keys"]):
                notes.append(f"ranked rows hold {len(box['keys']) - len(found)} duplicate keys")
            paged = {h.key for r in pages for h in r.hits}
            if not paged <= found:
                notes.append(f"{len(paged - found)} keys on the first pages are not among the ranked rows")
        else:
            if first.pages > self.max_pages:  # the hook is gone: page anyway, however long it takes
                self.methods[f"paging (rows not capturable: {box.get('error', 'no hook')})"] += 1
            else:
                self.methods["paging"] += 1
            pages += [
                search(self.index, query.text, page=n, per_page=VERIFY_PAGE, expand=False)
                for n in range(2, first.pages + 1)
            ]
            keys = [h.key for r in pages for h in r.hits]
            found = set(keys)
            if len(found) != len(keys):
                notes.append(f"paging returned {len(keys) - len(found)} keys twice")
        totals = {r.total for r in pages}
        if totals != {first.total}:
            notes.append(f"total changed between pages: {sorted(totals)}")
        if len(found) != first.total:
            notes.append(f"{len(found)} distinct keys but SearchResult.total is {first.total}")
        if not notes:
            del self.notes[query.text]
        return found

    def update(self, corpus: Corpus, i: int, marker: str) -> bool:
        from casebook.search import search

        entry = corpus.entries[i]
        self.index.update([self.doc(_with_marker(entry, marker))])
        return entry.key in {h.key for h in search(self.index, marker, expand=False).hits}

    def close(self) -> None:
        """Drop the index object: its per-thread searcher and that searcher's buffers go with it."""
        import gc

        from casebook.search import SearchIndex

        self.index = SearchIndex(self.work)
        gc.collect()


class WhooshSetup(Setup):
    """The obvious Whoosh schema; subclasses choose the analyzer and how a query is made."""

    def __init__(self, work: Path) -> None:
        super().__init__(work)
        self.ix: Any = None
        self.searcher: Any = None
        self._keys: dict[int, str] = {}

    single_process = False
    """True for the labelled single-process row; otherwise the build uses casebook's processes."""

    def analyzer(self) -> Any:
        raise NotImplementedError

    def query(self, query: Query) -> Any:
        raise NotImplementedError

    def writer_options(self, total: int) -> dict[str, Any]:
        """The same processes as casebook's build of ``total`` entries (Whoosh's documented ``procs``,
        keeping each process's segment as casebook does), unless this is the single-process row."""
        from casebook.search.index import PARALLEL_FROM

        if self.single_process or total < PARALLEL_FROM:
            return {}
        return {"procs": CASEBOOK_BUILD_PROCS, "multisegment": True}

    def processes(self) -> str:
        if self.single_process:
            return "1 process (single-process row: casebook builds with 2 from 1,000 entries)"
        return "the same processes as casebook: procs=2, multisegment=True from 1,000 entries, else 1"

    def prepare(self, corpus: Corpus) -> None:
        from whoosh import fields

        self.schema = fields.Schema(
            key=fields.ID(stored=True, unique=True),
            content=fields.TEXT(analyzer=self.analyzer(), phrase=True, stored=True),
        )
        self.work.mkdir(parents=True, exist_ok=True)
        self.texts = [(e.key, corpus.plain(i)) for i, e in enumerate(corpus.entries)]

    def build(self) -> None:
        from whoosh import index as whoosh_index
        from whoosh import writing

        from casebook.search import runs

        # Stock Whoosh: casebook swaps in its own spill-run format (casebook.search.runs) for the
        # whole process; the baselines must build with Whoosh's own posting pool.
        installed, writing.PostingPool = writing.PostingPool, runs.WhooshPostingPool
        try:
            self.ix = whoosh_index.create_in(str(self.work), self.schema)
            writer = self.ix.writer(**self.writer_options(len(self.texts)))
            for key, text in self.texts:
                writer.add_document(key=key, content=text)
            writer.commit()
        finally:
            writing.PostingPool = installed
        self.searcher = self.ix.searcher()
        self.texts = []

    def page(self, query: Query) -> Page:
        results = self.searcher.search(self.query(query), limit=PAGE)
        total = len(results)
        return total, [(hit["key"], hit.highlights("content")) for hit in results]

    def _key(self, docnum: int) -> str:
        key = self._keys.get(docnum)
        if key is None:
            key = self._keys[docnum] = self.searcher.stored_fields(docnum)["key"]
        return key

    def matched(self, query: Query) -> set[str]:
        return {self._key(d) for d in self.searcher.docs_for_query(self.query(query))}

    def update(self, corpus: Corpus, i: int, marker: str) -> bool:
        entry = _with_marker(corpus.entries[i], marker)
        writer = self.ix.writer()
        writer.update_document(key=entry.key, content=f"{clean(entry.title)}\n{clean(entry.body)}")
        writer.commit()
        self.searcher.close()
        self.searcher = self.ix.searcher()
        self._keys.clear()
        return entry.key in {hit["key"] for hit in self.searcher.search(self.query(Query(marker, "")), limit=PAGE)}

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()


class WhooshNgramSetup(WhooshSetup):
    name = "whoosh-ngram"

    def config(self) -> str:
        return (
            "Whoosh TEXT(NgramAnalyzer(1, 2), phrase=True, stored=True) on title+body, ID key; a term is a Term "
            f"(1–2 chars) or a Phrase of its bigrams, AND; ix.writer() on {self.processes()}, otherwise "
            "defaults (stock posting pool); hit.highlights(); len(results)"
        )

    def analyzer(self) -> Any:
        from whoosh.analysis import NgramAnalyzer

        return NgramAnalyzer(1, 2)

    def query(self, query: Query) -> Any:
        from whoosh.query import And, Phrase, Term

        parts: list[Any] = []
        for term in query.terms:
            if len(term) <= 2:
                parts.append(Term("content", term))
            else:
                parts.append(Phrase("content", [term[i : i + 2] for i in range(len(term) - 1)]))
        return parts[0] if len(parts) == 1 else And(parts)


class WhooshNgramSingleSetup(WhooshNgramSetup):
    name = "whoosh-ngram-1proc"
    single_process = True


class WhooshJiebaSetup(WhooshSetup):
    name = "whoosh-jieba"

    def config(self) -> str:
        return (
            "Whoosh TEXT(jieba.analyse.ChineseAnalyzer(), phrase=True, stored=True) on title+body, ID key; "
            f"QueryParser('content') defaults (AND); ix.writer() on {self.processes()}, otherwise defaults; "
            "hit.highlights(); len(results)"
        )

    def analyzer(self) -> Any:
        import jieba
        from jieba.analyse import ChineseAnalyzer

        jieba.setLogLevel(60)
        jieba.initialize()  # the dictionary's model, loaded once per process, untimed
        return ChineseAnalyzer()

    def query(self, query: Query) -> Any:
        from whoosh.qparser import QueryParser

        return QueryParser("content", self.ix.schema).parse(query.text)


class Fts5Setup(Setup):
    name = "fts5-trigram"

    def __init__(self, work: Path) -> None:
        super().__init__(work)
        self.path = work / "fts.db"
        self.reader: sqlite3.Connection | None = None

    def config(self) -> str:
        return (
            f"SQLite {sqlite3.sqlite_version} fts5(key UNINDEXED, body, tokenize='trigram'), rowid = entry number; "
            "MATCH '\"t\" AND …' for 3+ chars, body LIKE '%t%' for 1–2; count(*) + ORDER BY rank LIMIT 20 "
            "with snippet(); update = DELETE + INSERT + commit"
        )

    def prepare(self, corpus: Corpus) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.rows = [(i, e.key, corpus.plain(i)) for i, e in enumerate(corpus.entries)]

    def build(self) -> None:
        conn = sqlite3.connect(self.path)
        conn.execute("CREATE VIRTUAL TABLE fts USING fts5(key UNINDEXED, body, tokenize='trigram')")
        conn.executemany("INSERT INTO fts(rowid, key, body) VALUES (?, ?, ?)", self.rows)
        conn.commit()
        conn.close()
        self.reader = sqlite3.connect(self.path)
        self.rows = []

    @staticmethod
    def where(terms: Sequence[str]) -> tuple[str, list[str], bool]:
        long = [t for t in terms if len(t) >= 3]
        short = [t for t in terms if len(t) < 3]
        clauses: list[str] = []
        params: list[str] = []
        if long:
            clauses.append("fts MATCH ?")
            params.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in long))
        for t in short:
            clauses.append("body LIKE ? ESCAPE '\\'")
            escaped = t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        return " AND ".join(clauses), params, bool(long)

    def page(self, query: Query) -> Page:
        assert self.reader is not None
        terms = query.terms
        where, params, ranked = self.where(terms)
        (total,) = self.reader.execute(f"SELECT count(*) FROM fts WHERE {where}", params).fetchone()
        if ranked:
            sql = (
                "SELECT key, snippet(fts, 1, '<mark>', '</mark>', '…', 24) FROM fts "
                f"WHERE {where} ORDER BY rank LIMIT {PAGE}"
            )
            rows = self.reader.execute(sql, params).fetchall()
        else:
            found = self.reader.execute(f"SELECT key, body FROM fts WHERE {where} LIMIT {PAGE}", params)
            rows = [(key, slice_snippet(body.lower(), terms)) for key, body in found]
        return total, rows

    def matched(self, query: Query) -> set[str]:
        assert self.reader is not None
        where, params, _ = self.where(query.terms)
        return {key for (key,) in self.reader.execute(f"SELECT key FROM fts WHERE {where}", params)}

    def update(self, corpus: Corpus, i: int, marker: str) -> bool:
        assert self.reader is not None
        entry = _with_marker(corpus.entries[i], marker)
        conn = sqlite3.connect(self.path)
        try:
            conn.execute("DELETE FROM fts WHERE rowid = ?", (i,))
            conn.execute(
                "INSERT INTO fts(rowid, key, body) VALUES (?, ?, ?)",
                (i, entry.key, f"{clean(entry.title)}\n{clean(entry.body)}"),
            )
            conn.commit()
        finally:
            conn.close()
        return entry.key in {key for key, _ in self.page(Query(marker, ""))[1]}

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


class ScanSetup(Setup):
    name = "scan"

    def __init__(self, work: Path) -> None:
        super().__init__(work)
        self.rows: list[tuple[str, str]] = []

    def config(self) -> str:
        return "Python list of (key, fold(title) + '\\n' + fold(body)); `term in text` for every term, every entry"

    def prepare(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def build(self) -> None:
        from casebook.search import fold

        corpus = self.corpus
        self.rows = [(e.key, fold(corpus.plain(i))) for i, e in enumerate(corpus.entries)]

    def disk_bytes(self) -> int:
        return 0

    def _scan(self, terms: Sequence[str]) -> list[int]:
        rows = self.rows
        if len(terms) == 1:
            term = terms[0]
            return [i for i, (_, text) in enumerate(rows) if term in text]
        return [i for i, (_, text) in enumerate(rows) if all(t in text for t in terms)]

    def page(self, query: Query) -> Page:
        terms = query.terms
        found = self._scan(terms)
        return len(found), [(self.rows[i][0], slice_snippet(self.rows[i][1], terms)) for i in found[:PAGE]]

    def matched(self, query: Query) -> set[str]:
        return {self.rows[i][0] for i in self._scan(query.terms)}

    def update(self, corpus: Corpus, i: int, marker: str) -> bool:
        from casebook.search import fold

        entry = _with_marker(corpus.entries[i], marker)
        self.rows[i] = (entry.key, fold(f"{clean(entry.title)}\n{clean(entry.body)}"))
        return entry.key in {key for key, _ in self.page(Query(marker, ""))[1]}


class PostgresSetup(CasebookSetup):
    """casebook's own search on its PostgreSQL backend (``CASEBOOK_SEARCH=postgres``): the same
    ``search()``, ranking and facets, the documents in a table of a database made for the run."""

    name = "postgres"

    def __init__(self, work: Path) -> None:
        Setup.__init__(self, work)
        import secrets

        from sqlalchemy import create_engine, make_url, text

        from casebook.search import PgSearchIndex

        admin = make_url(os.environ.get("CASEBOOK_BENCH_POSTGRES_URL", PG_ADMIN_URL))
        self.database = f"casebook_bench_{secrets.token_hex(4)}"
        self._admin = create_engine(admin, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.database}"'))
        self.url = admin.set(database=self.database).render_as_string(hide_password=False)
        self.index = PgSearchIndex(self.url)  # type: ignore[assignment]
        self.notes = {}
        self.methods = Counter()
        self.max_pages = MAX_VERIFY_PAGES

    def config(self) -> str:
        from sqlalchemy import text

        with self.index.engine.connect() as connection:  # type: ignore[attr-defined]
            version = connection.scalar(text("SHOW server_version"))
            buffers = connection.scalar(text("SHOW shared_buffers"))
        return (
            f"casebook.search.PgSearchIndex on PostgreSQL {version} (same machine, loopback TCP, shared_buffers "
            f"{buffers}: docs/deploy.md says why it matters): grams and "
            "words as text[] with GIN indexes (grams include 'x y' around each space), candidates verified on "
            "the folded title/meta (in memory) and body (split_part in the database, a table of its own, in-row up "
            "to a page); rebuild = rows "
            "replaced in one transaction; update([doc]) in one transaction; search(q, per_page=20, "
            "expand=False), one REPEATABLE READ transaction per search, the snapshot brought forward by the "
            "rows changed since"
        )

    def prepare(self, corpus: Corpus) -> None:
        from casebook.search import PgSearchIndex

        self.docs = [self.doc(e) for e in corpus.entries]
        warm = PgSearchIndex(self.url, name="warm")  # imports and jieba's model, untimed
        warm.rebuild(self.docs[:1])
        warm.close()

    def disk_bytes(self) -> int:
        from sqlalchemy import text

        with self.index.engine.connect() as connection:  # type: ignore[attr-defined]
            tables = ("search_doc", "search_body", "search_gone")  # whichever of them the layout has
            return sum(
                int(connection.scalar(text("SELECT coalesce(pg_total_relation_size(to_regclass(:t)), 0)"), {"t": t}))
                for t in tables
            )

    def close(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        self.index.close()  # type: ignore[attr-defined]
        try:
            with self._admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        except DBAPIError as exc:  # e.g. an autovacuum worker a non-superuser may not end: the figures stand
            print(f"could not drop database {self.database} ({exc.orig}); drop it by hand", file=sys.stderr)
        finally:
            self._admin.dispose()


SETUP_CLASSES: dict[str, Callable[[Path], Setup]] = {
    "casebook": CasebookSetup,
    "whoosh-ngram": WhooshNgramSetup,
    "whoosh-ngram-1proc": WhooshNgramSingleSetup,
    "whoosh-jieba": WhooshJiebaSetup,
    "fts5-trigram": Fts5Setup,
    "scan": ScanSetup,
    "postgres": PostgresSetup,
}


# --- measuring --------------------------------------------------------------------------


@dataclass
class QueryOutcome:
    query: Query
    times_ms: list[float]
    recall: float
    precision: float
    missing: list[str]
    extra: list[str]
    returned: int


@dataclass
class SetupResult:
    name: str
    size: int
    config: str
    skipped: str = ""
    build_s: float = 0.0
    disk_mb: float = 0.0
    update_ms: float = 0.0
    update_visible: int = 0
    updates: int = 0
    outcomes: list[QueryOutcome] = field(default_factory=list)
    error: str = ""
    notes: dict[str, list[str]] = field(default_factory=dict)  # per query: inconsistencies seen while paging
    verified_by: str = ""

    @property
    def rate(self) -> float:
        return self.size / self.build_s if self.build_s else 0.0

    def times(self, select: Callable[[Query], bool]) -> list[float]:
        return [t for o in self.outcomes if select(o.query) for t in o.times_ms]

    def correctness(self, select: Callable[[Query], bool]) -> tuple[float, float]:
        """Micro-averaged recall and precision over the selected queries."""
        chosen = [o for o in self.outcomes if select(o.query)]
        truth = sum(len(o.query.truth) for o in chosen)
        returned = sum(o.returned for o in chosen)
        hit = sum(len(o.query.truth) - len(o.missing) for o in chosen)
        return (hit / truth if truth else 1.0), (hit / returned if returned else 1.0)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    at = (len(ordered) - 1) * q
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def log(message: str) -> None:
    print(message, flush=True)


def measure(setup: Setup, corpus: Corpus, queries: list[Query], args: argparse.Namespace) -> SetupResult:
    result = SetupResult(setup.name, corpus.size, setup.config())
    tag = f"[{corpus.size}] {setup.name}:"
    setup.prepare(corpus)
    started = time.perf_counter()
    setup.build()
    result.build_s = time.perf_counter() - started
    result.disk_mb = setup.disk_bytes() / 1e6
    log(f"{tag} built in {result.build_s:.1f} s ({result.rate:.0f} entries/s), {result.disk_mb:.1f} MB")

    totals = [setup.page(query)[0] for query in queries]  # warm-up pass, untimed
    timings: dict[int, list[float]] = {i: [] for i in range(len(queries))}
    started = time.perf_counter()
    for _ in range(args.repeat):
        for i, query in enumerate(queries):
            t0 = time.perf_counter()
            setup.page(query)
            timings[i].append((time.perf_counter() - t0) * 1000)
    log(f"{tag} {len(queries)} queries × {args.repeat} timed in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    notes: dict[str, list[str]] = {}
    for i, query in enumerate(queries):
        found = setup.matched(query)
        if totals[i] != len(found):
            notes[query.text] = [f"the results page said {totals[i]} results, the complete set has {len(found)}"]
        missing = sorted(query.truth - found)
        extra = sorted(found - query.truth)
        hit = len(query.truth) - len(missing)
        result.outcomes.append(
            QueryOutcome(
                query,
                timings[i],
                hit / len(query.truth) if query.truth else 1.0,
                hit / len(found) if found else 1.0,
                missing,
                extra,
                len(found),
            )
        )
    log(f"{tag} complete result sets checked against ground truth in {time.perf_counter() - started:.1f} s")
    result.notes = notes
    if isinstance(setup, CasebookSetup):
        for text, more in setup.notes.items():
            notes.setdefault(text, []).extend(more)
        result.verified_by = ", ".join(f"{n} by {how}" for how, n in sorted(setup.methods.items()))

    rng = random.Random(args.seed + corpus.size)
    times: list[float] = []
    for n in range(args.updates):
        i = rng.randrange(corpus.size)
        marker = f"updmark{n}x{rng.randrange(10**6)}"
        t0 = time.perf_counter()
        visible = setup.update(corpus, i, marker)
        times.append((time.perf_counter() - t0) * 1000)
        result.update_visible += int(visible)
    result.updates = args.updates
    result.update_ms = statistics.median(times) if times else 0.0
    log(f"{tag} update median {result.update_ms:.1f} ms, visible {result.update_visible}/{args.updates}")
    return result


# --- subprocess workers: concurrent updates, search RSS ---------------------------------


def lock_marker(worker: int, n: int) -> str:
    """A word in exactly one lock-test document (``…n1z`` is no substring of ``…n10z``)."""
    return f"lockw{worker}n{n}z"


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` on Linux, else ``getrusage``.

    ``ru_maxrss`` survives fork + exec, so a worker started by this (large) process would report
    the parent's size; ``VmHWM`` belongs to the worker's own address space.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_update(root: str, worker: int, count: int, start_at: float) -> int:
    from casebook.search import IndexDoc, SearchIndex

    index = SearchIndex(Path(root))
    while time.time() < start_at:
        time.sleep(0.001)
    failures: list[str] = []
    for n in range(count):
        doc = IndexDoc(
            key=f"case/lock-{worker}-{n}",
            kind="case",
            slug=f"lock-{worker}-{n}",
            title=f"并发写入{worker}号{n}",
            topic=TOPICS[0],
            date="2023-01-01",
            body=f"锁测试{lock_marker(worker, n)}正文，社区书记在楼院里。",
        )
        try:
            index.update([doc])
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"worker": worker, "failures": failures}), flush=True)
    return 0


def rss_split_mb() -> tuple[float, float]:
    """Current anonymous and file-backed RSS (Linux; zeros elsewhere)."""
    found = {"RssAnon:": 0.0, "RssFile:": 0.0}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            parts = line.split()
            if parts and parts[0] in found:
                found[parts[0]] = int(parts[1]) / 1024
    return found["RssAnon:"], found["RssFile:"]


def worker_rss(root: str, queries_file: str, repeat: int) -> int:
    from casebook.search import SearchIndex, search

    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    imported = peak_rss_mb()
    index = SearchIndex(Path(root))
    index.view()
    opened = peak_rss_mb()
    for _ in range(repeat):
        for text in queries:
            search(index, text, per_page=PAGE, expand=False)
    anon, mapped = rss_split_mb()
    data = {"imported": imported, "opened": opened, "peak": peak_rss_mb(), "anon": anon, "file": mapped}
    print(json.dumps(data), flush=True)
    return 0


def _self_command(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_worker", *args]


@dataclass
class LockResult:
    size: int
    calls: int
    failures: list[str]
    missing: list[str]
    seconds: float
    docs: int
    expected_docs: int


def lock_test(root: Path, size: int) -> LockResult:
    from casebook.search import SearchIndex, search

    start_at = time.time() + 5.0  # all three import casebook first, then start together
    procs = [
        subprocess.Popen(
            _self_command("update", str(root), str(w), str(LOCK_UPDATES), repr(start_at)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(LOCK_WORKERS)
    ]
    failures: list[str] = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            failures.append("worker timed out")
        if proc.returncode != 0:
            failures.append(f"worker exit {proc.returncode}: {err.strip()[-300:]}")
            continue
        for line in out.splitlines():
            with contextlib.suppress(ValueError):
                failures += json.loads(line)["failures"]
    seconds = time.time() - start_at
    index = SearchIndex(root)
    missing = [
        lock_marker(w, n)
        for w in range(LOCK_WORKERS)
        for n in range(LOCK_UPDATES)
        if [h.key for h in search(index, lock_marker(w, n), expand=False).hits] != [f"case/lock-{w}-{n}"]
    ]
    docs = index.view().searcher.doc_count()
    return LockResult(
        size, LOCK_WORKERS * LOCK_UPDATES, failures, missing, seconds, docs, size + LOCK_WORKERS * LOCK_UPDATES
    )


def rss_test(root: Path, queries: list[Query], work: Path, repeat: int) -> dict[str, float] | str:
    qfile = work / "queries.json"
    qfile.write_text(json.dumps([q.text for q in queries], ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        _self_command("rss", str(root), str(qfile), str(repeat)), capture_output=True, text=True, timeout=3600
    )
    if done.returncode != 0:
        return f"worker failed: {done.stderr.strip()[-300:]}"
    data: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


# --- one size ---------------------------------------------------------------------------


@dataclass
class SizeReport:
    size: int
    corpus_chars: int
    queries: list[Query]
    results: dict[str, SetupResult] = field(default_factory=dict)
    rss: dict[str, float] | str | None = None
    lock: LockResult | None = None


def bench_size(size: int, args: argparse.Namespace, work: Path) -> SizeReport:
    started = time.perf_counter()
    corpus = make_corpus(size, args.seed)
    chars = sum(len(t) + len(b) for t, b in corpus.folded)
    log(f"[{size}] corpus generated in {time.perf_counter() - started:.1f} s ({chars / size:.0f} chars per entry)")
    started = time.perf_counter()
    queries = pick_queries(corpus, args.seed)
    for query in queries:
        query.truth = ground_truth(corpus, query.terms)
    log(f"[{size}] {len(queries)} queries picked, ground truth by scan in {time.perf_counter() - started:.1f} s")
    report = SizeReport(size, chars, queries)
    for name in args.setups:
        if name in SLOW_SETUPS and size > args.slow_max:
            report.results[name] = SetupResult(name, size, "", skipped=f"skipped above {args.slow_max} entries")
            log(f"[{size}] {name}: skipped (slow baseline, only up to {args.slow_max} entries; see --slow-max)")
            continue
        setup = SETUP_CLASSES[name](work / f"{size}-{name}")
        if isinstance(setup, CasebookSetup):
            setup.max_pages = args.verify_pages
        try:
            report.results[name] = measure(setup, corpus, queries, args)
            if name == "casebook":
                setup.close()  # this process's searcher and its buffers go before the worker's start
                log(f"[{size}] casebook: search worker RSS (subprocess) …")
                report.rss = rss_test(setup.work, queries, work, args.repeat)
                if size == LOCK_SIZE:
                    report.lock = run_lock_test(setup.work, size)
        except Exception as exc:  # report and go on with the other setups
            import traceback

            traceback.print_exc()
            report.results[name] = SetupResult(name, size, setup.config(), error=f"{type(exc).__name__}: {exc}")
        finally:
            setup.close()
            if not args.keep:
                shutil.rmtree(setup.work, ignore_errors=True)
    return report


def run_lock_test(root: Path, size: int) -> LockResult:
    log(f"[{size}] lock test: {LOCK_WORKERS} processes × {LOCK_UPDATES} SearchIndex.update calls at once …")
    lock = lock_test(root, size)
    log(f"[{size}] lock test: {len(lock.failures)} failures, {len(lock.missing)} updates not found")
    return lock


def dedicated_lock_test(args: argparse.Namespace, work: Path) -> LockResult:
    """The lock test on a 1k casebook index of its own, when 1000 is not among the sizes."""
    from casebook.search import SearchIndex

    corpus = make_corpus(LOCK_SIZE, args.seed)
    root = work / "lock-casebook"
    SearchIndex(root).rebuild([CasebookSetup.doc(e) for e in corpus.entries])
    try:
        return run_lock_test(root, LOCK_SIZE)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


# --- report -----------------------------------------------------------------------------


def _is(cls: str | None = None, common: bool | None = None) -> Callable[[Query], bool]:
    return lambda q: (cls is None or q.cls == cls) and (common is None or q.common == common)


def _ms(values: Sequence[float]) -> str:
    if not values:
        return "—"
    return f"{percentile(values, 0.5):.1f}/{percentile(values, 0.95):.1f}"


def _rp(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.2f}/{pair[1]:.2f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(reports: Sequence[SizeReport], args: argparse.Namespace, lock: LockResult | None, version: str) -> str:
    names = [n for n in SETUPS if n in args.setups]
    now = f"{code_version()} ({code_fingerprint()})"
    if now != version:
        version += f" at the start, {now} at the end: CASEBOOK CHANGED DURING THE RUN, the figures mix versions"
    lines = [
        "",
        f"casebook {version}; seed {args.seed}; {os.cpu_count()} CPUs; 1-min load average {os.getloadavg()[0]:.2f}",
    ]
    lines.append("setups:")
    configs = {n: r.results[n].config for r in reports for n in names if n in r.results and r.results[n].config}
    for name in names:
        lines.append(f"  {name:<18} {configs.get(name, '')}")
    for rep in reports:
        lines.append("")
        queries = rep.queries
        split = {cls: [sum(q.cls == cls and q.common == c for q in queries) for c in (True, False)] for cls in CLASSES}
        counts = ", ".join(f"{cls} {c}+{r}" for cls, (c, r) in split.items())
        lines.append(
            f"=== {rep.size:,} entries ({rep.corpus_chars / rep.size:.0f} chars each); {len(queries)} queries "
            f"(common+rare: {counts}); {args.repeat} timed runs each; page = total + {PAGE} hits with snippets"
        )
        lines.append("queries (entries containing them):")
        for cls in CLASSES:
            shown = [
                f"{label} " + ", ".join(f"{q.text}({len(q.truth)})" for q in queries if q.cls == cls and q.common == c)
                for label, c in (("common:", True), ("rare:", False))
            ]
            lines.append(f"  {cls:<9} {'  '.join(shown)}")
        lines.append("")
        lines.append(f"{'setup':<18} {'build s':>8} {'entries/s':>9} {'disk MB':>8} {'update ms':>9} {'visible':>7}")
        for name in names:
            r = rep.results.get(name)
            if r is None:
                continue
            if r.skipped or r.error:
                lines.append(f"{name:<18} {r.skipped or 'ERROR ' + r.error}")
                continue
            disk = f"{r.disk_mb:.1f}" if name != "scan" else "NA"
            lines.append(
                f"{name:<18} {r.build_s:>8.1f} {r.rate:>9.0f} {disk:>8} {r.update_ms:>9.1f} "
                f"{r.update_visible:>3}/{r.updates:<3}"
            )
        lines.append("")
        lines.append("query ms p50/p95")
        header = f"{'setup':<18} " + " ".join(f"{c:>13}" for c in CLASSES)
        lines.append(header + f" {'common':>13} {'rare':>13} {'overall':>13}")
        for name in names:
            r = rep.results.get(name)
            if r is None or r.skipped or r.error:
                continue
            cells = [_ms(r.times(_is(c))) for c in CLASSES]
            cells += [_ms(r.times(_is(common=True))), _ms(r.times(_is(common=False))), _ms(r.times(_is()))]
            lines.append(f"{name:<18} " + " ".join(f"{c:>13}" for c in cells))
        lines.append("")
        lines.append("recall/precision (complete result sets vs substring ground truth, micro-averaged)")
        lines.append(header + f" {'overall':>13}  queries not 1.00/1.00")
        for name in names:
            r = rep.results.get(name)
            if r is None or r.skipped or r.error:
                continue
            cells = [_rp(r.correctness(_is(c))) for c in CLASSES] + [_rp(r.correctness(_is()))]
            imperfect = sum(1 for o in r.outcomes if o.missing or o.extra)
            lines.append(f"{name:<18} " + " ".join(f"{c:>13}" for c in cells) + f"  {imperfect}/{len(r.outcomes)}")
        if isinstance(rep.rss, dict):
            rss = rep.rss
            cb = rep.results.get("casebook")
            disk = f"; index {cb.disk_mb:.0f} MB on disk" if cb is not None and cb.disk_mb else ""
            lines.append(
                f"casebook search worker (subprocess, every query {args.repeat}×; VmHWM): {rss['imported']:.0f} MB "
                f"after imports, {rss['opened']:.0f} MB with the index open, peak {rss['peak']:.0f} MB (at the end "
                f"{rss['anon']:.0f} MB anonymous + {rss['file']:.0f} MB file-backed{disk})"
                + (
                    f" — target < {RSS_TARGET_MB} MB: {_verdict(rss['peak'] < RSS_TARGET_MB)}"
                    if rep.size == TARGET_SIZE
                    else ""
                )
            )
        elif rep.rss:
            lines.append(f"casebook search worker RSS: {rep.rss}")
        lines += _ratios(rep)
        lines += _discrepancies(rep, names, args)
    lines.append("")
    if lock is None:
        lines.append("lock test: not run")
    else:
        ok = not lock.failures and not lock.missing and lock.docs == lock.expected_docs
        lines.append(
            f"lock test ({lock.size:,}-entry casebook index, {LOCK_WORKERS} processes × {LOCK_UPDATES} "
            f"SearchIndex.update at once, {lock.seconds:.1f} s): {len(lock.failures)} failures, "
            f"{len(lock.missing)} updates not found, {lock.docs} docs (expected {lock.expected_docs}) — "
            f"target 0 errors: {_verdict(ok)}"
        )
        for failure in lock.failures[:5]:
            lines.append(f"  {failure}")
        if lock.missing:
            lines.append(f"  not found: {', '.join(lock.missing[:10])}")
    return "\n".join(lines)


def _ratios(rep: SizeReport) -> list[str]:
    cb = rep.results.get("casebook")
    if cb is None or cb.skipped or cb.error:
        return []
    out = ["", "ratios (casebook vs …)"]
    obvious = rep.results.get("whoosh-ngram")
    at_target = rep.size == TARGET_SIZE
    if obvious is not None and not obvious.skipped and not obvious.error:
        p95 = percentile(cb.times(_is()), 0.95) / percentile(obvious.times(_is()), 0.95)
        build = cb.rate / obvious.rate if obvious.rate else float("nan")
        update = cb.update_ms / obvious.update_ms if obvious.update_ms else float("nan")

        def target(text: str, ok: bool) -> str:
            return f"  (target {text}{': ' + _verdict(ok) if at_target else ', judged at 10,000'})"

        out.append(f"  query p95 / whoosh-ngram p95: {p95:.3f}" + target("≤ 0.2", p95 <= 0.2))
        out.append(f"  build entries/s / whoosh-ngram's: {build:.2f}" + target("≥ 2", build >= 2))
        out.append(f"  update time / whoosh-ngram's: {update:.2f}" + target("≤ 0.5", update <= 0.5))
    scan = rep.results.get("scan")
    if scan is not None and not scan.error:
        for common, label in ((False, "rare"), (True, "common")):
            mine, theirs = cb.times(_is(common=common)), scan.times(_is(common=common))
            p50 = percentile(theirs, 0.5) / percentile(mine, 0.5)
            p95 = percentile(theirs, 0.95) / percentile(mine, 0.95)
            goal = "≥ 5× faster" if not common else "at most 2× slower (speed-up ≥ 0.5)"
            ok = p50 >= 5 if not common else p50 >= 0.5
            out.append(
                f"  vs scan, {label} terms: speed-up {p50:.2f}× at p50, {p95:.2f}× at p95 (target {goal} at p50: "
                f"{_verdict(ok)})"
            )
    fts = rep.results.get("fts5-trigram")
    if fts is not None and not fts.error:
        p50 = percentile(fts.times(_is()), 0.5) / percentile(cb.times(_is()), 0.5)
        p95 = percentile(fts.times(_is()), 0.95) / percentile(cb.times(_is()), 0.95)
        build = cb.rate / fts.rate if fts.rate else float("nan")
        disk = cb.disk_mb / fts.disk_mb if fts.disk_mb else float("nan")
        update = cb.update_ms / fts.update_ms if fts.update_ms else float("nan")
        out.append(
            f"  vs fts5-trigram: speed-up {p50:.2f}× at p50, {p95:.2f}× at p95; build entries/s ×{build:.2f}; "
            f"disk ×{disk:.2f}; update time ×{update:.2f}"
        )
    pg = rep.results.get("postgres")
    if pg is not None and not pg.error and pg.outcomes:
        p95 = percentile(pg.times(_is()), 0.95) / percentile(cb.times(_is()), 0.95)
        p50 = percentile(pg.times(_is()), 0.5) / percentile(cb.times(_is()), 0.5)
        build = pg.rate / cb.rate if cb.rate else float("nan")
        out.append(
            f"  postgres (the PostgreSQL backend) / casebook (Whoosh): p50 ×{p50:.2f}, p95 ×{p95:.2f} "
            f"(goal p95 ≤ 2×: {_verdict(p95 <= 2)}); build entries/s ×{build:.2f}; "
            f"update {pg.update_ms:.1f} ms (goal < 50 ms: {_verdict(pg.update_ms < 50)})"
        )
    return out


def _discrepancies(rep: SizeReport, names: Sequence[str], args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for name in names:
        r = rep.results.get(name)
        if r is None or r.skipped or r.error:
            continue
        bad = [o for o in r.outcomes if o.missing or o.extra]
        if name == "casebook":
            out.append("")
            out.append(
                f"casebook result sets: {r.verified_by} (rows captured inside search() when over "
                f"{args.verify_pages} pages of {VERIFY_PAGE}, cross-checked with total and the first "
                f"{CROSS_CHECK_PAGES} pages)"
            )
            if not bad:
                out.append(f"casebook: recall and precision 1.00 on all {len(r.outcomes)} queries")
            for text, notes in r.notes.items():
                out.append(f"casebook INCONSISTENCY {text!r}: {'; '.join(notes)}")
            for o in bad:
                out.append(
                    f"casebook DISCREPANCY {o.query.text!r} ({o.query.cls}, truth {len(o.query.truth)}): "
                    f"recall {o.recall:.3f}, precision {o.precision:.3f}; missing {o.missing[:5]}, extra {o.extra[:5]}"
                )
        else:
            if bad:
                worst = sorted(bad, key=lambda o: min(o.recall, o.precision))[:4]
                shown = "; ".join(f"{o.query.text!r} R {o.recall:.2f} P {o.precision:.2f}" for o in worst)
                out.append(f"{name}: {len(bad)} queries not exact, worst: {shown}")
            for text, notes in r.notes.items():
                out.append(f"{name} inconsistency {text!r}: {'; '.join(notes)}")
    return out


def code_fingerprint() -> str:
    """Where the imported casebook lives and a hash of its Python files (to notice edits mid-run)."""
    import hashlib

    import casebook

    root = Path(casebook.__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{root} #{digest.hexdigest()[:10]}"


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "casebook"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty.strip() else "")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="corpus sizes (entries)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the corpus and query generators")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of every query (after one warm-up run)")
    parser.add_argument("--updates", type=int, default=5, help="one-entry updates timed per setup (median)")
    parser.add_argument(
        "--slow-max", type=int, default=SLOW_MAX, help="largest size at which the two Whoosh baselines run"
    )
    parser.add_argument(
        "--setups",
        nargs="+",
        choices=SETUPS,
        default=list(DEFAULT_SETUPS),
        help="which setups to run (default: all but whoosh-ngram-1proc, the single-process build of whoosh-ngram)",
    )
    parser.add_argument(
        "--verify-pages",
        type=int,
        default=MAX_VERIFY_PAGES,
        help="casebook result sets of up to this many pages of 100 are verified by paging search()",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where indexes go (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the indexes")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.updates < 1:
        parser.error("--repeat and --updates must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_worker"]:
        if argv[1] == "update":
            return worker_update(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
        return worker_rss(argv[2], argv[3], int(argv[4]))
    args = parse_args(argv)
    version = f"{code_version()} ({code_fingerprint()})"
    log(
        f"casebook {version}; seed {args.seed}; sizes {args.sizes}; setups {' '.join(args.setups)}; "
        f"1-min load average {os.getloadavg()[0]:.2f}"
    )
    work = args.workdir or Path(tempfile.mkdtemp(prefix="casebook-search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    reports: list[SizeReport] = []
    lock: LockResult | None = None
    try:
        for size in args.sizes:
            rep = bench_size(size, args, work)
            reports.append(rep)
            lock = lock or rep.lock
        if lock is None and "casebook" in args.setups:
            lock = dedicated_lock_test(args, work)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep:
            log(f"kept {work}")
    print(report(reports, args, lock, version))
    return 1 if any(r.error for rep in reports for r in rep.results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
