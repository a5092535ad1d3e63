"""Answering a query from the index: candidates by grams, exact verification, facets, ranking.

1. Each positive term (and its glossary synonyms) yields candidates: documents holding all the
   term's character bigrams. Terms of one run of 1–2 characters are exact already; longer ones
   are verified against the folded text in the index's columns.
2. Excluded terms remove documents that truly contain them.
3. Filters apply; each facet counts under all filters but its own.
4. Ranking: a phrase of the whole query, then title > summary/tags/people > body, words the
   segmenter found (or whole tag/place values) above accidental substrings, literal terms above
   synonyms; newer first on ties. Snippets are cut from the page's hits only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from whoosh.query import And, Term

from ..content.glossary import Glossary
from .index import SearchIndex, Snapshot, View
from .text import ParsedQuery, exact_by_grams, fold, needed_grams, parse_query, snippet

FACETS = ("kind", "topic", "scope", "street", "tag", "year")
WEIGHT_TITLE, WEIGHT_META, WEIGHT_BODY = 100, 30, 10
WORD_BONUS, PHRASE_BONUS = 5, 1000
SYNONYM_FACTOR = 0.05  # a synonym in a title (5) still ranks below the literal term in a body (10)


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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class _Matcher:
    """Finds the documents containing a folded needle, exactly, within one view."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.snapshot: Snapshot = view.snapshot

    def candidates(self, needle: str) -> set[int]:
        grams = needed_grams(needle)
        query = And([Term("grams", g) for g in grams]) if len(grams) > 1 else Term("grams", grams[0])
        return set(self.view.searcher.docs_for_query(query))

    def occurs(self, docnum: int, needle: str) -> bool:
        snap = self.snapshot
        if needle in snap.title_f[docnum] or needle in snap.meta_f[docnum]:
            return True
        return needle in self.view.body(docnum, folded=True)

    def containing(self, needle: str, within: set[int] | None = None) -> set[int]:
        """Documents (among ``within``) that contain ``needle`` exactly."""
        found = self.candidates(needle)
        if within is not None:
            found &= within
        if exact_by_grams(needle):
            return found
        return {d for d in found if self.occurs(d, needle)}

    def weight(self, docnum: int, needle: str) -> int:
        """Where a needle known to occur in the document occurs: title, meta or body."""
        if needle in self.snapshot.title_f[docnum]:
            return WEIGHT_TITLE
        return WEIGHT_META if needle in self.snapshot.meta_f[docnum] else WEIGHT_BODY

    def words(self, word: str) -> set[int]:
        return set(self.view.searcher.docs_for_query(Term("words", word)))


def search(
    index: SearchIndex,
    raw_query: str,
    filters: Mapping[str, str] | None = None,
    page: int = 1,
    per_page: int = 20,
    glossary: Glossary | None = None,
    expand: bool = True,
) -> SearchResult:
    """Run one query; every input gives a result (possibly empty), never an error."""
    parsed = parse_query(raw_query)
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    result = SearchResult(parsed, 0, max(1, page), max(1, min(per_page, 100)))
    positive = parsed.positive
    if not positive and not filters:
        return result
    view = index.view()
    matcher = _Matcher(view)
    snap = view.snapshot

    alternatives: list[list[str]] = []
    for term in positive:
        extra = [fold(s) for s in glossary.synonyms(term.text)] if glossary and expand and not term.phrase else []
        alternatives.append([term.text, *extra])
        if extra:
            result.synonyms[term.text] = extra

    holders: dict[str, set[int]] = {}
    if positive:
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
    scored = _rank(matcher, rows, parsed, alternatives, holders)
    start = (result.page - 1) * result.per_page
    needles = [n for options in alternatives for n in options]
    for score, docnum in scored[start : start + result.per_page]:
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
            )
        )
    return result


def _values(snap: Snapshot, name: str, docnum: int) -> tuple[str, ...]:
    if name == "tag":
        return snap.tags[docnum]
    value: str = getattr(snap, name)[docnum]
    return (value,) if value else ()


def _filter_and_count(snap: Snapshot, matched: set[int], filters: Mapping[str, str], result: SearchResult) -> list[int]:
    """Apply filters; count each facet over documents failing no filter but its own."""
    rows: list[int] = []
    near: dict[str, list[int]] = {name: [] for name in FACETS}  # failing only this facet's filter
    if filters:
        for docnum in matched:
            failed = [name for name, want in filters.items() if want not in _values(snap, name, docnum)]
            if not failed:
                rows.append(docnum)
            elif len(failed) == 1:
                near[failed[0]].append(docnum)
    else:
        rows = list(matched)
    for name in FACETS:
        docs = rows + near[name] if near[name] else rows
        if name == "tag":
            counts = Counter(tag for d in docs for tag in snap.tags[d])
        else:
            values = getattr(snap, name)
            counts = Counter(values[d] for d in docs)
            counts.pop("", None)
        result.facets[name] = dict(counts.most_common())
    return rows


def _rank(
    matcher: _Matcher,
    rows: list[int],
    parsed: ParsedQuery,
    alternatives: list[list[str]],
    holders: dict[str, set[int]],
) -> list[tuple[float, int]]:
    snap = matcher.snapshot
    words = {needle: matcher.words(needle) for options in alternatives for needle in options}
    phrase_docs: set[int] = set()
    if len(parsed.positive) > 1:
        texts = [t.text for t in parsed.positive]
        for phrase in dict.fromkeys(["".join(texts), " ".join(texts)]):
            phrase_docs |= matcher.containing(phrase, set(rows))
    scored: list[tuple[float, int]] = []
    for docnum in rows:
        score = PHRASE_BONUS if docnum in phrase_docs else 0.0
        for options in alternatives:
            best = 0.0
            for rank, needle in enumerate(options):
                if docnum in holders[needle]:
                    weight = matcher.weight(docnum, needle) + (WORD_BONUS if docnum in words[needle] else 0)
                    best = max(best, weight if rank == 0 else weight * SYNONYM_FACTOR)
            score += best
        scored.append((score, docnum))
    order = snap.order
    scored.sort(key=lambda item: (-item[0], order[item[1]]))
    return scored
