"""Editor inputs that hold a structured field as text: chapters and attachments one per line, the
parts of a small mapping (出处) as inputs of their own. Pure: no Flask, no database."""

from __future__ import annotations

import re

from ..content.model import Attachment, Chapter
from ..content.schema import Field

_CHAPTER_LINE = re.compile(r"^(\S+)(?:\s+(.*))?$")


def chapters_from_text(text: str) -> list[dict[str, str]]:
    """The chapters textarea (``03:15 标题`` per line) as front-matter items; the validator checks them."""
    items: list[dict[str, str]] = []
    for line in text.splitlines():
        match = _CHAPTER_LINE.match(line.strip())
        if match:
            items.append({"at": match.group(1), "title": (match.group(2) or "").strip()})
    return items


def chapters_text(chapters: tuple[Chapter, ...]) -> str:
    """Chapters as the editor shows them: ``03:15 标题`` per line."""
    return "\n".join(f"{c.time} {c.title}" for c in chapters)


def attachments_from_text(text: str) -> list[dict[str, str]]:
    """The attachments textarea (``attachments/2026/….docx 标题`` per line) as front-matter items."""
    items: list[dict[str, str]] = []
    for line in text.splitlines():
        match = _CHAPTER_LINE.match(line.strip())
        if match:
            items.append({"file": match.group(1), "title": (match.group(2) or "").strip()})
    return items


def attachments_text(attachments: tuple[Attachment, ...] | None) -> str:
    """Attachments as the editor shows them: ``path 标题`` per line."""
    return "\n".join(f"{a.file} {a.title}" for a in attachments or ())


def part_inputs(spec: Field) -> dict[str, str]:
    """The editor's input name of each part of a ``source`` field: ``source-name`` …"""
    return {part: f"{spec.key}-{part}" for part, _ in spec.parts}
