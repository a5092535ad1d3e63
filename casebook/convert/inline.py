"""Inline formatting of HTML: runs of text with bold, italic, colour and links, as Markdown.

Formatting comes from tags and from inline styles alike (``<b style="font-weight:normal">`` is
Google Docs' wrapper around everything, and is not bold); neighbouring runs of the same format
are merged before they are written, so ``<b>一、</b><b>背景</b>`` becomes ``**一、背景**``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bs4.element import Tag

from .rules import CJK, clean


@dataclass(frozen=True)
class Fmt:
    bold: bool = False
    italic: bool = False
    colour: bool = False
    href: str | None = None


PLAIN = Fmt()


@dataclass
class Seg:
    text: str
    kind: str = "text"
    """``text`` (escaped inline Markdown), ``br``, ``img`` or ``raw`` (Markdown to keep as is)."""
    fmt: Fmt = PLAIN


def style_of(tag: Tag) -> dict[str, str]:
    style = str(tag.get("style") or "")
    out = {}
    for part in style.split(";"):
        key, _, value = part.partition(":")
        if key.strip():
            out[key.strip().lower()] = value.strip().lower()
    return out


def chromatic(colour: str) -> bool:
    """A colour that stands out from body text (not black, grey or white)."""
    colour = colour.replace(" ", "").removesuffix("!important")
    if colour.startswith("#") and len(colour) in (4, 7):
        digits = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:])
        try:
            rgb = [int(digits[i : i + 2], 16) for i in (0, 2, 4)]
        except ValueError:
            return False
    elif match := re.match(r"rgba?\((\d+),(\d+),(\d+)", colour):
        rgb = [int(x) for x in match.groups()]
    else:
        return colour in ("red", "blue", "green", "orange", "purple", "brown", "navy", "maroon", "teal", "crimson")
    return max(rgb) - min(rgb) > 40


def hidden(tag: Tag) -> bool:
    """Hidden by ``display:none`` or the ``hidden`` attribute. (``visibility:hidden`` is how a saved
    公众号 page hides its text until a script runs: ignored on purpose.)"""
    return tag.has_attr("hidden") or style_of(tag).get("display", "").startswith("none")


def text_node(text: str) -> str:
    text = re.sub(rf"(?<=[{CJK}，。、；：！？])[ \t\r]*\n\s*(?=[{CJK}，。、；：！？])", "", text)
    return re.sub(r"\s+", " ", text)


def apply_format(tag: Tag, style: dict[str, str], fmt: Fmt) -> Fmt:
    name = tag.name
    weight = style.get("font-weight", "")
    bold = fmt.bold or name in ("b", "strong")
    if weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 600):
        bold = True
    elif weight in ("normal", "lighter") or (weight.isdigit() and int(weight) < 600):
        bold = False
    italic = fmt.italic or name in ("em", "i") or style.get("font-style") == "italic"
    colour = fmt.colour
    if "color" in style:
        colour = chromatic(style["color"])
    href = fmt.href
    if name == "a":
        link = str(tag.get("href") or "").strip()
        href = link if re.match(r"^(https?://|mailto:)", link, re.I) else None
    return Fmt(bold, italic, colour, href)


def render_segments(segs: list[Seg]) -> str:
    """Inline Markdown of segments, with neighbouring runs of the same format merged."""
    merged: list[Seg] = []
    for seg in segs:
        if merged and seg.kind == "text" and merged[-1].kind == "text" and merged[-1].fmt == seg.fmt:
            merged[-1] = replace(merged[-1], text=merged[-1].text + seg.text)
        else:
            merged.append(seg)
    out = []
    for seg in merged:
        if seg.kind != "text":
            out.append(seg.text)
            continue
        text = seg.text
        core = text.strip()
        if not core:
            out.append(text)
            continue
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        if seg.fmt.href:
            target = seg.fmt.href.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
            core = f"[{core}]({target})"
        if seg.fmt.italic:
            core = f"*{core}*"
        if seg.fmt.bold:
            core = f"**{core}**"
        out.append(lead + core + trail)
    return "".join(out)


def list_marker(text: str) -> str:
    """Word's own list marker on the clipboard: numbers kept, symbol-font bullets made ``•``."""
    marker = clean(text)
    if re.fullmatch(r"(\d{1,2}[.．、)]|[（(]\d{1,2}[）)]|[①-⑳]|[一二三四五六七八九十]{1,3}[、．])", marker):
        return marker
    return "•"


def note_label(ident: str) -> str:
    """``footnote-3`` / ``ftn3`` → ``3``; endnotes get an ``e``: ``e3``."""
    number = re.sub(r"\D", "", ident)
    return f"e{number}" if ident.startswith(("endnote", "edn", "_edn")) else number
