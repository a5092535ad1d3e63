"""HTML → blocks: mammoth's output for a DOCX, a saved 公众号 page, or what Word, WPS or a
browser put on the clipboard.

Read with BeautifulSoup (lxml parser), because these pages are rarely valid HTML. Formatting is
taken from tags *and* inline styles (a 公众号 heading is often ``<p><span style="font-weight:
bold; color: rgb(…)">``), whole paragraphs stay paragraphs, ``<br>`` splits paragraphs,
pictures become ``Picture``s with placeholders, scripts, hidden elements and 公众号 chrome
(follow prompts, QR codes, 阅读原文) are dropped.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, unquote, urlsplit

from bs4 import BeautifulSoup
from bs4.element import CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from .inline import (
    PLAIN,
    Fmt,
    Seg,
    apply_format,
    hidden,
    list_marker,
    note_label,
    render_segments,
    style_of,
    text_node,
)
from .markdown import escape_text
from .model import Block, Heading, Item, Para, Picture, Raw, Table
from .rules import clean, visible

PICTURE_MAX_BYTES = 15 * 1024 * 1024
_BLOCK_TAG_NAMES = """address article aside blockquote body center dd details div dl dt fieldset figcaption figure
footer form header hgroup html li main nav ol p pre section summary table tbody td tfoot th thead tr ul
h1 h2 h3 h4 h5 h6 hr"""
_DROP_TAG_NAMES = """script style noscript template head title meta link object embed video audio canvas svg button
input select textarea map area mpvoice mpprofile qqmusic mp-miniprogram mp-common-profile mpcps
v:shapetype v:shape v:imagedata o:oleobject"""
BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())
DROP_TAGS = frozenset(_DROP_TAG_NAMES.split())
"""Never read: scripts, media players, forms, 公众号 widgets (voice, profile cards, mini programs)."""
_SKIP_NODES = (Comment, Declaration, Doctype, ProcessingInstruction, CData)
_CHROME = re.compile(
    r"(蓝字|关注我们|关注公众号|长按.{0,8}(二维码|识别|关注)|扫码关注|扫描二维码|识别二维码|阅读原文|"
    r"^(分享|点赞|在看|收藏)([，、/ ]*(分享|点赞|在看|收藏))+$|^[-—\s]*END[-—\s]*$|^(往期|推荐)(阅读|回顾|推荐))"
)
_QR = re.compile(r"qr_?code|qrcode|二维码", re.I)
_VIDEO_HOSTS = ("v.qq.com", "player.bilibili.com", "www.bilibili.com")


class Reader:
    """Walks an HTML tree into blocks, collecting pictures and what was left out."""

    def __init__(self, *, known: dict[str, Picture] | None = None, files_dir: Path | None = None) -> None:
        self.blocks: list[Block] = []
        self.pictures: list[Picture] = []
        self.known = known or {}
        self.files_dir = files_dir
        self.left_out: Counter[str] = Counter()
        self.video: str | None = None
        self.merged_cells = False

    # --- blocks ---------------------------------------------------------------------------

    def walk(self, node: Tag, centred: bool = False, level: int | None = None, fmt: Fmt = PLAIN) -> None:
        """Read the children of a block element (``fmt``: the formatting its style gives them)."""
        buffer: list[Seg] = []
        for child in node.children:
            if isinstance(child, _SKIP_NODES):
                continue
            if isinstance(child, NavigableString):
                buffer.append(Seg(escape_text(text_node(str(child))), fmt=fmt))
            elif isinstance(child, Tag) and not hidden(child) and child.name not in DROP_TAGS:
                if child.name in BLOCK_TAGS:
                    self._flush(buffer, centred, level)
                    buffer = []
                    self._block(child, centred, fmt)
                else:
                    buffer.extend(self._inline_tag(child, fmt))
            elif isinstance(child, Tag) and child.name == "iframe":
                self._iframe(child)
        self._flush(buffer, centred, level)

    def _block(self, tag: Tag, centred: bool, fmt: Fmt) -> None:
        name = tag.name
        classes = " ".join(tag.get("class") or []).lower()
        style = style_of(tag)
        centred = centred or style.get("text-align") == "center" or tag.get("align") == "center"
        centred = centred or "center" in classes.split() or name == "center"
        fmt = replace(apply_format(tag, style, fmt), href=None)
        if re.fullmatch(r"h[1-6]", name):
            text = self._line(tag)
            if visible(text):
                self.blocks.append(Heading(int(name[1]), text.replace("**", ""), title="doc-title" in classes))
        elif name in ("ul", "ol"):
            self._list(tag, 0)
        elif name == "table":
            self._table(tag)
        elif name == "hr":
            self.blocks.append(Raw("---"))
        elif name == "pre":
            self.blocks.append(Raw("```\n" + tag.get_text().strip("\n") + "\n```"))
        elif "msotitle" in classes:
            self.blocks.append(Heading(1, self._line(tag).replace("**", ""), title=True))
        elif re.fullmatch(r"_?(ftn|edn)\d+", str(tag.get("id") or "")):
            self._note(tag, str(tag["id"]).lstrip("_"))
        elif "mso-list" in style and (match := re.search(r"level(\d+)", style["mso-list"])):
            self.walk(tag, centred, int(match.group(1)) - 1, fmt)
        else:
            self.walk(tag, centred, fmt=fmt)

    def _line(self, tag: Tag) -> str:
        segs = [s if s.kind != "br" else Seg(" ") for s in self.inline(tag, PLAIN)]
        return clean(render_segments(segs))

    def _flush(self, segs: list[Seg], centred: bool, level: int | None) -> None:
        group: list[Seg] = []
        for seg in [*segs, Seg("", "br")]:
            if seg.kind != "br":
                group.append(seg)
                continue
            text = clean(render_segments(group))
            if text:
                texts = [s for s in group if s.kind == "text" and s.text.strip()]
                pictures = [s for s in group if s.kind == "img"]
                self.blocks.append(
                    Para(
                        text,
                        bold=bool(texts) and all(s.fmt.bold for s in texts),
                        centred=centred,
                        coloured=bool(texts) and all(s.fmt.colour for s in texts),
                        picture=not texts and len(pictures) == 1,
                        level=level,
                    )
                )
            group = []

    def _list(self, tag: Tag, level: int) -> None:
        items = [li for li in tag.find_all("li", recursive=False)]
        notes = [li for li in items if re.fullmatch(r"(footnote|endnote)-\d+", str(li.get("id") or ""))]
        if items and len(notes) == len(items):
            for li in items:
                self._note(li, str(li["id"]))
            return
        ordered = tag.name == "ol"
        start_attr = str(tag.get("start") or "")
        start = int(start_attr) if start_attr.isdigit() else 1
        for n, li in enumerate(items):
            nested = [child for child in li.children if isinstance(child, Tag) and child.name in ("ul", "ol")]
            for child in nested:
                child.extract()
            text = clean(render_segments([s if s.kind != "br" else Seg("<br>", "raw") for s in self.inline(li, PLAIN)]))
            text = re.sub(r"^(<br>)+|(<br>)+$", "", text)
            if visible(text):
                self.blocks.append(Item(text, ordered=ordered, number=start + n, family="word", level=level))
            for child in nested:
                self._list(child, level + 1)

    def _note(self, tag: Tag, ident: str) -> None:
        for back in tag.find_all("a", href=re.compile(r"^#(footnote-ref|endnote-ref|_ftnref|_ednref)")):
            back.decompose()
        text = clean(render_segments([s if s.kind != "br" else Seg(" ") for s in self.inline(tag, PLAIN)]))
        text = re.sub(r"^\\\[\d+\\\]\s*", "", text)
        if text:
            self.blocks.append(Raw(f"[^{note_label(ident)}]: {text}", kind="footnotes"))

    def _table(self, table: Tag) -> None:
        caption = table.find("caption", recursive=False)
        if isinstance(caption, Tag) and (said := clean(caption.get_text(" "))):
            self.blocks.append(Para(escape_text(said)))  # a table's title: a line above it
        rows: list[list[str]] = []
        pending: dict[int, int] = {}
        cells_seen: list[Tag] = []
        for tr in _rows(table):
            row: list[str] = []
            col = 0
            for cell in tr.find_all(["td", "th"], recursive=False):
                while pending.get(col, 0) > 0:
                    row.append("")
                    pending[col] -= 1
                    col += 1
                cells_seen.append(cell)
                colspan = _span(cell.get("colspan"), 50)
                rowspan = _span(cell.get("rowspan"), 500)
                if colspan > 1 or rowspan > 1:
                    self.merged_cells = True
                row.append(self._cell(cell))
                row.extend([""] * (colspan - 1))
                for c in range(col, col + colspan):
                    if rowspan > 1:
                        pending[c] = rowspan - 1
                col += colspan
            while any(pending.get(c, 0) > 0 for c in range(col, max(pending, default=-1) + 1)):
                if pending.get(col, 0) > 0:
                    pending[col] -= 1
                row.append("")
                col += 1
            if any(cell.strip() for cell in row):
                rows.append(row)
        if len(cells_seen) == 1:  # a one-cell table is a frame around text: read what it holds
            self.walk(cells_seen[0])
        elif rows:
            self.blocks.append(Table(rows, merged=self.merged_cells))

    def _cell(self, cell: Tag) -> str:
        segs = [s if s.kind != "br" else Seg("<br>", "raw") for s in self.inline(cell, PLAIN)]
        text = clean(render_segments(segs))
        return re.sub(r"(\s*<br>\s*)+", "<br>", text).removeprefix("<br>").removesuffix("<br>")

    # --- inline ---------------------------------------------------------------------------

    def inline(self, node: Tag, fmt: Fmt) -> list[Seg]:
        out: list[Seg] = []
        for child in node.children:
            if isinstance(child, _SKIP_NODES):
                continue
            if isinstance(child, NavigableString):
                out.append(Seg(escape_text(text_node(str(child))), fmt=fmt))
            elif isinstance(child, Tag):
                out.extend(self._inline_tag(child, fmt))
        return out

    def _inline_tag(self, tag: Tag, fmt: Fmt) -> list[Seg]:
        name = tag.name
        if name == "iframe":
            self._iframe(tag)
            return []
        if hidden(tag) or name in DROP_TAGS:
            return []
        style = style_of(tag)
        if style.get("mso-list") == "ignore":
            return [Seg(list_marker(tag.get_text()), "raw")]
        if name == "br":
            return [Seg("", "br")]
        if name == "img":
            return self._img(tag)
        href = str(tag.get("href") or "")
        if name == "a" and (note := re.match(r"^#(footnote|endnote|_ftn|_edn)-?(\d+)$", href)):
            return [Seg(f"[^{note_label(note.group(1) + note.group(2))}]", "raw")]
        fmt = apply_format(tag, style, fmt)
        segs = self.inline(tag, fmt)
        if name in BLOCK_TAGS:
            return [Seg("", "br"), *segs, Seg("", "br")]
        return segs

    def _iframe(self, tag: Tag) -> None:
        src = str(tag.get("data-src") or tag.get("src") or "")
        host = urlsplit(src).hostname or ""
        if self.video is None and host in _VIDEO_HOSTS:
            self.video = src if src.startswith("http") else "https:" + src if src.startswith("//") else None

    def _img(self, img: Tag) -> list[Seg]:
        src, data_src = str(img.get("src") or ""), str(img.get("data-src") or "")
        alt = clean(str(img.get("alt") or img.get("title") or ""))
        if src in self.known:
            picture = self.known[src]
            picture.alt = alt or picture.alt
        else:
            hint = " ".join([src[:300], data_src, alt, " ".join(img.get("class") or [])])
            if _QR.search(hint):
                self.left_out["qr"] += 1
                return []
            data = self._local(src) or self._local(data_src)
            url = next((u for u in (data_src, src) if u.startswith(("http://", "https://", "//"))), None)
            if url and url.startswith("//"):
                url = "https:" + url
            if data is None and url is None:
                data = _data_uri(src)
            if data is None and url is None:
                saved = next((u for u in (src, data_src) if re.search(r"[._]files/", u) and ".." not in u), "")
                key = "file-url" if src.startswith("file:") else "saved-files" if saved else "no-source"
                self.left_out[key] += 1
                if saved:  # mark the place: the picture can be inserted there by hand
                    name = PurePosixPath(unquote(urlsplit(saved).path)).name[:80].replace("--", "—")
                    note = f"此处原有图片 {name}（另存网页的 _files 文件夹里），未导入；可用“插入图片”补上"
                    return [Seg(f"<!-- {note} -->", "raw")]
                return []
            number = len(self.known) + len(self.pictures) + 1
            picture = Picture(f"picture-{number}", data, None if data else url, alt, _name(src, url, number))
        self.pictures.append(picture)
        label = re.sub(r"([\\\[\]])", r"\\\1", picture.alt)
        return [Seg(f"![{label}]({picture.ref})", "img")]

    def _local(self, src: str) -> bytes | None:
        """A picture of a saved page, from its ``*_files`` folder (never outside it)."""
        if not self.files_dir or not src or re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):
            return None
        parts = [p for p in PurePosixPath(unquote(urlsplit(src).path)).parts if p not in ("/", ".")]
        if not parts or ".." in parts:
            return None
        owner = next((i for i, p in enumerate(parts) if p.endswith(("_files", ".files"))), None)
        relative = parts[owner + 1 :] if owner is not None else parts[-1:]
        root = self.files_dir.resolve()
        candidate = root.joinpath(*relative).resolve() if relative else root
        if root not in candidate.parents or not candidate.is_file():
            return None
        if candidate.stat().st_size > PICTURE_MAX_BYTES:
            self.left_out["too-big"] += 1
            return None
        return candidate.read_bytes()


def _rows(table: Tag) -> list[Tag]:
    rows = []
    for child in table.children:
        if isinstance(child, Tag) and child.name == "tr":
            rows.append(child)
        elif isinstance(child, Tag) and child.name in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child.children if isinstance(tr, Tag) and tr.name == "tr")
    return rows


def _span(value: object, limit: int) -> int:
    text = str(value or "1").strip()
    return max(1, min(int(text), limit)) if text.isdigit() else 1


def _data_uri(src: str) -> bytes | None:
    match = re.match(r"data:image/(png|jpeg|jpg|webp|gif|bmp);base64,(.*)$", src, re.I | re.S)
    if not match:
        return None
    try:
        data = base64.b64decode(match.group(2), validate=False)
    except (binascii.Error, ValueError):
        return None
    return data if 64 <= len(data) <= PICTURE_MAX_BYTES else None  # a tiny one is a lazy-load placeholder


def _name(src: str, url: str | None, number: int) -> str:
    source = url or src
    if source.startswith("data:"):
        return f"图片{number}"
    parts = urlsplit(source)
    base = unquote(PurePosixPath(parts.path).name) or f"图片{number}"
    fmt = parse_qs(parts.query).get("wx_fmt", [""])[0]
    return f"{base}.{fmt}" if fmt and "." not in base else base[:100]


def parse(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "lxml")


def chrome_filtered(blocks: list[Block]) -> tuple[list[Block], int]:
    """Blocks without 公众号 chrome — follow prompts, 阅读原文, 分享点赞在看, END — taken only from the
    top and the bottom of the article, where the platform and its editors put them: a sentence in
    the text that mentions a QR code (老人不会扫描二维码……) stays."""

    def chrome(block: Block) -> bool:
        if not isinstance(block, Para) or block.picture:
            return False
        shown = visible(block.text)
        return len(shown) <= 40 and bool(_CHROME.search(shown))

    start, end = 0, len(blocks)
    while start < end and chrome(blocks[start]):
        start += 1
    while end > start and chrome(blocks[end - 1]):
        end -= 1
    return blocks[start:end], len(blocks) - (end - start)
