"""The converter's data: pictures found in a document, the conversion result and its blocks.

Blocks are the middle of every conversion: each reader (DOCX, HTML, text, Markdown) produces
them, the line rules (``rules.py``) refine them, ``meta.py`` takes facts off the top and
``markdown.py`` writes them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ConvertError(Exception):
    """A file that cannot be converted; the message is Chinese text to show as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Picture:
    """A picture of the document. ``ref`` is the placeholder its Markdown uses: ``![alt](ref)``."""

    ref: str
    data: bytes | None
    """The bytes, when the document holds them (DOCX media, a saved page's local file, a data: URI)."""
    url: str | None
    """Where to fetch it, when only a link is known (a 公众号 picture on mmbiz.qpic.cn)."""
    alt: str
    name: str
    """A file name for display (``图片3.png``); never used on disk."""


@dataclass
class Conversion:
    """A converted document: its Markdown body, the facts found in it, its pictures, a report."""

    markdown: str
    meta: dict[str, Any] = field(default_factory=dict)
    """Front-matter values: title, date (``datetime.date``), people, participants, street,
    community, region, tags, video, summary. Only what the document says."""
    pictures: list[Picture] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    """Chinese lines: what was converted, what was left out and why."""


# --- blocks ----------------------------------------------------------------------------------


@dataclass
class Para:
    """A paragraph of inline Markdown (already escaped where it came from rich text)."""

    text: str
    bold: bool = False
    """Every character of it is bold (a heading in disguise, in many Word and 公众号 files)."""
    centred: bool = False
    coloured: bool = False
    picture: bool = False
    """Nothing but one picture."""
    level: int | None = None
    """The list level Word gave it on the clipboard (``mso-list: … level2``), if it is a list item."""


@dataclass
class Heading:
    level: int
    text: str
    title: bool = False
    """The document's own title (Word's Title style, a page's h1): goes to ``meta["title"]``."""
    numbered: bool = False
    """Made from a ``一、`` / ``（一）`` paragraph, so never taken for the title."""


@dataclass
class Item:
    """One list item; consecutive items form a list."""

    text: str
    ordered: bool
    number: int = 1
    family: str = ""
    """What kind of marker made it (``arabic`` 1. 1、, ``paren`` （1）, ``circled`` ①, ``bullet``);
    items of a second family inside a list of the first are nested under it."""
    level: int | None = None
    """Explicit nesting (from HTML lists); None lets the families decide."""


@dataclass
class Table:
    rows: list[list[str]]
    merged: bool = False


@dataclass
class Raw:
    """Markdown kept exactly as written (a fence, an HTML comment, a list the author typed)."""

    text: str
    kind: str = "other"
    """``list``, ``table``, ``heading``, ``footnotes`` or ``other`` (for counting)."""


Block = Para | Heading | Item | Table | Raw
