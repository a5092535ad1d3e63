"""Sanitized body HTML → Word paragraphs, lists and tables (python-docx); used by ``wordout``.

Pure. The HTML is what ``render.render_markdown`` made of an entry body, so only its allow-listed
tags can occur. Headings ``h2``/``h3``/``h4`` become ``Heading 1``/``2``/``3``; every ``<ol>``/``<ul>``
gets its own Word numbering instance (so a second list starts again at 1) and nested lists
become deeper levels, which is what Word — and mammoth on the way back in — read as nesting.
Text, links and pictures inside a paragraph are ``inline``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import lxml.html
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from .inline import BLOCKS, Inline, Look, finish

HEADINGS = {"h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3", "h5": "Heading 4", "h6": "Heading 5"}
"""Fixed: the importer reads ``Heading 1`` back as ``##``, ``Heading 2`` as ``###``, …"""
TABLE_HEADING = "Table Heading"
"""The paragraph style of header cells (bold, centred), added to the document by ``wordout``."""
INDENT = Pt(24)
"""Two characters of 12 pt text: the first-line indent of a Chinese paragraph, and one level of indent."""
_BULLETS = ("•", "◦", "▪")
_ORDERED = ("%1.", "（%2）", "%3)")


@dataclass(frozen=True)
class Place:
    """Where block content goes and how its plain paragraphs look."""

    container: Any
    """The Document or a table cell (both have ``add_paragraph`` and ``add_table``)."""
    indent: int = 0
    """Left indent in levels of ``INDENT`` (block quotes, list continuations)."""
    first_line: bool = True
    """Plain paragraphs start with a two-character indent (not in tables, quotes or lists)."""
    style: str | None = None
    """The paragraph style of the first paragraph (``List Number``, …)."""
    number: tuple[int, int] | None = None
    """``(numId, ilvl)`` for the first paragraph: a list item's own paragraph."""
    depth: int = 0
    """How many lists enclose this place: the level of a list written here."""


class BodyWriter:
    """Writes one body's HTML into a python-docx Document."""

    def __init__(self, document: Document, media_dir: Path, *, base_url: str = "") -> None:
        self.document = document
        section = document.sections[0]
        width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
        self.inline = Inline(media_dir, int(width), base_url)
        self.numbering = document.part.numbering_part.element

    # --- blocks ----------------------------------------------------------------------------------

    def write_html(self, html: str) -> None:
        """Append the blocks of a sanitized HTML fragment to the document."""
        if not html.strip():
            return
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        self.flow(root, Place(self.document))

    def flow(self, container: Any, place: Place) -> None:
        """Mixed content: runs of text and inline elements make paragraphs; block children go their way."""
        paragraph: Paragraph | None = None

        def opened() -> Paragraph:
            nonlocal paragraph, place
            if paragraph is None:
                paragraph = self.paragraph(place)
                place = _continued(place)
            return paragraph

        def add_text(text: str | None) -> None:
            if text and (paragraph is not None or text.strip()):
                self.inline.text(opened(), text, Look())

        add_text(container.text)
        for child in container:
            if isinstance(child.tag, str) and child.tag in BLOCKS:
                finish(paragraph)
                paragraph = None
                if place.number is not None and child.tag not in ("p", "dt"):
                    self.paragraph(place)  # an item that starts with a list or a table still shows its number
                    place = _continued(place)
                place = self.block(child, place)
            elif isinstance(child.tag, str):  # (comments and processing instructions have other tags)
                self.inline.element(opened(), child, Look())
            add_text(child.tail)
        finish(paragraph)
        if place.number is not None:
            self.paragraph(place)  # an empty item keeps its number

    def paragraph(self, place: Place, style: str | None = None) -> Paragraph:
        """A new paragraph at ``place``: numbered if it is an item's first, indented as the place says."""
        paragraph: Paragraph = place.container.add_paragraph(style=style or place.style)
        fmt = paragraph.paragraph_format
        if place.number is not None:
            self.number(paragraph, *place.number)
        elif place.indent:
            fmt.left_indent = INDENT * place.indent
        elif place.first_line and style is None and place.style is None:
            fmt.first_line_indent = INDENT
        return paragraph

    def block(self, el: Any, place: Place) -> Place:
        """Write one block element; returns the place for what follows (an item's number is used once)."""
        tag = el.tag
        if tag == "p":
            self.inline.children(self.paragraph(place), el, Look())
            return _continued(place)
        if tag == "dt":
            self.inline.children(self.paragraph(place), el, Look(bold=True))
            return _continued(place)
        if tag in HEADINGS:
            self.inline.children(place.container.add_paragraph(style=HEADINGS[tag]), el, Look())
        elif tag in ("ul", "ol"):
            self.list(el, place.container, min(place.depth, 8))
        elif tag == "table":
            self.table(el, place.container)
        elif tag in ("blockquote", "dd"):
            self.flow(el, Place(place.container, indent=place.indent + 1, first_line=False, depth=place.depth))
        elif tag == "pre":
            self.pre(el, place)
        elif tag == "hr":
            self.rule(place.container.add_paragraph())
        elif tag == "figcaption":
            self.inline.children(place.container.add_paragraph(style="Caption"), el, Look())
        else:  # div, figure, dl: their children
            self.flow(el, place)
        return place

    def pre(self, el: Any, place: Place) -> None:
        paragraph = place.container.add_paragraph()
        if place.indent:
            paragraph.paragraph_format.left_indent = INDENT * place.indent
        paragraph.paragraph_format.line_spacing = 1.0
        self.inline.run(paragraph, el.text_content().rstrip("\n"), Look(code=True))

    def rule(self, paragraph: Paragraph) -> None:
        """A horizontal rule: an empty paragraph with a bottom border."""
        border = f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr>'
        paragraph._p.get_or_add_pPr().append(parse_xml(border))

    # --- lists -----------------------------------------------------------------------------------

    def list(self, el: Any, container: Any, level: int) -> None:
        """An ``<ol>``/``<ul>`` at nesting ``level``, with its own numbering; each ``<li>`` flows with its number."""
        ordered = el.tag == "ol"
        start = _int(el.get("start")) if ordered else 1
        num_id = self.new_numbering(ordered, level, start)
        style = ("List Number" if ordered else "List Bullet") + ("" if level == 0 else f" {min(level + 1, 3)}")
        item_place = Place(container, indent=level + 1, first_line=False, style=style, number=(num_id, level))
        for item in el:
            if getattr(item, "tag", None) == "li":
                self.flow(item, replace(item_place, depth=level + 1))

    def number(self, paragraph: Paragraph, num_id: int, ilvl: int) -> None:
        """Put the paragraph in list instance ``num_id`` at level ``ilvl`` (what Word and mammoth read)."""
        numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        numbering.get_or_add_ilvl().val = ilvl
        numbering.get_or_add_numId().val = num_id

    def new_numbering(self, ordered: bool, level: int, start: int) -> int:
        """A new abstract numbering (9 levels) and a ``w:num`` for it that starts ``level`` at ``start``."""
        ids = [int(x) for x in self.numbering.xpath("./w:abstractNum/@w:abstractNumId")]
        abstract_id = max(ids, default=-1) + 1
        levels = "".join(self.level_xml(ordered, ilvl) for ilvl in range(9))
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="multilevel"/>{levels}</w:abstractNum>'
        )
        first_num = self.numbering.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)  # the schema wants every abstractNum before the first num
        else:
            self.numbering.append(abstract)
        num = self.numbering.add_num(abstract_id)
        # Word keeps list starts in a signed 32-bit number (and a list starting past that is a typo)
        num.add_lvlOverride(ilvl=level).add_startOverride(min(max(start, 0), 32767))
        return int(num.numId)

    def level_xml(self, ordered: bool, ilvl: int) -> str:
        if ordered:
            text = _ORDERED[ilvl] if ilvl < len(_ORDERED) else f"%{ilvl + 1}."
            fmt = "decimal"
        else:
            text, fmt = _BULLETS[ilvl % len(_BULLETS)], "bullet"
        left = int(INDENT.twips) * (ilvl + 1)
        return (
            f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{left}" w:hanging="{int(INDENT.twips)}"/></w:pPr></w:lvl>'
        )

    # --- tables ----------------------------------------------------------------------------------

    def table(self, el: Any, container: Any) -> None:
        """A Word table (``Table Grid``); ``thead`` rows repeat as header rows; spans become merged cells."""
        rows = el.xpath("./thead/tr|./tbody/tr|./tfoot/tr|./tr")
        taken: set[tuple[int, int]] = set()
        cells: list[tuple[int, int, int, int, Any]] = []
        for r, tr in enumerate(rows):
            c = 0
            for cell in tr.xpath("./td|./th"):
                while (r, c) in taken:
                    c += 1
                down = max(1, min(_int(cell.get("rowspan")), len(rows) - r))
                across = max(1, min(_int(cell.get("colspan")), 50))
                taken.update((r + i, c + j) for i in range(down) for j in range(across))
                cells.append((r, c, down, across, cell))
                c += across
        if not cells:
            return
        columns = max(c for _, c in taken) + 1
        table = container.add_table(len(rows), columns)
        table.style = "Table Grid"
        for r, tr in enumerate(rows):
            if tr.getparent().tag == "thead" or all(cell.tag == "th" for cell in tr.xpath("./td|./th")):
                table.rows[r]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for r, c, down, across, cell in cells:
            target = table.cell(r, c)
            if down > 1 or across > 1:
                target = target.merge(table.cell(r + down - 1, c + across - 1))
            self.cell(target, cell)

    def cell(self, target: Any, el: Any) -> None:
        """Fill a cell: its first (empty) paragraph is used first; header cells get ``TABLE_HEADING``."""
        before = list(target.paragraphs)
        self.flow(el, Place(target, first_line=False))
        if len(target.paragraphs) > len(before) and not before[0].text and not before[0]._p.xpath(".//w:drawing"):
            before[0]._p.getparent().remove(before[0]._p)
        align = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}.get(el.get("align", ""))
        for paragraph in target.paragraphs:
            paragraph.paragraph_format.line_spacing = 1.0
            if align is not None:
                paragraph.alignment = align
            if el.tag == "th":  # bold by its style, not its runs: the text itself is not emphasis
                paragraph.style = TABLE_HEADING


def _continued(place: Place) -> Place:
    """The place after an item's numbered paragraph: plain paragraphs indented under it."""
    return replace(place, number=None, style=None)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 1
