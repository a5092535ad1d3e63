"""Markdown → sanitized HTML, plain-text excerpts, Chinese dates; video embeds (from ``video.py``).

Rendering happens at sync time; pages only show the stored result. Sanitizing is the last
step, so nothing a content file says (raw HTML, event handlers, ``javascript:`` links)
reaches a page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor

from .media import SIZES, srcset_for
from .video import VideoEmbed, video_embed

__all__ = ["VideoEmbed", "chinese_date", "excerpt", "plain_text", "render_markdown", "sanitize", "video_embed"]

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


def _rewrite_url(media_url: str):  # type: ignore[no-untyped-def]
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
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
    return sanitize(rendered, media_url)


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
