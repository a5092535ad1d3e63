"""Text handling for Chinese search: normalization, character grams, query parsing, snippets.

Matching is by substring: a query term matches an entry when the normalized term occurs in the
entry's normalized text. Normalization maps each character to exactly one character, so an
offset in normalized text is the same offset in the original — snippets need no re-analysis.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

_WORD_RUN = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).lower()
    if len(folded) == 1:
        return folded
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def fold(text: str) -> str:
    """Per-character NFKC + lower case, keeping the length: ``ＡＥＤ　１２`` → ``aed 12``."""
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))


def clean(text: str) -> str:
    """Whitespace collapsed to single spaces, trimmed — the stored form of searchable text."""
    return _SPACES.sub(" ", text).strip()


def runs(text: str) -> list[str]:
    """Runs of word characters (letters, digits, CJK) in folded text."""
    return _WORD_RUN.findall(text)


def grams(text: str) -> set[str]:
    """Every character unigram and bigram inside word runs: what the index stores."""
    out: set[str] = set()
    for run in runs(text):
        out.update(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


_SPACED = re.compile(r"(?=(\w \w))")


def spaced_grams(text: str) -> set[str]:
    """Every ``x y`` in folded text: two word characters around one space (``人民 服务`` → ``民 服``).

    Not in the Whoosh index (it verifies such needles in its mapped bodies); the PostgreSQL index
    adds them to its grams, so a needle with a space (a query's words as one phrase) is looked up
    by them and only its few holders are read. Fields are joined by newlines, never a space:
    no ``x y`` spans two fields."""
    return set(_SPACED.findall(text))


def needed_grams(term: str) -> list[str]:
    """The grams an entry must contain to possibly contain ``term`` (bigrams, or the lone unigram)."""
    out: list[str] = []
    for run in runs(term):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
    return list(dict.fromkeys(out))


def exact_by_grams(term: str) -> bool:
    """True when having the grams already proves the substring (one run of 1–2 characters)."""
    found = runs(term)
    return len(found) == 1 and found[0] == term and len(term) <= 2


# Quote pairs people type: ASCII, curly Chinese quotes, corner brackets.
_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "＂": "＂"}
_MAX_QUERY = 200
_MAX_TERMS = 12


@dataclass(frozen=True)
class Term:
    """One thing the query asks for: a word or a quoted phrase, possibly excluded."""

    text: str
    exclude: bool = False
    phrase: bool = False


@dataclass
class ParsedQuery:
    """A user's query as terms; ``text`` is the normalized query shown back to them."""

    text: str
    terms: list[Term] = field(default_factory=list)

    @property
    def positive(self) -> list[Term]:
        return [t for t in self.terms if not t.exclude]

    @property
    def negative(self) -> list[Term]:
        return [t for t in self.terms if t.exclude]


def parse_query(raw: str) -> ParsedQuery:
    """Split what a user typed into terms; nothing they type is syntax that can fail.

    Spaces (including U+3000) separate words that must all occur; ``"…"``, ``“…”`` and ``「…」``
    quote an exact phrase; a leading ``-`` or ``－`` excludes. Terms without any letter, digit or
    Chinese character (``*``, ``()``, emoji) cannot be matched by substring and are dropped.
    """
    text = clean(unicodedata.normalize("NFKC", raw.replace("\x00", " "))[:_MAX_QUERY])
    terms: list[Term] = []
    i = 0
    while i < len(text) and len(terms) < _MAX_TERMS:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        exclude = char in "-－" and i + 1 < len(text) and not text[i + 1].isspace()
        start = i + 1 if exclude else i
        opener = text[start] if start < len(text) else ""
        if opener in _QUOTES:
            end = text.find(_QUOTES[opener], start + 1)
            end = len(text) if end == -1 else end
            body, i, phrase = text[start + 1 : end], end + 1, True
        else:
            end = start
            while end < len(text) and not text[end].isspace():
                end += 1
            body, i, phrase = text[start:end], end, False
            body = body.strip("".join(_QUOTES) + "".join(_QUOTES.values()))
        folded = fold(clean(body))
        if runs(folded):
            terms.append(Term(folded, exclude=exclude, phrase=phrase or " " in folded))
    unique = list(dict.fromkeys(terms))
    return ParsedQuery(text=text, terms=unique)


def term_query(term: Term, negative: list[Term] | None = None) -> str:
    """A query for one term alone, keeping the exclusions: ``物业 -退出`` (phrases in “…”)."""

    def spelled(t: Term) -> str:
        return f"“{t.text}”" if t.phrase else t.text

    return " ".join([spelled(term), *("-" + spelled(t) for t in negative or [])])


def highlight(original: str, needles: list[str]) -> str:
    """HTML: all of ``original`` escaped, every occurrence of a (folded) needle in ``<mark>``."""
    return snippet(original, fold(original), needles, width=max(1, len(original)))


def snippet(original: str, folded: str, needles: list[str], width: int = 80) -> str:
    """HTML: a window of ``original`` around the first needle found, every needle in ``<mark>``.

    ``folded`` is ``fold(original)`` (same length), so offsets found in it apply to ``original``.
    """
    spans: list[tuple[int, int]] = []
    for needle in sorted(set(filter(None, needles)), key=len, reverse=True):
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    if spans:
        first = min(spans)[0]
        left = max(0, first - width // 3)
    else:
        left = 0
    right = min(len(original), left + width)
    left = max(0, min(left, right - width))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[0] < right and s[1] > left):
        start, end = max(start, left), min(end, right)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out = ["…" if left > 0 else ""]
    cursor = left
    for start, end in merged:
        out.append(html.escape(original[cursor:start]))
        out.append(f"<mark>{html.escape(original[start:end])}</mark>")
        cursor = end
    out.append(html.escape(original[cursor:right]))
    out.append("…" if right < len(original) else "")
    return "".join(out)
