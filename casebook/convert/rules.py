"""The line rules of Chinese official and community documents, applied to paragraphs.

``一、`` → ``##``, ``（一）`` → ``###``, ``1.`` ``1、`` ``（1）`` ``①`` → ordered lists, ``●`` ``■``
``·`` ``-`` ``•`` → bullet lists, ``问：`` / ``张书记：`` → a bold speaker; full-width indents, NBSP
and stray spaces removed. Every reader hands its paragraphs through ``refine``, so a Word file,
a 公众号 page, a .txt file, a paste and the 整理格式 button all follow the same rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from .model import Block, Heading, Item, Para

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "，。、；：！？（）《》〈〉「」『』“”‘’【】…—·"
HEADING_MAX = 40
"""A ``一、`` paragraph longer than this (visible characters) is a paragraph, unless its first
sentence is short enough to be the heading."""

_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AROUND_PUNCT = re.compile(rf" *([{_CJK_PUNCT}]) *")

_H2 = re.compile(r"^[一二三四五六七八九十]{1,3}[、．]")
_H3 = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)]")
_ARABIC = re.compile(r"^(\d{1,2})(?:[.．](?!\d)|、)")
_PAREN = re.compile(r"^[（(](\d{1,2})[）)]")
_CIRCLED = re.compile(r"^([①-⑳])")
_BULLET = re.compile(r"^(?:[●■·•▪◆◇○□➢➤▶►★☆✔✓√◎❖]|-(?![\d-]))")
_SPEAKER = re.compile(r"^([^\s：:，。！？、；,.!?*\\\[\]()（）<>#0-9]{1,8}(?:[（(][^）)]{1,12}[）)])?)[:：](?!//)")
_NOT_NAMES = re.compile(r"(说|道|讲|是|为|有|下|括|示|出|到|绍|如|们|的|了|在|和|与|及|时|后|前|中|上|下|等)$")
_CALLERS = ("问", "答", "主持人")
_NOT_SPEAKERS = frozenset(
    {
        "图",
        "图片",
        "上图",
        "下图",
        "注",
        "备注",
        "附注",
        "说明",
        "来源",
        "资料来源",
        "出处",
        "附件",
        "编辑",
        "责任编辑",
        "审核",
        "审校",
        "校对",
        "作者",
        "文字",
        "摄影",
        "供稿",
        "通讯员",
        "记者",
        "地址",
        "电话",
        "联系电话",
        "地点",
        "访谈地点",
        "邮箱",
        "网址",
        "链接",
        "提示",
        "温馨提示",
        "特别提示",
        "时间",
        "日期",
        "",
    }
)
"""Labels that look like ``name：`` but never speak (a caption, a source line, an address)."""
_SENTENCE_END = "。！？；，、,.;!?"


def clean(text: str) -> str:
    """Remove full-width indents, NBSP, zero-width characters and spaces beside Chinese punctuation."""
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return _AROUND_PUNCT.sub(r"\1", text)


_INLINE_MARKS = re.compile(r"\*\*|(?<!\\)\*|!\[[^\]]*\]\([^)]*\)|\\(?=[\\`*_{}\[\]()#+\-.!|<>])")
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\([^)]*\)")


def visible(text: str) -> str:
    """What a reader sees of an inline-Markdown paragraph (no ``**``, links as their text)."""
    text = _LINK.sub(r"\1", text)
    return _INLINE_MARKS.sub("", text).replace("&lt;", "<").replace("&amp;", "&").strip()


def speaker(text: str) -> str | None:
    """The speaker of a transcript line (``问``, ``主持人``, ``张书记``), or None."""
    match = _SPEAKER.match(visible(text))
    if not match:
        return None
    name = match.group(1)
    if name in _CALLERS:
        return name
    if name in _NOT_SPEAKERS or name.isascii() or _NOT_NAMES.search(name.split("（")[0].split("(")[0]):
        return None
    return name


def is_transcript(paras: Sequence[str]) -> bool:
    """Whether speaker lines are a pattern here (问/答, or a name that speaks more than once)."""
    names = Counter(name for text in paras if (name := speaker(text)))
    if any(name in _CALLERS for name in names):
        return True
    return sum(names.values()) >= 3 and names.most_common(1)[0][1] >= 2


def _bold_speaker(text: str) -> str:
    if text.startswith("**"):
        return text
    name_end = re.search(r"[:：]", text)
    assert name_end is not None
    head, rest = text[: name_end.end()], text[name_end.end() :].lstrip()
    return f"**{head}**{rest}"


def _drop_marker(text: str, marker: re.Pattern[str]) -> str:
    """The paragraph without its leading list or heading marker (and a bold that held only it)."""
    bold = text.startswith("**")
    if bold:
        text = text[2:]
    match = marker.match(text)
    if match is None:  # the marker is not at the very start of the source text (inside a link…)
        return ("**" if bold else "") + text
    text = text[match.end() :].lstrip()
    if bold and text.startswith("**"):
        return text[2:].lstrip()
    return ("**" if bold else "") + text


def _unbold(text: str) -> str:
    return text.replace("**", "").strip()


def _heading(text: str, level: int) -> list[Block]:
    """A ``一、`` / ``（一）`` paragraph as a heading. A run-in heading (``（一）党建引领。成立…``, the
    lead often bold) gives the heading and keeps its rest as a paragraph; so does a long one."""
    if text.startswith("**"):  # **（一）坚持党建引领。**各社区要……
        end = text.find("**", 2)
        lead = text[2:end] if end > 0 else ""
        marker_only = bool(
            re.fullmatch(r"\s*(?:[一二三四五六七八九十]{1,3}[、．]|[（(][一二三四五六七八九十]{1,3}[）)])\s*", lead)
        )
        if lead and not marker_only and len(visible(lead)) <= HEADING_MAX and text[end + 2 :].strip():
            return [Heading(level, lead.strip().rstrip("。；：:;"), numbered=True), Para(text[end + 2 :].strip())]
    stop = text.find("。")
    if stop > 0 and len(visible(text[:stop])) <= HEADING_MAX and visible(text[stop + 1 :]):
        head, rest = text[:stop], text[stop + 1 :].strip()
        if head.count("**") % 2:
            rest = "**" + rest
        return [Heading(level, _unbold(head), numbered=True), Para(rest)]
    if len(visible(text)) <= HEADING_MAX:
        return [Heading(level, _unbold(text).rstrip("。；：:;"), numbered=True)]
    return [Para(text)]


def classify(para: Para, transcript: bool) -> list[Block]:
    """One paragraph by the line rules: a heading, a list item, a speaker line or itself."""
    if para.picture:
        return [para]
    text = para.text
    shown = visible(text)
    if not shown:
        return [para]
    if _H2.match(shown):
        return _heading(text, 2)
    if _H3.match(shown):
        return _heading(text, 3)
    for family, pattern in (("arabic", _ARABIC), ("paren", _PAREN), ("circled", _CIRCLED)):
        match = pattern.match(shown)
        if match:
            rest = _drop_marker(text, pattern)
            if not visible(rest):
                return [para]
            digit = match.group(1)
            circled = "①" <= digit <= "⑳"
            number = ord(digit) - ord("①") + 1 if circled else int(unicodedata.normalize("NFKC", digit))
            return [Item(rest, ordered=True, number=number, family=family, level=para.level)]
    if _BULLET.match(shown):
        rest = _drop_marker(text, _BULLET)
        if visible(rest):
            return [Item(rest, ordered=False, family="bullet", level=para.level)]
    if transcript and speaker(text):
        return [Para(_bold_speaker(text), bold=False, centred=para.centred)]
    return [para]


def refine(blocks: Sequence[Block]) -> list[Block]:
    """Apply the line rules to every paragraph of a document."""
    transcript = is_transcript([b.text for b in blocks if isinstance(b, Para)])
    out: list[Block] = []
    for block in blocks:
        if not isinstance(block, Para):
            out.append(block)
            continue
        found = classify(block, transcript)
        while len(found) == 2 and isinstance(found[1], Para):  # a heading split off: its rest is a paragraph too
            out.append(found[0])
            found = classify(found[1], transcript)
        out.extend(found)
    return out


def promote_bold_heads(blocks: list[Block], limit: int = 30) -> list[Block]:
    """Short paragraphs that are all bold (or all coloured) become headings one level below the
    deepest heading the document already has (``##`` when it has none)."""
    levels = [b.level for b in blocks if isinstance(b, Heading) and not b.title]
    level = min(4, max(levels) + 1) if levels else 2
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Para) and (block.bold or block.coloured) and not block.picture:
            shown = visible(block.text)
            if 0 < len(shown) <= limit and shown[-1] not in _SENTENCE_END + "：:" and not speaker(block.text):
                out.append(Heading(level, _unbold(block.text)))
                continue
        out.append(block)
    return out


_CAPTION = re.compile(r"^(?:[△▲▼↑]\s*|图\s*\d*\s*[：:]\s*|图片\s*[：:]\s*|[（(]图[^）)]*[）)]\s*)")
CAPTION_MAX = 60
_ALONE_PICTURE = re.compile(r"^!\[\]\((picture-\d+)\)$")


def caption_pictures(blocks: list[Block], alts: dict[str, str]) -> int:
    """A picture without alt text takes the caption right below it (``△ 新画的停车位``, ``图：…``,
    or a short centred line) as its alt text; the caption stays in the text. ``alts`` receives
    ref → alt; returns how many pictures got one."""
    named = 0
    for n, block in enumerate(blocks[:-1]):
        after = blocks[n + 1]
        if not (isinstance(block, Para) and block.picture and isinstance(after, Para)) or after.picture:
            continue
        match = _ALONE_PICTURE.match(block.text.strip())
        shown = visible(after.text)
        if not match or not shown or len(shown) > CAPTION_MAX:
            continue
        marked = _CAPTION.match(shown)
        if not (marked or (after.centred and shown[-1] not in "：:")):
            continue
        alt = shown[marked.end() :] if marked else shown
        alt = alt.strip().rstrip("。")
        if not alt:
            continue
        alts[match.group(1)] = alt
        block.text = "![" + re.sub(r"([\\\[\]])", r"\\\1", alt) + "](" + match.group(1) + ")"
        named += 1
    return named


def is_cjk(char: str) -> bool:
    return bool(re.match(f"[{CJK}]", char))
