"""Word out: one entry as a ``.docx`` that reads like a Chinese document and imports back cleanly.

Pure (no Flask, no database). The layout is a contract with the importer (``casebook.convert``):
the title in Word's ``Title`` style, then the facts as plain ``label：value`` lines (主题、日期、街道、
社区、地区、受访者、参与者、标签、视频, and the summary as 摘要), and the body, whose Markdown headings ``##`` /
``###`` / ``####`` become ``Heading 1`` / ``Heading 2`` / ``Heading 3``. The body is rendered by the
site's own renderer and sanitizer, then that HTML is written out by ``body`` and ``inline``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from ..content import Entry, loop_part
from ..content.schema import PART_LABELS
from ..render import chinese_date, render_markdown
from .body import TABLE_HEADING, BodyWriter

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
_HEADING_SIZES = {"Title": 22, "Heading 1": 16, "Heading 2": 14, "Heading 3": 12, "Heading 4": 12, "Heading 5": 12}
"""二号 title, 三号 / 四号 / 小四 headings: the sizes of Chinese official documents."""
_BAD_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def fact_lines(entry: Entry, topic_label: str | None = None) -> list[tuple[str, str]]:
    """The ``(label, value)`` lines written under the title, in the importer's order, empty ones left out."""
    lines = [
        ("主题", topic_label or ""),
        ("日期", chinese_date(entry.date)),
        ("街道", entry.street or ""),
        ("社区", entry.community or ""),
        ("地区", entry.region or ""),
        ("受访者", "、".join(entry.people)),
        ("参与者", "、".join(entry.participants)),
        ("标签", "、".join(entry.tags)),
        ("视频", entry.video or ""),
        ("摘要", entry.summary),
    ]
    return [(label, value) for label, value in lines if value]


def subject_of(entry: Entry) -> str:
    """一谈 / 微沙龙 / 微案例 / 微分享: what the file's ``subject`` property says."""
    return PART_LABELS[loop_part(entry.kind, entry.scope)]


def download_name(entry: Entry) -> str:
    """``<title>.docx`` with the characters Windows refuses in file names replaced."""
    title = _BAD_FILENAME.sub("_", entry.title).strip(" .") or entry.slug
    return f"{title[:80]}.docx"


def entry_docx(
    entry: Entry,
    media_dir: Path,
    *,
    topic_label: str | None = None,
    base_url: str = "",
    author: str = "社区治理案例库",
    now: dt.datetime | None = None,
) -> bytes:
    """The entry as DOCX bytes; pictures come from ``media_dir`` (``content/media``), never the network."""
    document = docx.Document()
    _set_up(document)
    _properties(document, entry, topic_label, author, now or dt.datetime.now(dt.UTC))
    title = document.add_paragraph(entry.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for label, value in fact_lines(entry, topic_label):
        document.add_paragraph(f"{label}：{value}")
    if entry.sample:
        document.add_paragraph("示例内容：本篇为演示用的示例，人物姓名与具体细节均为虚构。")
    writer = BodyWriter(document, media_dir, base_url=base_url)
    writer.write_html(render_markdown(entry.body, media_url="media/"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _properties(document: Document, entry: Entry, topic_label: str | None, author: str, now: dt.datetime) -> None:
    props = document.core_properties
    props.title = entry.title
    props.subject = subject_of(entry)
    props.category = topic_label or ""
    props.keywords = "、".join(entry.tags)
    props.author = props.last_modified_by = author
    props.comments = entry.summary[:255]
    props.language = "zh-CN"
    props.created = props.modified = now.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    props.revision = 1


def _set_up(document: Document) -> None:
    """A4 with China's default margins; 宋体 body, 黑体 headings, black; a Hyperlink character style."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(3.17)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for rpr in defaults.iter(qn("w:rPr")):
            _fonts(rpr, LATIN_FONT, BODY_FONT)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    _fonts(normal.element.get_or_add_rPr(), LATIN_FONT, BODY_FONT)
    normal.font.size = Pt(12)
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    for name, size in _HEADING_SIZES.items():
        style = document.styles[name]
        _fonts(style.element.get_or_add_rPr(), LATIN_FONT, HEADING_FONT)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
    title = document.styles["Title"].element.pPr
    if title is not None and title.find(qn("w:pBdr")) is not None:
        title.remove(title.find(qn("w:pBdr")))  # the template's blue rule under the title
    _hyperlink_style(document)
    heading = document.styles.add_style(TABLE_HEADING, WD_STYLE_TYPE.PARAGRAPH)
    heading.base_style = normal
    heading.font.bold = True
    heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _fonts(rpr: Any, latin: str, east_asian: str) -> None:
    """Set ``w:rFonts`` explicitly: theme fonts would win over the names (and know no 宋体)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _hyperlink_style(document: Document) -> None:
    """The character style Word itself gives links (the template has none)."""
    style = document.styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    style.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    style.font.underline = True
