"""The one Whoosh schema, and how an entry becomes an index document.

Matching uses the ``grams`` field: every character unigram and bigram of the folded text,
without positions (cheap to build and to intersect). Candidates are verified against the folded
text (title and meta in columns, the body in the bodies file, see bodies.py), so results are exact
substrings. ``words`` holds segmenter words (jieba,
with the glossary as user dictionary) and whole tag/place values, used only for ranking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from whoosh import analysis, columns, fields, formats

from .text import clean, fold, grams

SCHEMA_VERSION = 5
SEP = "\x1f"


@dataclass(frozen=True)
class IndexDoc:
    """The public, searchable part of one published entry."""

    key: str
    kind: str
    slug: str
    title: str
    topic: str
    date: str
    body: str
    summary: str = ""
    scope: str = ""
    street: str = ""
    community: str = ""
    region: str = ""
    tags: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    sample: bool = False
    year: str = ""
    """The year facet, when it is not the date's (a project's year)."""
    chapters: tuple[str, ...] = ()
    """Chapter titles of the entry's video: found like the summary."""
    notes: tuple[str, ...] = ()
    """Other metadata found like the summary (fields declared searchable with no place of their own here)."""

    @property
    def meta(self) -> str:
        """Summary, chapters, tags, people, street, community, region, notes: one per line, never matched across."""
        parts = [self.summary, *self.chapters, *self.tags, *self.people, self.street, self.community, self.region]
        parts += self.notes
        return "\n".join(clean(p) for p in parts if p)


class TermSet(fields.FieldType):  # type: ignore[misc]
    """An indexed field fed the set of its terms directly: no analyzer runs while indexing.

    Scorable on purpose: Whoosh looks up field lengths for every posting it flushes, and for a
    field without a lengths column each look-up is a failed ``stat`` on disk.
    """

    def __init__(self) -> None:
        super().__init__(formats.Existence(), analysis.IDAnalyzer(), scorable=True)

    def index(self, value: Iterable[str], **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        return ((term.encode(), 1, 1.0, b"") for term in value)


def make_schema() -> fields.Schema:
    def column() -> fields.COLUMN:
        return fields.COLUMN(columns.VarBytesColumn())

    return fields.Schema(
        key=fields.ID(stored=True, unique=True, sortable=True),
        kind=fields.ID(sortable=True),
        topic=fields.ID(sortable=True),
        scope=fields.ID(sortable=True),
        street=fields.ID(sortable=True),
        year=fields.ID(sortable=True),
        date=fields.ID(sortable=True),
        sample=fields.ID(sortable=True),
        grams=TermSet(),
        words=TermSet(),
        tags=column(),
        title=column(),
        title_f=column(),
        meta_f=column(),
        body=fields.COLUMN(columns.CompressedBytesColumn()),
        body_at=fields.COLUMN(columns.NumericColumn("Q")),  # where the folded body is in bodies.py's file
        body_len=fields.COLUMN(columns.NumericColumn("I")),
    )


_WORD = re.compile(r"^\w+$")


@lru_cache(maxsize=4)
def _segmenter(user_words: tuple[str, ...]) -> Any:
    import jieba

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    for word in user_words:
        tokenizer.add_word(word, freq=2000)
    return tokenizer


def words_of(text: str, user_words: Iterable[str] = ()) -> set[str]:
    """Segmenter words (two characters or more) of folded text."""
    segmenter = _segmenter(tuple(sorted(fold(w) for w in user_words)))
    return {w for w in segmenter.cut(text, HMM=False) if len(w) > 1 and _WORD.match(w)}


class Prepared(NamedTuple):
    """An entry ready for the index: its field values and its folded body (UTF-8).

    ``fields["body_at"]`` is 0 until the body is written to the bodies file.
    """

    fields: dict[str, Any]
    body_f: bytes


def to_fields(doc: IndexDoc, user_words: Iterable[str] = ()) -> Prepared:
    """Whoosh field values for ``doc``, and its folded body."""
    title_f, meta_f, body_f = fold(clean(doc.title)), fold(doc.meta), fold(clean(doc.body))
    text = f"{title_f}\n{meta_f}\n{body_f}"  # newlines end character runs: no gram spans two fields
    whole = {w for w in (fold(clean(v)) for v in (*doc.tags, doc.street, doc.community) if v) if " " not in w}
    folded = body_f.encode()
    fields = {
        "key": doc.key,
        "kind": doc.kind,
        "topic": doc.topic,
        "scope": doc.scope,
        "street": doc.street,
        "year": doc.year or doc.date[:4],
        "date": doc.date,
        "sample": "1" if doc.sample else "",
        "grams": grams(text),
        "words": words_of(text, user_words) | whole,
        "tags": SEP.join(doc.tags).encode(),
        "title": doc.title.encode(),
        "title_f": title_f.encode(),
        "meta_f": meta_f.encode(),
        "body": clean(doc.body).encode(),
        "body_at": 0,
        "body_len": len(folded),
    }
    return Prepared(fields, folded)
