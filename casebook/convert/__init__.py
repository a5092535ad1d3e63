"""One converter of staff material to casebook Markdown: DOCX, HTML (a saved 公众号 page, or
rich text from the clipboard), plain text and Markdown. Pure: no Flask, no database.

Every reader turns its source into blocks; the same line rules of Chinese documents refine
them (``rules.py``), facts near the top become front matter (``meta.py``) and the blocks are
written as Markdown (``markdown.py``). Pictures are returned as ``Picture``s whose placeholders
(``![说明](picture-1)``) the caller replaces with stored paths (``place_pictures``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import docx as docx_reader
from .html import Reader, chrome_filtered, parse
from .lines import read_lines
from .markdown import count, escape_line_start, render
from .meta import parse_date, strip_column, take_meta
from .model import Block, Conversion, ConvertError, Heading, Para, Picture
from .rules import caption_pictures, promote_bold_heads, refine, visible

__all__ = [
    "NO_ALT",
    "Conversion",
    "ConvertError",
    "Picture",
    "from_docx",
    "from_html",
    "from_markdown",
    "from_text",
    "place_pictures",
    "tidy",
]

NO_ALT = "{} 张图片没有说明文字，请在编辑器里补上（![说明](…) 的方括号内）"
"""The report line for pictures without alt text (``import_pictures`` recounts it after storing)."""

Places = Mapping[str, Sequence[str]]
_NO_PLACES: Places = {}


def _finish(
    blocks: list[Block],
    *,
    places: Places,
    extract_meta: bool,
    plain: bool,
    pictures: Sequence[Picture] = (),
    report: Sequence[str] = (),
    meta: dict[str, Any] | None = None,
) -> Conversion:
    blocks = refine(blocks)
    found: dict[str, Any] = dict(meta or {})
    notes: list[str] = []
    alts: dict[str, str] = {}
    captioned = caption_pictures(blocks, alts)
    for picture in pictures:
        picture.alt = alts.get(picture.ref, picture.alt)
    if extract_meta:
        first = blocks[0] if blocks else None
        if isinstance(first, Heading | Para) and visible(first.text) == found.get("title"):
            blocks = blocks[1:]  # the page said its title, and so does its first line
        blocks, more, notes = take_meta(blocks, places, plain=plain, title_known="title" in found)
        found = {**more, **found}
        if found.get("title"):
            found["title"], column = strip_column(found["title"])
            if column:
                notes.append(f"标题去掉了栏目名“{column}”")
    else:  # a paste: the title stays in the text, as a heading
        blocks = [Heading(2, b.text) if isinstance(b, Heading) and b.title else b for b in blocks]
    if not plain:  # rich text: a paragraph starting with # or 2022. is text, not Markdown
        blocks = promote_bold_heads(blocks)
        blocks = [replace(b, text=escape_line_start(b.text)) if isinstance(b, Para) else b for b in blocks]
    markdown = render(blocks)
    used = [p for p in pictures if f"]({p.ref})" in markdown]
    counts = count(blocks)
    counts.pictures = len(used)
    if captioned:
        notes.append(f"{captioned} 张图片用紧挨着的图注作了说明文字，请核对")
    unnamed = sum(1 for p in used if not p.alt)
    if unnamed:
        notes.append(NO_ALT.format(unnamed))
    return Conversion(markdown, found, used, [counts.line(), *_found_line(found), *notes, *report])


def _found_line(meta: Mapping[str, Any]) -> list[str]:
    names = {"title": "标题", "date": "日期", "people": "受访者", "participants": "参与者", "tags": "标签"}
    names |= {"street": "街道", "community": "社区", "region": "地区", "video": "视频", "summary": "摘要"}
    names |= {"source": "出处"}
    shown = [f"{label} {_shown(meta[key])}" for key, label in names.items() if key in meta]
    return [f"已识别：{'；'.join(shown)}"] if shown else []


def _shown(value: Any) -> str:
    if isinstance(value, dict):  # 出处: the publisher and the day
        return "，".join(str(value[k]) for k in ("name", "date") if value.get(k))
    if isinstance(value, list):
        return "、".join(map(str, value))
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def from_docx(data: bytes, *, places: Places = _NO_PLACES, extract_meta: bool = True) -> Conversion:
    """A Word document (.docx); raise ConvertError for one that cannot or must not be read."""
    html, pictures, report = docx_reader.to_html(data)
    reader = Reader(known={p.ref: p for p in pictures})
    with _not_too_deep():
        reader.walk(parse(html).body or parse("<body></body>"))
    blocks = [
        Heading(2, b.text) if isinstance(b, Heading) and b.level == 1 and not b.title else b for b in reader.blocks
    ]
    return _finish(
        blocks,
        places=places,
        extract_meta=extract_meta,
        plain=False,
        pictures=reader.pictures,
        report=[*_reader_notes(reader), *report],
    )


def from_html(
    text: str, *, files_dir: Path | None = None, places: Places = _NO_PLACES, extract_meta: bool = True
) -> Conversion:
    """A web page or clipboard HTML; ``files_dir`` is a saved page's ``*_files/`` folder."""
    soup = parse(text)
    article = soup.select_one("#js_content")
    meta: dict[str, Any] = {}
    if article is not None:
        title = soup.select_one("#activity-name") or soup.select_one("h1.rich_media_title")
        og = soup.select_one('meta[property="og:title"]')
        meta_title = title.get_text(" ", strip=True) if title else str(og.get("content") or "").strip() if og else ""
        if meta_title:
            meta["title"] = meta_title
        published = soup.select_one("#publish_time")
        date = parse_date(published.get_text()) if published else None
        if date is None:
            date = _script_date(text)
        if date:
            meta["date"] = date
        source = _wechat_source(soup, text, date)
        if source:
            meta["source"] = source
    reader = Reader(files_dir=files_dir)
    with _not_too_deep():
        reader.walk(article or soup.body or soup)
    blocks, chrome = chrome_filtered(reader.blocks)
    blocks = _levels(blocks, single_h1_is_title=extract_meta and "title" not in meta)
    if reader.video and extract_meta:
        meta.setdefault("video", reader.video)
    notes = _reader_notes(reader)
    if chrome:
        notes.append(f"已去掉公众号的关注提示、“阅读原文”等 {chrome} 处")
    if not extract_meta:
        meta = {}
    return _finish(
        blocks, places=places, extract_meta=extract_meta, plain=False, pictures=reader.pictures, report=notes, meta=meta
    )


@contextmanager
def _not_too_deep() -> Iterator[None]:
    """Elements nested hundreds deep (generated HTML, tables in tables) are refused, not a crash."""
    try:
        yield
    except RecursionError:
        raise ConvertError(
            "文件里的格式嵌套太深（几百层的表格或样式套在一起），无法转换；请另存为纯文本后再导入"
        ) from None


def _levels(blocks: list[Block], single_h1_is_title: bool) -> list[Block]:
    """Page headings shifted so the topmost section level is ``##`` (a lone first h1 is the title)."""
    headings = [b for b in blocks if isinstance(b, Heading) and not b.title]
    h1 = [b for b in headings if b.level == 1]
    if single_h1_is_title and len(h1) == 1 and blocks and blocks[0] is h1[0]:
        h1[0].title = True
        headings.remove(h1[0])
    if headings:
        shift = 2 - min(b.level for b in headings)
        for b in headings:
            b.level = min(6, b.level + shift)
    return blocks


_SCRIPT_VALUE = r"""\bvar\s+{}\s*=\s*(?:htmlDecode\()?\s*["']([^"'\n]{{1,2000}})["']"""


def _wechat_source(soup: Any, text: str, date: Any) -> dict[str, str]:
    """出处 of a saved 公众号 article: the account's name, the article's address, the publish day."""
    source: dict[str, str] = {}
    account = soup.select_one("#js_name") or soup.select_one(".profile_nickname")
    name = account.get_text(" ", strip=True) if account else ""
    if not name and (match := re.search(_SCRIPT_VALUE.format("nickname"), text)):
        name = match.group(1).strip()
    if name:
        source["name"] = name[:200]
    og = soup.select_one('meta[property="og:url"]')
    url = str(og.get("content") or "").strip() if og else ""
    if not url and (match := re.search(_SCRIPT_VALUE.format("msg_link"), text)):
        url = match.group(1).replace("&amp;", "&").replace("\\x26amp;", "&").replace("\\x26", "&").strip()
    if url.startswith("http://mp.weixin.qq.com/"):
        url = "https://" + url.removeprefix("http://")  # the same article; the platform serves it over https
    if re.match(r"^https?://[^\s\"'<>]+$", url):
        source["url"] = url
    if source and date:
        source["date"] = date.isoformat()
    return source if "name" in source else {}


def _script_date(text: str) -> Any:
    """A saved 公众号 page's publish time from its script (``var ct = "1646092800"``)."""
    import datetime as dt

    match = re.search(r"""\bct\s*=\s*["'](\d{9,10})["']""", text)
    if not match:
        return None
    china = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.fromtimestamp(int(match.group(1)), china).date()


def _reader_notes(reader: Reader) -> list[str]:
    notes = []
    if reader.merged_cells:
        notes.append("表格中的合并单元格已拆开：合并的内容只写在第一格，请核对")
    reasons = {
        "qr": "张二维码图片已去掉",
        "file-url": "张图片是复制时电脑上的临时文件（file://），无法带入，请用“插入图片”另行上传",
        "no-source": "张图片没有可用的地址，未导入",
        "saved-files": (
            "张图片在另存网页时生成的“…_files”文件夹里，没有随网页一起带进来（网页上传只带网页本身）："
            "请在编辑器里用“插入图片”补上（正文里的注释标出了位置），或用命令行 casebook import 把网页和文件夹一起导入"
        ),
        "too-big": "张图片超过 15 MB，未导入",
    }
    for key, text in reasons.items():
        if reader.left_out[key]:
            notes.append(f"{reader.left_out[key]} {text}")
    return notes


def from_text(text: str, *, places: Places = _NO_PLACES, extract_meta: bool = True) -> Conversion:
    """A .txt file or pasted plain text: every line is a paragraph; Markdown typed in it is kept."""
    blocks = read_lines(text.removeprefix("\ufeff"), markdown=False)
    return _finish(blocks, places=places, extract_meta=extract_meta, plain=True)


def from_markdown(text: str, *, places: Places = _NO_PLACES, extract_meta: bool = True) -> Conversion:
    """A .md file: its front matter (if any) is the meta; the body gets the line rules (``tidy``)."""
    from ..content.frontmatter import read_yaml, split_front_matter

    text = text.removeprefix("\ufeff")
    meta: dict[str, Any] = {}
    report: list[str] = []
    try:
        parts = split_front_matter(text)
    except ValueError:
        parts = None
        report.append("前置信息没有结束（缺少第二行 ---），已当作正文")
    if parts is not None:
        doc, problems = read_yaml(parts[0], Path("-"), 2)
        if doc is not None and isinstance(doc.data, dict):
            meta = {str(k): v for k, v in doc.data.items() if v not in (None, "")}
            if isinstance(meta.get("date"), str) and parse_date(meta["date"]):
                meta["date"] = parse_date(meta["date"])
        else:
            report.append("前置信息无法读取，已忽略：" + "；".join(p.message for p in problems))
        text = parts[1]
    blocks = read_lines(text, markdown=True)
    if meta:  # the file says what it is: no guessing from the body
        conversion = _finish(blocks, places=places, extract_meta=False, plain=True, report=report)
        conversion.meta = meta if extract_meta else {}
        return conversion
    return _finish(blocks, places=places, extract_meta=extract_meta, plain=True, report=report)


def tidy(body: str) -> str:
    """The 整理格式 button: the line rules applied to a Markdown body (Markdown kept as is)."""
    return render(refine(read_lines(body, markdown=True)))


_PLACEHOLDER = re.compile(r"!\[((?:\\.|[^\]\\])*)\]\((picture-\d+)\)")


def place_pictures(markdown: str, targets: Mapping[str, str | None], left_out: Mapping[str, str] | None = None) -> str:
    """Placeholders replaced by stored paths. A picture mapped to None is taken out: where
    ``left_out`` has a note for it, an HTML comment (never published) marks the place in the text;
    otherwise it goes, with a paragraph it leaves empty."""
    notes = left_out or {}

    def swap(match: re.Match[str]) -> str:
        target = targets.get(match.group(2))
        if target:
            return f"![{match.group(1)}]({target})"
        note = notes.get(match.group(2))
        return f"<!-- {note.replace('--', '—')} -->" if note else ""

    text = _PLACEHOLDER.sub(swap, markdown)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"(?m)^[ \t]+$", "", text)).strip("\n") + "\n" if text.strip() else ""
