"""``content/places.yml``: each street (街道) and its communities (社区).

Entries must name a street and community exactly as listed here, so facets never split. Staff
edit it as a form of rows (street + communities, separated by ， 、 , ; ； or spaces):
``places_rows`` fills the form, ``parse_places_rows`` checks what came back (problems per row),
``dump_places`` writes the YAML, which ``read_places`` reads back to the same mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .frontmatter import read_yaml
from .lint import warning
from .model import Problem
from .wordlists import MAX_WORD, chinese_yaml, dump_yaml, separator_in, split_items

FILE_NAME = "places.yml"
Places = dict[str, tuple[str, ...]]
Row = tuple[str, str]
"""One form row as typed: (street, communities)."""


def read_places(text: str, path: Path) -> tuple[Places, list[Problem]]:
    """Parse the text of a places file; problems (in Chinese) name ``path`` and a line."""
    doc, found = read_yaml(text, path)
    problems = [chinese_yaml(p) for p in found]
    if doc is None:
        return {}, problems
    if not isinstance(doc.data, dict):
        return {}, [*problems, Problem(path, 1, "places.yml 应为“街道: [社区, …]”的映射")]
    places: Places = {}
    owner: dict[str, str] = {}
    for key, communities in doc.data.items():
        street = str(key).strip()
        line = doc.lines.get(str(key), 1)
        if communities is None:
            communities = []
        if not isinstance(communities, list):
            problems.append(Problem(path, line, f"{street} 的社区应为列表"))
            continue
        names: list[str] = []
        for item in communities:
            if item is None or not str(item).strip():
                continue
            text = str(item)
            words = split_items(text)
            if len(words) > 1:
                split = f"{separator_in(text)}把它分成了 {len(words)} 个社区：{'、'.join(words)}"
                problems.append(warning(path, line, f"“{text.strip()}”中的{split}；请每行写一个社区"))
            for name in words:
                if name in owner and owner[name] != street:
                    both = f"“{owner[name]}”和“{street}”"
                    problems.append(Problem(path, line, f"社区“{name}”同时列在{both}下；一个社区只能属于一个街道"))
                owner.setdefault(name, street)
                names.append(name)
        places[street] = tuple(dict.fromkeys(names))
    return places, problems


# --- the staff form ------------------------------------------------------------------------------


def places_rows(places: Places) -> list[Row]:
    """The form rows: each street and its communities joined with 、."""
    return [(street, "、".join(communities)) for street, communities in places.items()]


def parse_places_rows(rows: Sequence[Row]) -> tuple[Places, dict[int, list[str]]]:
    """The mapping the form rows describe, and problems by row position (0-based; -1: the whole form).

    A blank row is skipped (clearing a row deletes it); a community repeated in one row counts once.
    """
    errors: dict[int, list[str]] = {}
    places: Places = {}
    streets: dict[str, int] = {}
    owner: dict[str, int] = {}
    for number, (street_text, community_text) in enumerate(rows):
        street_words, communities = split_items(street_text), split_items(community_text)
        if not street_words and not communities:
            continue
        problems: list[str] = []
        if not street_words:
            problems.append("有社区但没有街道：请填写街道，或清空这一行")
        elif len(street_words) > 1:
            problems.append(f"“街道”一栏只填一个街道名称（{separator_in(street_text)}会把它分开）")
        elif len(street_words[0]) > MAX_WORD:
            problems.append(f"街道名称太长：最多 {MAX_WORD} 个字")
        elif street_words[0] in streets:
            problems.append(f"街道“{street_words[0]}”已在第 {streets[street_words[0]] + 1} 行出现")
        street = street_words[0] if street_words else ""
        mine: list[str] = []
        for name in dict.fromkeys(communities):
            if len(name) > MAX_WORD:
                problems.append(f"“{name[:10]}…”太长：社区名称最多 {MAX_WORD} 个字")
            elif name in owner:
                other = rows[owner[name]][0].strip()
                problems.append(f"社区“{name}”已列在第 {owner[name] + 1} 行的“{other}”下：一个社区只能属于一个街道")
            else:
                mine.append(name)
        if street:
            streets.setdefault(street, number)
        for name in mine:
            owner[name] = number
        if problems:
            errors[number] = problems
        else:
            places[street] = tuple(mine)
    if not places and not errors:
        errors[-1] = ["至少要有一个街道：条目里的街道和社区都要在这里登记"]
    return places, errors


def dump_places(places: Places, header: str = "") -> str:
    """The YAML text of the mapping (after ``header``, the file's comment block)."""
    return dump_yaml({street: list(communities) for street, communities in places.items()}, header)
