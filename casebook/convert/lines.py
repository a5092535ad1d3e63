"""Text and Markdown bodies read line by line into blocks.

Markdown the author wrote (headings, lists, tables, fences, quotes, HTML comments such as the
new-entry hint) is kept exactly; every other non-blank line is a paragraph of its own, so a
single line break from Word, WeChat or a .txt file never glues two paragraphs into one.
"""

from __future__ import annotations

import re

from .model import Block, Heading, Para, Raw
from .rules import CJK, clean

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_TABLE = re.compile(r"^\s*\|.*\|\s*$")
_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+\S")
_QUOTE = re.compile(r"^\s{0,3}>")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_DEFINITION = re.compile(r"^\s{0,3}\[(?:\^[^\]]+|[^\]^][^\]]*)\]:\s*\S")
_HTML_BLOCK = re.compile(r"^\s{0,3}<(?:div|table|figure|details|section|iframe|video|p|pre|dl|blockquote)\b", re.I)
_YEAR = re.compile(r"^(\d{4,})([.)])(?=\s)")
_HASHTAG = re.compile(r"^#(?=[^#\s])")
_ANGLE = re.compile(rf"<(?=\s*[{CJK}《])")


def _literal(text: str) -> str:
    """Plain-text lines: a ``#话题#`` start and a ``<社区>`` stay text, never a heading or a tag."""
    return _ANGLE.sub("&lt;", _HASHTAG.sub(r"\\#", text))


def read_lines(text: str, *, markdown: bool) -> list[Block]:
    """Blocks of a body; ``markdown`` keeps raw HTML blocks (plain text escapes ``<社区>``)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    n = 0

    def gather(start: int, keep: re.Pattern[str] | None = None, until: str | None = None) -> int:
        """Collect lines from ``start`` while they match ``keep`` (or until a line contains ``until``)."""
        end = start + 1
        while end < len(lines):
            line = lines[end]
            if until is not None:
                end += 1
                if until in line:
                    break
                continue
            if keep is None or not line.strip() or not keep.match(line):
                break
            end += 1
        return end

    while n < len(lines):
        line = lines[n]
        stripped = line.strip()
        fence = _FENCE.match(line)
        if not stripped:
            n += 1
        elif fence:
            closing = re.compile(rf"^\s{{0,3}}{re.escape(fence.group(1)[0])}{{{len(fence.group(1))},}}\s*$")
            end = n + 1
            while end < len(lines) and not closing.match(lines[end]):
                end += 1
            blocks.append(Raw("\n".join(lines[n : end + 1])))
            n = end + 1
        elif stripped.startswith("<!--"):
            end = n + 1 if "-->" in stripped else gather(n, until="-->")
            blocks.append(Raw("\n".join(lines[n:end])))
            n = end
        elif markdown and _HTML_BLOCK.match(line):
            end = n + 1
            while end < len(lines) and lines[end].strip():
                end += 1
            blocks.append(Raw("\n".join(lines[n:end])))
            n = end
        elif heading := _HEADING.match(line):
            blocks.append(Heading(len(heading.group(1)), heading.group(2).strip()))
            n += 1
        elif _TABLE.match(line):
            end = gather(n, _TABLE)
            blocks.append(Raw("\n".join(x.strip() for x in lines[n:end]), kind="table"))
            n = end
        elif _ITEM.match(line):
            end = gather(n, re.compile(r"^(?:\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+\S|\s+\S)"))
            blocks.append(Raw("\n".join(x.rstrip() for x in lines[n:end]), kind="list"))
            n = end
        elif _QUOTE.match(line):
            end = gather(n, _QUOTE)
            blocks.append(Raw("\n".join(x.rstrip() for x in lines[n:end])))
            n = end
        elif _RULE.match(line):
            blocks.append(Raw(stripped))
            n += 1
        elif _DEFINITION.match(line):
            end = gather(n, re.compile(r"^\s+\S"))
            blocks.append(Raw("\n".join(x.rstrip() for x in lines[n:end])))
            n = end
        else:
            text = _YEAR.sub(r"\1\\\2", clean(line))  # 2022. 3月… is a year, not a list of 2,022 items
            blocks.append(Para(text if markdown else _literal(text)))
            n += 1
    return blocks
