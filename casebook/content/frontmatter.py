"""Reading YAML and front matter with the line of every key, so each problem names ``path:line``.

Shared by entries, projects, topics, places and the glossary; pure (no file access beyond the text
it is given).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .limits import control_character, control_message
from .model import Problem


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML, but timestamps stay text: dates are checked by the validator, with a line."""


Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def shared_node(root: yaml.Node) -> yaml.Node | None:
    """A node reached twice (a YAML alias ``*a``), or None. Content never needs aliases, and nested
    ones expand exponentially (a few hundred bytes can become gigabytes once written out)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return None


def read_source(path: Path) -> tuple[str | None, list[Problem]]:
    """A content file's text, or None and the problem saying why it cannot be read (a file that is not
    UTF-8 is reported at the line of its first bad byte)."""
    try:
        return path.read_text(encoding="utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(path, path.read_bytes()[: exc.start].count(b"\n") + 1, "文件不是 UTF-8 编码")]
    except OSError as exc:
        return None, [Problem(path, 1, f"无法读取：{exc.strerror}")]


def split_front_matter(text: str) -> tuple[str, str] | None:
    """``(front matter, body)`` when ``text`` starts with a ``---`` line closed by another.

    Written here rather than taken from python-frontmatter, whose boundary pattern also
    swallows blank lines after ``---`` and so shifts every line number we report.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise ValueError("front matter is not closed")


@dataclass
class Document:
    """A parsed YAML document with the line of every top-level key (or list item)."""

    data: Any
    lines: dict[str, int]
    item_lines: list[int] = field(default_factory=list)
    node: Any = None
    """The composed YAML node tree, for callers that need the lines of nested keys."""


def read_yaml(
    text: str, path: Path, first_line: int = 1, loader_class: type[Any] = Loader
) -> tuple[Document | None, list[Problem]]:
    """Parse YAML, recording top-level key lines; report syntax errors and duplicate keys."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is not None and (shared := shared_node(node)) is not None:
            line = first_line + shared.start_mark.line
            return None, [Problem(path, line, "YAML 格式错误：不支持锚点和别名（& 与 *），请把内容直接写出来")]
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        control = control_character(text)
        if control is not None:  # YAML refuses most of them, with a position rather than a line
            line = first_line + text.count("\n", 0, control)
            return None, [Problem(path, line, control_message(text, control))]
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        last_line = first_line + max(0, text.count("\n") - 1)
        line = min(first_line + (mark.line if mark is not None else 0), last_line)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(path, line, f"YAML 格式错误：{reason}")]
    except (ValueError, TypeError) as exc:  # a constructor refused a value
        return None, [Problem(path, first_line, f"YAML 格式错误：{exc}")]
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    item_lines = [first_line + n.start_mark.line for n in node.value] if isinstance(node, yaml.SequenceNode) else []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = first_line + key_node.start_mark.line
            if key in lines:
                problems.append(Problem(path, line, f"字段“{key}”重复出现，只保留最后一个"))
            lines[key] = line
            if isinstance(value_node, yaml.SequenceNode):  # list items get lines too: "chapters.0"
                for n, item in enumerate(value_node.value):
                    lines[f"{key}.{n}"] = first_line + item.start_mark.line
    return Document(data, lines, item_lines, node), problems


def read_front_matter(
    text: str, path: Path, loader_class: type[Any] = Loader
) -> tuple[tuple[Document, dict[Any, Any], str] | None, list[Problem]]:
    """Split a content file into its front matter (read as a mapping) and body, with problems."""
    try:
        parts = split_front_matter(text.removeprefix("\ufeff"))
    except ValueError:
        return None, [Problem(path, 1, "前置信息没有结束：缺少第二行 ---")]
    if parts is None:
        return None, [Problem(path, 1, "缺少 YAML 前置信息：文件应以一行 --- 开头")]
    front, body = parts
    first_line = 2
    doc, problems = read_yaml(front, path, first_line, loader_class=loader_class)
    if doc is None:
        return None, problems
    meta = doc.data if doc.data is not None else {}
    if not isinstance(meta, dict):
        return None, [*problems, Problem(path, first_line, "前置信息应为“字段: 值”的映射")]
    return (doc, meta, body), problems


def body_first_line(text: str, body: str) -> int:
    """The file line on which the (leading-blank-stripped) body begins."""
    start = len(text) - len(body) + (len(body) - len(body.lstrip("\n")))
    return text.count("\n", 0, start) + 1
