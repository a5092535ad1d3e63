"""Inline HTML → Word runs: text, emphasis, hyperlinks and pictures; used by ``body``.

Pure. Whitespace is collapsed as a browser would, except that a line break between two Chinese
characters disappears (a soft break in Markdown source is not a space in Chinese). Pictures are
read from ``content/media`` only; a remote one is named in a line of text, never fetched.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from PIL import Image, UnidentifiedImageError

from ..media import media_type_for

logger = logging.getLogger(__name__)

BLOCKS = {"p", "ul", "ol", "table", "blockquote", "pre", "hr", "div", "figure", "figcaption", "dl", "dt", "dd"}
BLOCKS |= {"h2", "h3", "h4", "h5", "h6"}
_EMU_PER_PX = 9525
"""A picture's pixels are shown at 96 dpi unless the page is narrower."""
_WORD_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Look:
    """How inline text is written: run formatting, and the hyperlink element runs go into."""

    bold: bool = False
    italic: bool = False
    strike: bool = False
    underline: bool = False
    code: bool = False
    sub: bool = False
    sup: bool = False
    mark: bool = False
    link: Any = None


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Inline:
    """Writes inline content into paragraphs of one document."""

    def __init__(self, media_dir: Path, page_width: int, base_url: str = "") -> None:
        self.media_dir = media_dir.resolve()
        self.page_width = page_width
        self.base_url = base_url.rstrip("/")

    def children(self, paragraph: Paragraph, el: Any, look: Look) -> None:
        """An element's content (not the element's own look) into ``paragraph``, then tidy it."""
        self.text(paragraph, el.text, look)
        for child in el:
            if isinstance(child.tag, str):
                if child.tag in BLOCKS:  # a block inside a heading or <p> cannot come from Markdown
                    self.text(paragraph, child.text_content(), look)
                else:
                    self.element(paragraph, child, look)
            self.text(paragraph, child.tail, look)
        finish(paragraph)

    def element(self, paragraph: Paragraph, el: Any, look: Look) -> None:
        """One inline element (and its children), without its tail."""
        tag = el.tag
        if tag == "br":
            self.run(paragraph, "", look).add_break()
            return
        if tag == "img":
            self.picture(paragraph, el, look)
            return
        if tag == "a":
            linked = self.link(paragraph, el, look)
            if linked is None:
                return
            look = linked
        else:
            look = _LOOKS.get(tag, lambda x: x)(look)
        self.text(paragraph, el.text, look)
        for child in el:
            if isinstance(child.tag, str):
                self.element(paragraph, child, look)
            self.text(paragraph, child.tail, look)

    def link(self, paragraph: Paragraph, el: Any, look: Look) -> Look | None:
        """A real Word hyperlink for http(s)/mailto and site links; in-page ``#`` links stay plain text."""
        href = (el.get("href") or "").strip()
        if href.startswith("#"):
            return None if el.text_content().strip() == "↩" else look  # a footnote's back-link
        if href.startswith("/") and self.base_url:
            href = self.base_url + href
        elif href.startswith("media/") and self.base_url:
            href = f"{self.base_url}/{href}"
        if not href:
            return look
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), paragraph.part.relate_to(href, RT.HYPERLINK, is_external=True))
        paragraph._p.append(hyperlink)
        return replace(look, link=hyperlink)

    def text(self, paragraph: Paragraph, text: str | None, look: Look) -> None:
        """HTML text as a run, its whitespace collapsed (code keeps its own)."""
        if not text:
            return
        if not look.code:
            text = _SPACES.sub(" ", _CJK_BREAK.sub("", text))
        self.run(paragraph, text, look)

    def run(self, paragraph: Paragraph, text: str, look: Look) -> Run:
        """One run of ``text`` formatted by ``look``, inside its hyperlink if it has one."""
        run = paragraph.add_run(_XML_UNSAFE.sub("", text))  # control characters are not allowed in XML
        run.bold = look.bold or None
        run.italic = look.italic or None
        run.font.strike = look.strike or None
        run.font.underline = look.underline or None
        run.font.subscript = look.sub or None
        run.font.superscript = look.sup or None
        if look.mark:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        if look.code:
            run.font.name = "Consolas"
        if look.link is not None:
            run.style = "Hyperlink"
            look.link.append(run._r)
        return run

    # --- pictures --------------------------------------------------------------------------------

    def picture(self, paragraph: Paragraph, img: Any, look: Look) -> None:
        """An uploaded/local picture, scaled to the page width; the alt text is its description."""
        src = (img.get("src") or "").strip()
        alt = (img.get("alt") or "").strip()
        if not src.startswith("media/"):
            self.run(paragraph, f"〔网络图片未下载：{alt or '图片'} {src}〕", look)
            return
        loaded = self.load_picture(src.removeprefix("media/"))
        if loaded is None:
            self.run(paragraph, f"〔图片缺失：{alt or '图片'} {src}〕", look)
            return
        data, width, height = loaded
        shown = min(width * _EMU_PER_PX, self.page_width)
        run = self.run(paragraph, "", replace(look, link=None))
        shape = run.add_picture(io.BytesIO(data), width=Emu(shown), height=Emu(round(shown * height / width)))
        shape._inline.docPr.set("descr", alt)
        if look.link is not None:
            look.link.append(run._r)

    def load_picture(self, path: str) -> tuple[bytes, int, int] | None:
        """``(bytes Word can show, width, height)`` of a file under the media folder, or None."""
        target = (self.media_dir / path).resolve()
        media_type = media_type_for(path)
        if media_type is None or not target.is_relative_to(self.media_dir) or not target.is_file():
            return None
        try:
            data = target.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if media_type not in _WORD_IMAGE_TYPES:  # WebP: Word cannot show it; PNG keeps every pixel
                    out = io.BytesIO()
                    image.save(out, "PNG")
                    data = out.getvalue()
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            logger.warning("picture %s could not be read for a Word export", path)
            return None
        return (data, width, height) if width > 0 and height > 0 else None


def finish(paragraph: Paragraph | None) -> None:
    """Trim the paragraph's outer spaces; a paragraph holding only pictures is centred, not indented."""
    if paragraph is None:
        return
    texts = paragraph._p.xpath(".//w:t")
    if texts:
        texts[0].text = (texts[0].text or "").lstrip()
        texts[-1].text = (texts[-1].text or "").rstrip()
    if paragraph._p.xpath(".//w:drawing") and not "".join(t.text or "" for t in texts).strip():
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = None


_LOOKS = {
    "strong": lambda look: replace(look, bold=True),
    "b": lambda look: replace(look, bold=True),
    "em": lambda look: replace(look, italic=True),
    "i": lambda look: replace(look, italic=True),
    "del": lambda look: replace(look, strike=True),
    "s": lambda look: replace(look, strike=True),
    "ins": lambda look: replace(look, underline=True),
    "code": lambda look: replace(look, code=True),
    "sub": lambda look: replace(look, sub=True),
    "sup": lambda look: replace(look, sup=True),
    "mark": lambda look: replace(look, mark=True),
}
