"""Blocks → Markdown, and the counts the import report gives.

Every block is separated from the next by a blank line (so a list or a table always has one
before it); the items of one list stay together, a second marker family nested under the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Block, Heading, Item, Para, Raw, Table

_LINE_START = re.compile(r"^(#|>|[-+*](?=\s)|=+\s*$|(\d+)([.)])(?=\s|$))")
_MAX_DEPTH = 3


def escape_text(text: str) -> str:
    """Plain text from a rich document as inline Markdown that shows exactly that text."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([`*_\[\]])", r"\\\1", text)
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    return text.replace("<", "&lt;")


def escape_line_start(text: str) -> str:
    """Keep a paragraph a paragraph: ``#``, ``>``, ``- ``, ``2022. `` at its start are literal."""
    match = _LINE_START.match(text)
    if not match:
        return text
    if match.group(2):
        return f"{match.group(2)}\\{match.group(3)}{text[match.end() :]}"
    return "\\" + text


def _cell(text: str) -> str:
    text = text.strip().replace("|", "\\|").replace("\n", "<br>")
    return text or " "


def table_markdown(rows: Sequence[Sequence[str]]) -> str:
    """A pipe table; the first row is the header (Markdown needs one)."""
    width = max(len(row) for row in rows)
    lines = []
    for n, row in enumerate(rows):
        cells = [_cell(c) for c in row] + [" "] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append("|" + "|".join([" --- "] * width) + "|")
    return "\n".join(lines)


def _list_lines(items: Sequence[Item]) -> list[str]:
    families: list[str] = []
    lines = []
    for item in items:
        if item.level is not None:
            level = min(item.level, _MAX_DEPTH - 1)
        else:
            if item.family in families:
                del families[families.index(item.family) + 1 :]
            elif len(families) < _MAX_DEPTH:
                families.append(item.family)
            level = families.index(item.family) if item.family in families else len(families) - 1
        marker = f"{item.number}." if item.ordered else "-"
        text = " ".join(item.text.split("\n"))
        lines.append("    " * level + f"{marker} {text}")
    return lines


def _runs(blocks: Sequence[Block]) -> list[Block | list[Item]]:
    """Blocks with consecutive list items gathered; a change of list type at the top level of a
    family-nested list starts a new list (Markdown would otherwise glue them together)."""
    out: list[Block | list[Item]] = []
    for block in blocks:
        last = out[-1] if out else None
        if isinstance(block, Item) and isinstance(last, list):
            top = last[0]
            at_top = block.level == 0 if block.level is not None else block.family == top.family
            same_kind = (block.level is None) == (top.level is None)  # Word's lists and typed ones stay apart
            if same_kind and not (at_top and block.ordered != top.ordered):
                last.append(block)
                continue
        out.append([block] if isinstance(block, Item) else block)
    return out


def render(blocks: Sequence[Block]) -> str:
    """The Markdown body: blocks separated by blank lines, ending with one newline."""
    parts: list[str] = []
    for run in _runs(blocks):
        if isinstance(run, list):
            parts.append("\n".join(_list_lines(run)))
        elif isinstance(run, Heading):
            parts.append("#" * max(1, min(run.level, 6)) + " " + run.text)
        elif isinstance(run, Table):
            parts.append(table_markdown(run.rows))
        elif isinstance(run, Raw):
            parts.append(run.text.strip("\n"))
        elif isinstance(run, Para):
            parts.append(run.text)
    text = "\n\n".join(p for p in parts if p.strip())
    return text + "\n" if text else ""


@dataclass
class Counts:
    paragraphs: int = 0
    headings: int = 0
    lists: int = 0
    tables: int = 0
    pictures: int = 0

    def line(self) -> str:
        return (
            f"已转换：{self.paragraphs} 段，{self.headings} 个标题，{self.lists} 个列表，"
            f"{self.tables} 个表格，{self.pictures} 张图片"
        )


def count(blocks: Sequence[Block]) -> Counts:
    counts = Counts()
    for run in _runs(blocks):
        if isinstance(run, list) or (isinstance(run, Raw) and run.kind == "list"):
            counts.lists += 1
        elif isinstance(run, Heading) or (isinstance(run, Raw) and run.kind == "heading"):
            counts.headings += 1
        elif isinstance(run, Table) or (isinstance(run, Raw) and run.kind == "table"):
            counts.tables += 1
        elif isinstance(run, Para) and not run.picture:
            counts.paragraphs += 1
    return counts
