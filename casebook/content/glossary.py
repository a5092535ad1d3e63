"""``content/glossary.yml``: governance terms and their synonyms, for search.

Each group is one term with synonyms (无主管楼院 ↔ 三无楼院 ↔ 老旧散楼院). Terms feed the
segmenter's user dictionary; a query for any member also finds the others, ranked lower.

Staff edit it as a form of rows (term + synonyms, separated by ， 、 , ; ； or spaces):
``glossary_rows`` fills the form, ``parse_glossary_rows`` checks what came back (problems per
row), ``dump_glossary`` writes the YAML, which ``load_glossary`` reads back to the same groups.
A YAML item holding a separator (``[物业退出，物业撤场]``) is split, with a 提示.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .frontmatter import read_yaml
from .lint import warning
from .model import Problem
from .wordlists import (
    MAX_WORD,
    FlowList,
    chinese_yaml,
    dump_yaml,
    separator_in,
    split_items,
)

FILE_NAME = "glossary.yml"


@dataclass(frozen=True)
class Glossary:
    """Term groups; ``groups[i][0]`` is the preferred term."""

    groups: tuple[tuple[str, ...], ...] = ()
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for number, group in enumerate(self.groups):
            for word in group:
                self._index.setdefault(word.casefold(), number)

    def synonyms(self, word: str) -> tuple[str, ...]:
        """The other members of ``word``'s group (empty when it is not in the glossary)."""
        number = self._index.get(word.casefold())
        if number is None:
            return ()
        return tuple(w for w in self.groups[number] if w.casefold() != word.casefold())

    @property
    def words(self) -> list[str]:
        """Every term and synonym."""
        return [w for group in self.groups for w in group]


def load_glossary(root: Path) -> tuple[Glossary, list[Problem]]:
    """Read ``glossary.yml`` (optional: a missing file is an empty glossary)."""
    path = root / FILE_NAME
    if not path.is_file():
        return Glossary(), []
    return read_glossary(path.read_text(encoding="utf-8"), path)


def read_glossary(text: str, path: Path) -> tuple[Glossary, list[Problem]]:
    """Parse the text of a glossary file; problems (in Chinese) name ``path`` and a line."""
    doc, found = read_yaml(text, path)
    problems = [chinese_yaml(p) for p in found]
    if doc is None or doc.data is None:
        return Glossary(), problems
    if not isinstance(doc.data, list):
        return Glossary(), [*problems, Problem(path, 1, "glossary.yml 应为列表：- term: …  synonyms: […]")]
    groups: list[tuple[str, ...]] = []
    seen: dict[str, str] = {}
    for line, item in zip(doc.item_lines, doc.data, strict=True):
        if not isinstance(item, dict) or not str(item.get("term") or "").strip():
            problems.append(Problem(path, line, "每一项应有 term（以及可选的 synonyms 列表）"))
            continue
        synonyms = item.get("synonyms") or []
        if isinstance(synonyms, (str, int, float)):
            synonyms = [synonyms]
        if not isinstance(synonyms, list):
            problems.append(Problem(path, line, "synonyms 应为列表"))
            synonyms = []
        for key in sorted(set(map(str, item)) - {"term", "synonyms"}):
            problems.append(Problem(path, line, f"未知字段“{key}”，已忽略"))
        group = [
            *_words(str(item["term"]), path, line, problems),
            *(w for s in synonyms if s is not None for w in _words(str(s), path, line, problems)),
        ]
        kept: list[str] = []
        for word in dict.fromkeys(group):
            if word.casefold() in seen:
                problems.append(Problem(path, line, f"“{word}”已出现在“{seen[word.casefold()]}”一组中"))
                continue
            seen[word.casefold()] = group[0]
            kept.append(word)
        if kept:
            groups.append(tuple(kept))
    return Glossary(tuple(groups)), problems


def _words(item: str, path: Path, line: int, problems: list[Problem]) -> list[str]:
    """The words of one YAML item: more than one when it holds a separator (with a 提示)."""
    words = split_items(item)
    if len(words) > 1:
        joined = "、".join(words)
        problems.append(
            warning(
                path,
                line,
                f"“{item.strip()}”中的{separator_in(item)}把它分成了 {len(words)} 个词：{joined}；"
                f"同义词请分开写，如 [{', '.join(words)}]",
            )
        )
    return words


# --- the staff form ------------------------------------------------------------------------------

Row = tuple[str, str]
"""One form row as typed: (term, synonyms)."""


def glossary_rows(glossary: Glossary) -> list[Row]:
    """The form rows of a glossary: the term, and its synonyms joined with 、."""
    return [(group[0], "、".join(group[1:])) for group in glossary.groups]


def parse_glossary_rows(rows: Sequence[Row]) -> tuple[Glossary, dict[int, list[str]]]:
    """The glossary the form rows describe, and problems by row position (0-based).

    A blank row is skipped (clearing a row deletes it); repeats inside a row are dropped.
    """
    errors: dict[int, list[str]] = {}
    groups: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for number, (term_text, synonym_text) in enumerate(rows):
        term_words, synonyms = split_items(term_text), split_items(synonym_text)
        mine: list[str] = []
        folded: set[str] = set()

        def fail(message: str, number: int = number) -> None:
            errors.setdefault(number, []).append(message)

        if not term_words and not synonyms:
            continue
        if not term_words:
            fail("有同义词但没有词语：请填写词语，或清空这一行")
        elif len(term_words) > 1:
            fail(f"“词语”一栏只填一个词（{separator_in(term_text)}会把它分开）；其余的请填到同义词里")
        for word in [*term_words[:1], *synonyms]:
            if word.casefold() in folded:
                continue
            folded.add(word.casefold())
            if len(word) > MAX_WORD:
                fail(f"“{word[:10]}…”太长：每个词最多 {MAX_WORD} 个字")
            elif word.casefold() in seen:
                fail(f"“{word}”已在第 {seen[word.casefold()] + 1} 行出现：每个词只能属于一组")
            else:
                mine.append(word)
        for word in mine:
            seen.setdefault(word.casefold(), number)
        if number not in errors:
            groups.append(tuple(mine))
    return Glossary(tuple(groups)), errors


def dump_glossary(glossary: Glossary, header: str = "") -> str:
    """The YAML text of a glossary (after ``header``, the file's comment block)."""
    items: list[dict[str, Any]] = []
    for term, *synonyms in glossary.groups:
        item: dict[str, Any] = {"term": term}
        if synonyms:
            item["synonyms"] = FlowList(synonyms)
        items.append(item)
    return dump_yaml(items, header)


__all__ = [
    "FILE_NAME",
    "Glossary",
    "Row",
    "dump_glossary",
    "glossary_rows",
    "load_glossary",
    "parse_glossary_rows",
    "read_glossary",
]
