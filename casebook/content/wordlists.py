"""Lists of names as people type them, and the small YAML files that hold them (glossary, places).

``split_items`` splits on every separator people use between words: ``，`` ``、`` ``,`` ``;``
``；`` and spaces (the full-width one too). ``chinese_yaml`` restates PyYAML's English syntax
errors in Chinese. ``dump_yaml`` writes clean YAML that reads back to the same data, keeping the
comment block at the top of the file it replaces.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import yaml

from .model import Problem

_SEPARATORS = re.compile(r"[，、,;；\s]+")
MAX_WORD = 40
"""Longest name or search word accepted from a form."""


def split_items(text: str) -> list[str]:
    """The words of ``text``, split on ， 、 , ; ； and whitespace; empty pieces dropped."""
    return [word for word in _SEPARATORS.split(text) if word]


def has_separator(text: str) -> bool:
    """True when ``text`` holds a separator between two words."""
    return len(split_items(text)) > 1


def separator_in(text: str) -> str:
    """The first separator inside ``text``, quoted for a message (a space is named)."""
    match = _SEPARATORS.search(text.strip())
    if match is None:
        return ""
    char = match.group()[0]
    return "空格" if char.isspace() else f"“{char}”"


# PyYAML's (and LibYAML's) problems, by a part of their text → what to tell staff.
_YAML_REASONS = (
    ("',' or ']'", "方括号 [ ] 没有闭合，或列表项之间缺少英文逗号"),
    ("',' or '}'", "花括号 { } 没有闭合，或各项之间缺少英文逗号"),
    ("tab character", "含有制表符（Tab 键打出的空白）；请改用空格缩进"),
    ("found character '\\t'", "含有制表符（Tab 键打出的空白）；请改用空格缩进"),
    ("mapping values are not allowed", "这里不能出现冒号“:”；若冒号是内容的一部分，请给整项加上引号"),
    ("could not find expected ':'", "缺少冒号“:”"),
    ("did not find expected '-' indicator", "列表项没有对齐：每一项应以“- ”开头，并与上一项对齐"),
    ("did not find expected key", "缩进不一致，或缺少冒号“:”"),
    ("expected <block end>", "缩进不一致：同一层的各项应左对齐"),
    ("found unexpected end of stream", "引号没有闭合"),
    ("found unknown escape character", "双引号里有无法识别的反斜杠“\\”；请去掉它，或改用单引号"),
    ("found undefined alias", "有以“*”开头的内容；请给这一项加上引号"),
    ("found character that cannot start any token", "有不能作为开头的字符（如 @ 或 `）；请给这一项加上引号"),
    ("single document", "文件里只能有一份内容（不要用 --- 分段）"),
    ("another document", "文件里只能有一份内容（不要用 --- 分段）"),
    ("found duplicate anchor", "有重复的“&”标记；请给这一项加上引号"),
)
YAML_ERROR = "YAML 格式错误："


def chinese_yaml(problem: Problem) -> Problem:
    """``problem`` with a PyYAML syntax error told in Chinese (other problems unchanged)."""
    if not problem.message.startswith(YAML_ERROR):
        return problem
    reason = problem.message.removeprefix(YAML_ERROR)
    for start, told in _YAML_REASONS:
        if start in reason:
            return replace(problem, message=YAML_ERROR + told)
    if any("\u4e00" <= char <= "\u9fff" for char in reason):
        return problem
    return replace(problem, message=f"{YAML_ERROR}无法读取，请检查这一行附近的缩进、冒号、引号和括号（{reason}）")


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as people write them by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class FlowList(list[str]):
    """A list written on one line: ``[三无楼院, 老旧散楼院]``."""


def _flow(dumper: yaml.SafeDumper, data: FlowList) -> Any:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(FlowList, _flow)


def dump_yaml(data: Any, header: str = "") -> str:
    """``data`` as clean YAML (Unicode as is, keys in order), after ``header`` (comment lines)."""
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)
    return header + text


def leading_comments(text: str) -> str:
    """The comment block at the top of a YAML file (kept when a form rewrites the file)."""
    kept: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("#") or not line.strip():
            kept.append(line if line.endswith("\n") else line + "\n")
            continue
        break
    while kept and not kept[-1].strip():
        kept.pop()
    return "".join(kept)
