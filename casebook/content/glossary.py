"""``content/glossary.yml``: governance terms and their synonyms, for search.

Each group is one term with synonyms (无主管楼院 ↔ 三无楼院 ↔ 老旧散楼院). Terms feed the
segmenter's user dictionary; a query for any member also finds the others, ranked lower.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .files import read_yaml
from .model import Problem


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
    path = root / "glossary.yml"
    if not path.is_file():
        return Glossary(), []
    doc, problems = read_yaml(path.read_text(encoding="utf-8"), path)
    if doc is None:
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
        if isinstance(synonyms, str):
            synonyms = [synonyms]
        if not isinstance(synonyms, list):
            problems.append(Problem(path, line, "synonyms 应为列表"))
            synonyms = []
        for key in sorted(set(map(str, item)) - {"term", "synonyms"}):
            problems.append(Problem(path, line, f"未知字段“{key}”，已忽略"))
        group = [str(item["term"]).strip(), *(str(s).strip() for s in synonyms if str(s).strip())]
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
