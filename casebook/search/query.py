"""Answering a query from the index: candidates by grams, exact verification, facets, ranking.

1. Each positive term (and its glossary synonyms) yields candidates: documents holding all the
   term's character bigrams. Terms of one run of 1–2 characters are exact already; longer ones
   are verified against the folded text in the index's columns.
2. Excluded terms remove documents that truly contain them.
3. Filters apply; each facet counts under all filters but its own.
4. Ranking: a phrase of the whole query, then title > summary/tags/people > body, words the
   segmenter found (or whole tag/place values) above accidental substrings, literal terms above
   synonyms; newer first on ties. Snippets are cut from the page's hits only.

With ``any_words`` (the fallback when all words together find nothing) an entry needs only one of
the words: it ranks first by how many of them it holds, then as above, and each word's count
under the same filters and exclusions is kept in ``SearchResult.word_counts``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice

from ..content.glossary import Glossary
from ..content.schema import FILTERS
from .index import FEW, SearchIndex, View
from .pg import PgSearchIndex, PgView
from .snapshot import Snapshot
from .text import ParsedQuery, exact_by_grams, fold, highlight, needed_grams, parse_query, snippet

FACETS: tuple[str, ...] = ("kind", *FILTERS)
"""Every facet of a search: the kind, and the entry fields declared filters in ``content/schema.py``."""
WEIGHT_TITLE, WEIGHT_META, WEIGHT_BODY = 100, 30, 10
WORD_BONUS, PHRASE_BONUS = 5, 1000
COUNT_BONUS = 100_000  # any_words: each word held outweighs every place and phrase score (< 3,000)
SYNONYM_FACTOR = 0.05  # a synonym in a title (5) still ranks below the literal term in a body (10)
ANSWER_ATTEMPTS = 3


@dataclass
class Hit:
    """One result: where it leads and why it matched."""

    key: str
    kind: str
    slug: str
    title: str
    topic: str
    date: dt.date
    snippet: str
    score: float
    sample: bool = False
    year: str = ""
    scope: str = ""
    title_html: str = ""
    """The title as HTML, escaped, with the query's words in ``<mark>``."""
    words: list[str] = field(default_factory=list)
    """``any_words`` only: the query's words this entry holds."""


@dataclass
class SearchResult:
    """A page of results with facet counts; ``synonyms`` lists the expansions used per term."""

    query: ParsedQuery
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    any_words: bool = False
    word_counts: dict[str, int] = field(default_factory=dict)
    """``any_words`` only: each positive word's entries under the same filters and exclusions."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class _Matcher:
    """Finds the documents containing a folded needle, exactly, within one view (Whoosh's or
    PostgreSQL's: each answers gram, word and body look-ups its own way)."""

    def __init__(self, view: View | PgView) -> None:
        self.view = view
        self.snapshot: Snapshot = view.snapshot
        self._found: dict[str, set[int]] = {}  # per search: each needle's candidates

    def candidates(self, needle: str) -> set[int]:
        """Documents holding the needle's grams: exactly its holders for a 1–2-character run, else a
        superset that ``containing`` verifies. Shared: do not modify."""
        known = self._found.get(needle)
        if known is None:
            grams = needed_grams(needle)
            exact = exact_by_grams(needle)
            known = self._found[needle] = self.view.needle_candidates(needle, grams, exact) if grams else set()
        return known

    def containing(self, needle: str, within: set[int] | None = None) -> set[int]:
        """Documents (among ``within``) that contain ``needle`` exactly."""
        found = self.candidates(needle)
        found = found & within if within is not None else set(found)
        if not found or exact_by_grams(needle):
            return found
        snap = self.snapshot
        if len(found) > FEW:  # one pass over all titles and metas beats a check per candidate
            held = found & (snap.titles.containing(needle) | snap.metas.containing(needle))
        else:
            title_f, meta_f = snap.title_f, snap.meta_f
            held = {d for d in found if needle in title_f[d] or needle in meta_f[d]}
        held |= self.view.bodies_containing(needle, found - held)
        return held

    def places(self, needle: str, holders: set[int]) -> list[tuple[int, set[int]]]:
        """Where ``needle`` occurs in each of its ``holders``: ``[(weight, docs)]`` by weight."""
        snap = self.snapshot
        if len(holders) > FEW:
            title = holders & snap.titles.containing(needle)
            meta = (holders & snap.metas.containing(needle)) - title
        else:
            title = {d for d in holders if needle in snap.title_f[d]}
            meta = {d for d in holders - title if needle in snap.meta_f[d]}
        word = holders & self.view.word_docs(needle)
        body = holders - title - meta
        out: list[tuple[int, set[int]]] = []
        for weight, docs in ((WEIGHT_TITLE, title), (WEIGHT_META, meta), (WEIGHT_BODY, body)):
            out += [(weight + WORD_BONUS, docs & word), (weight, docs - word)]
        return [(w, d) for w, d in out if d]


def search(
    index: SearchIndex | PgSearchIndex,
    raw_query: str,
    filters: Mapping[str, str] | None = None,
    page: int = 1,
    per_page: int = 20,
    glossary: Glossary | None = None,
    expand: bool = True,
    any_words: bool = False,
) -> SearchResult:
    """Run one query; every input gives a result (possibly empty), never an error.

    ``any_words``: entries holding at least one positive word, most words first (see above).
    """
    parsed = parse_query(raw_query)
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    result = SearchResult(parsed, 0, max(1, page), max(1, min(per_page, 100)), any_words=any_words)
    if not parsed.positive and not filters:
        return result
    for attempt in range(ANSWER_ATTEMPTS):
        view = index.view()
        try:
            return _answer(view, result, filters, glossary, expand)
        except Exception:
            # Whoosh opens some files lazily: a writer that commits (merging segments) or a
            # rebuild while this query reads can pull files from under it. Then answer from the
            # index as it is now; a failure on an index that did not change is a real error.
            if attempt == ANSWER_ATTEMPTS - 1 or index.is_current(view):
                raise
            result = SearchResult(parsed, 0, result.page, result.per_page, any_words=any_words)
        finally:
            view.release()
    raise AssertionError("unreachable")


def _answer(
    view: View | PgView, result: SearchResult, filters: Mapping[str, str], glossary: Glossary | None, expand: bool
) -> SearchResult:
    parsed = result.query
    positive = parsed.positive
    matcher = _Matcher(view)
    snap = view.snapshot

    alternatives: list[list[str]] = []
    for term in positive:
        extra = [fold(s) for s in glossary.synonyms(term.text)] if glossary and expand and not term.phrase else []
        alternatives.append([term.text, *extra])
        if extra:
            result.synonyms[term.text] = extra

    holders: dict[str, set[int]] = {}
    if positive and result.any_words:
        matched = set()
        for options in alternatives:
            for needle in options:
                holders[needle] = matcher.containing(needle)
            matched |= set().union(*(holders[n] for n in options))
    elif positive:
        # Intersect cheap candidate sets first, then verify only what survives.
        pool: set[int] | None = None
        for options in sorted(alternatives, key=len):
            found: set[int] = set()
            for needle in options:
                found |= matcher.candidates(needle)
            pool = found if pool is None else pool & found
            if not pool:
                break
        matched = pool or set()
        for options in alternatives:
            for needle in options:
                holders[needle] = matcher.containing(needle, matched) if matched else set()
            matched = set().union(*(holders[n] for n in options))
    else:
        matched = set(snap.live)
    for term in parsed.negative:
        if matched:
            matched -= matcher.containing(term.text, matched)

    rows = _filter_and_count(snap, matched, filters, result)
    result.total = len(rows)
    held: list[set[int]] = []  # any_words: each term's holders (any of its needles)
    if result.any_words:
        held = [set().union(*(holders[n] for n in options)) for options in alternatives]
        result.word_counts = {term.text: len(rows & docs) for term, docs in zip(positive, held, strict=True)}
    start = (result.page - 1) * result.per_page
    classes = _rank(matcher, rows, parsed, alternatives, holders, result.any_words)
    needles = [n for options in alternatives for n in options]
    shown = _page(snap, classes, start, result.per_page)
    view.prefetch_bodies([docnum for _, docnum in shown])  # PostgreSQL: the page's bodies in one query
    for score, docnum in shown:
        body = view.body(docnum, folded=False)
        kind, _, slug = snap.key[docnum].partition("/")
        result.hits.append(
            Hit(
                key=snap.key[docnum],
                kind=kind,
                slug=slug,
                title=snap.title[docnum],
                topic=snap.topic[docnum],
                date=dt.date.fromisoformat(snap.date[docnum]),
                snippet=snippet(body, view.body(docnum, folded=True), needles),
                score=score,
                sample=snap.sample[docnum],
                year=snap.year[docnum],
                scope=snap.scope[docnum],
                title_html=highlight(snap.title[docnum], needles),
                words=[t.text for t, docs in zip(positive, held, strict=True) if docnum in docs]
                if result.any_words
                else [],
            )
        )
    return result


def _filter_and_count(snap: Snapshot, matched: set[int], filters: Mapping[str, str], result: SearchResult) -> set[int]:
    """Apply filters; count each facet over documents failing no filter but its own."""
    wanted = {name: snap.facet_docs(name).get(want, frozenset()) for name, want in filters.items()}
    rows = matched.intersection(*wanted.values())
    for name in FACETS:
        docs = rows
        if name in wanted:  # add the documents that fail this facet's filter only
            others = [docs for other, docs in wanted.items() if other != name]
            docs = rows | (matched.intersection(*others) - wanted[name])
        result.facets[name] = _counts(snap, name, docs)
    return rows


def _counts(snap: Snapshot, name: str, docs: set[int]) -> dict[str, int]:
    """``{value: documents}`` of one facet among ``docs``, most first."""
    live = snap.live_set
    if len(docs) * 2 > len(live):  # most documents: count what is missing from the totals
        counts = snap.facet_totals(name).copy()
        counts.subtract(snap.tally(name, live - docs))
        counts = +counts  # drops the values left at zero
    else:
        counts = snap.tally(name, docs)
    return dict(counts.most_common())


def _rank(
    matcher: _Matcher,
    rows: set[int],
    parsed: ParsedQuery,
    alternatives: list[list[str]],
    holders: dict[str, set[int]],
    any_words: bool = False,
) -> list[tuple[float, set[int]]]:
    """``rows`` grouped by score, highest first.

    Per term, each document scores the best place of any of the term's needles: title > meta >
    body, a segmenter word above an accidental substring, the literal above its synonyms. Scores
    add up over terms, and the whole query as a phrase adds a bonus. Done with sets of documents
    (a term has at most six places per needle), never document by document. With ``any_words`` a
    document lacking a term keeps its score, and each term held adds ``COUNT_BONUS``.
    """
    bonus = COUNT_BONUS if any_words else 0
    phrase_docs: set[int] = set()
    if len(parsed.positive) > 1:
        texts = [t.text for t in parsed.positive]
        for phrase in dict.fromkeys(["".join(texts), " ".join(texts)]):
            phrase_docs |= matcher.containing(phrase, rows)
    groups: dict[float, set[int]] = {PHRASE_BONUS: phrase_docs, 0.0: rows - phrase_docs}
    for options in alternatives:
        places = [
            ((weight if rank == 0 else weight * SYNONYM_FACTOR) + bonus, docs)
            for rank, needle in enumerate(options)
            for weight, docs in matcher.places(needle, holders[needle] & rows)
        ]
        places.sort(key=lambda place: -place[0])
        best: list[tuple[float, set[int]]] = []  # each document at its best place only
        seen: set[int] = set()
        for weight, docs in places:
            if docs := docs - seen:
                best.append((weight, docs))
                seen |= docs
        added: dict[float, set[int]] = {}
        for score, docs in groups.items():
            for weight, held in best:
                if both := docs & held:
                    added.setdefault(round(score + weight, 6), set()).update(both)
            if any_words and (lacking := docs - seen):
                added.setdefault(score, set()).update(lacking)
        groups = added
    return sorted(((score, docs) for score, docs in groups.items() if docs), key=lambda group: -group[0])


def _page(snap: Snapshot, classes: list[tuple[float, set[int]]], start: int, count: int) -> list[tuple[float, int]]:
    """Ranked documents ``start`` to ``start + count``: by score, then newest first."""
    out: list[tuple[float, int]] = []
    for score, docs in classes:
        if len(out) == count:
            break
        if start >= len(docs):
            start -= len(docs)
            continue
        need = count - len(out)
        if len(docs) * 16 >= len(snap.newest_first):  # a big group: walk the date order, stop early
            picked = list(islice(filter(docs.__contains__, snap.newest_first), start, start + need))
        else:
            picked = sorted(docs, key=snap.order.__getitem__)[start : start + need]
        out += [(score, docnum) for docnum in picked]
        start = 0
    return out
