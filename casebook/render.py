"""Markdown → sanitized HTML, plain-text excerpts, Chinese dates; video embeds (from ``video.py``).

Rendering happens at sync time; pages only show the stored result. Sanitizing comes before the
heading anchors, the only attribute added after it, so nothing a content file says (raw HTML,
event handlers, ``javascript:`` links, its own ``id``) reaches a page.

Heading anchors: every ``<h2>``…``<h6>`` gets an ``id`` made from its text (Chinese kept, so
``## 一、缘起`` is ``#一缘起``), unique within the body (``-2``, ``-3`` … on a repeat).
``headings`` reads them back for the table of contents.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor

from .media import SIZES, srcset_for
from .video import VideoEmbed, video_embed

__all__ = [
    "Heading",
    "VideoEmbed",
    "anchor_headings",
    "chinese_date",
    "excerpt",
    "heading_anchor",
    "headings",
    "plain_text",
    "render_markdown",
    "sanitize",
    "video_embed",
]

_EXTENSIONS = ["extra", "sane_lists"]
_local = threading.local()
_ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_BLANKS = re.compile(r"[\x00-\x20]")


def _foreign_scheme(value: str) -> bool:
    """True when ``value`` read with every blank and control character removed (as a lenient parser
    might: browsers drop tabs and newlines from URLs) names a scheme outside ``_URL_SCHEMES``."""
    found = _SCHEME.match(_BLANKS.sub("", value).lower())
    return found is not None and found.group(1) not in _URL_SCHEMES


def _rewrite_url(media_url: str):  # type: ignore[no-untyped-def]
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr in ("src", "href") and _foreign_scheme(value):  # "java script:", "java\tscript:" …
            return None
        if attr in ("src", "href") and value.startswith("media/"):
            return media_url + value.removeprefix("media/")
        if attr == "srcset":  # only the exact srcset of an uploaded picture, never free text
            main = value.rpartition(", media/")[2].rpartition(" ")[0]
            return srcset_for(main, media_url) if value == srcset_for(main, "media/") else None
        if attr == "sizes":
            return value if value == SIZES else None
        return value

    return attribute_filter


def sanitize(fragment: str, media_url: str = "/media/") -> str:
    """Keep only safe tags, attributes and URL schemes; ``media/x`` links point at ``media_url``."""
    return nh3.clean(
        fragment,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        attribute_filter=_rewrite_url(media_url),
        strip_comments=True,
    )


class _UploadSrcset(Treeprocessor):
    """Markdown images of uploaded pictures get ``srcset`` (their phone copy) and ``sizes``."""

    def run(self, root: Element) -> None:
        for img in root.iter("img"):
            src = img.get("src", "")
            srcset = srcset_for(src.removeprefix("media/"), "media/") if src.startswith("media/") else None
            if srcset:
                img.set("srcset", srcset)
                img.set("sizes", SIZES)


def render_markdown(text: str, media_url: str = "/media/") -> str:
    """Render Markdown to sanitized HTML; body headings start at ``<h2>`` (the page owns h1)."""
    md: markdown.Markdown | None = getattr(_local, "markdown", None)
    if md is None:  # building a Markdown instance costs more than converting a page: one per thread
        md = _local.markdown = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
        md.treeprocessors.register(_UploadSrcset(md), "upload_srcset", 5)  # after inline (20) made the <img>
    rendered = md.reset().convert(text)
    rendered = re.sub(r"<(/?)h1\b", r"<\1h2", rendered)
    return anchor_headings(sanitize(rendered, media_url))


# nh3 writes a heading with no attribute at all (none is allowed), so this matches every heading
# of sanitized HTML and nothing a content file could have smuggled in.
_BARE_HEADING_RE = re.compile(r"<h([2-6])>(.*?)</h\1>", re.DOTALL)
_ANCHORED_HEADING_RE = re.compile(r'<h([2-6]) id="([^"]*)">(.*?)</h\1>', re.DOTALL)
_ANCHOR_DROP_RE = re.compile(r"[^\w\s-]+")
_ANCHOR_SPACE_RE = re.compile(r"[\s_-]+")
PAGE_IDS = frozenset({"main", "content", "top", "toc", "share-data"})
"""Ids the page around a body uses or may use (skip links, the share data): a heading never takes one."""


@dataclass(frozen=True)
class Heading:
    """One heading of a rendered body: its level (2 for ``<h2>``), anchor (the ``id``) and text."""

    level: int
    anchor: str
    text: str


def heading_anchor(text: str) -> str:
    """The anchor of a heading's text: letters (any script) and digits, words joined by ``-``.

    ``一、缘起`` → ``一缘起``; ``Q&A 环节`` → ``qa-环节``; a heading of punctuation only → ``section``.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    words = _ANCHOR_SPACE_RE.sub("-", _ANCHOR_DROP_RE.sub("", text)).strip("-")
    return words[:80].rstrip("-") or "section"


def _inline_text(inner: str) -> str:
    """The text of a heading's inline HTML: tags dropped without a space (``见<a>文件</a>`` → ``见文件``)."""
    return _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub("", inner))).strip()


def anchor_headings(fragment: str) -> str:
    """Give every bare ``<h2>``…``<h6>`` of sanitized HTML an ``id`` from its text, unique in ``fragment``."""
    taken: set[str] = set(PAGE_IDS)

    def anchored(match: re.Match[str]) -> str:
        level, inner = match.groups()
        base = heading_anchor(_inline_text(inner))
        anchor, n = base, 1
        while anchor in taken:
            n += 1
            anchor = f"{base}-{n}"
        taken.add(anchor)
        return f'<h{level} id="{html.escape(anchor)}">{inner}</h{level}>'

    return _BARE_HEADING_RE.sub(anchored, fragment)


def headings(rendered_html: str | None, levels: tuple[int, ...] = (2, 3)) -> list[Heading]:
    """The anchored headings of ``levels`` in a rendered body, in order (the table of contents)."""
    found = []
    for level, anchor, inner in _ANCHORED_HEADING_RE.findall(rendered_html or ""):
        if int(level) in levels:
            found.append(Heading(int(level), html.unescape(anchor), _inline_text(inner)))
    return found


_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")


def plain_text(rendered_html: str) -> str:
    """Text content of sanitized HTML, whitespace collapsed."""
    return _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", rendered_html))).strip()


def excerpt(text: str, limit: int = 120) -> str:
    """At most ``limit`` characters, cut at a sentence end when one is near."""
    text = _SPACE_RE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(mark) for mark in "。！？；")
    return cut[: stop + 1] if stop >= limit // 2 else cut.rstrip() + "…"


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters: cut with … when longer (share cards and window titles)."""
    text = _SPACE_RE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def chinese_date(value: dt.date) -> str:
    """``2022-03-01`` → ``2022年3月1日``."""
    return f"{value.year}年{value.month}月{value.day}日"
