"""The 公众号 export: sanitized HTML whose every style is inline, ready to paste into the editor.

The 公众号 editor keeps only inline ``style`` attributes (no ``<style>``, no classes) and, for most
accounts, only links to other 公众号 articles. So the export is built in this order: sanitize the
body (nh3, as pages do), make image and link URLs absolute, turn every link that does not point at
``mp.weixin.qq.com`` into a numbered footnote, wrap it in the export template, inline the theme CSS
with css-inline, and finally clean once more so no ``class``, ``<style>`` or ``<script>`` remains.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import css_inline
import nh3
from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from ..render import _ALLOWED_TAGS, sanitize

KEEP_LINK_HOSTS = frozenset({"mp.weixin.qq.com"})
_LINK_RE = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)
_HREF_RE = re.compile(r'\bhref="([^"]*)"')
_SRC_RE = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")')
_TAG_RE = re.compile(r"<[^>]+>")
_NESTED_LIST_RE = re.compile(r"<li\b(?:(?!</li>).)*?<(?:ul|ol)\b", re.DOTALL)
_FINAL_TAGS = _ALLOWED_TAGS | {"section", "span", "h1"}
_FINAL_ATTRIBUTES = {
    "*": {"style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


@dataclass
class Footnotes:
    """Numbered external links, one number per distinct URL, in order of first use."""

    notes: list[tuple[str, str]] = field(default_factory=list)
    """(label, url) per number (1-based position)."""

    def number(self, url: str, label: str) -> int:
        for i, (_, known) in enumerate(self.notes, start=1):
            if known == url:
                return i
        self.notes.append((label, url))
        return len(self.notes)


def clean_body(body_html: str, site: str) -> str:
    """Sanitize (again: the export never trusts stored HTML) with media under the absolute site URL;
    lists inside list items become indented lines (see ``flatten_nested_lists``)."""
    return flatten_nested_lists(absolutize(sanitize(body_html, media_url=f"{site}/media/"), site))


def flatten_nested_lists(fragment: str) -> str:
    """A list inside a list item → indented lines under that item, marked ◦ or 1) 2) ….

    The 公众号 editor mangles a list nested in a list item when it is pasted (the inner items join
    the outer list or lose their markers), so only one level of real list is exported; deeper
    levels are ``<section>`` lines indented 1em per level, keeping their order and numbering.
    """
    if not _NESTED_LIST_RE.search(fragment):
        return fragment
    soup = BeautifulSoup(fragment, "html.parser")
    for item in soup.find_all("li"):
        if item.find_parent("li") is not None:
            continue  # handled with its outermost item
        for inner in item.find_all(["ul", "ol"], recursive=False):
            inner.replace_with(*_lines(soup, inner, level=1))
    return str(soup)


def _lines(soup: BeautifulSoup, listing: Tag, level: int) -> list[Tag]:
    lines: list[Tag] = []
    start = str(listing.get("start") or "1")
    number = int(start) if start.isascii() and start.isdigit() and len(start) < 10 else 1  # not ², not 10⁴³⁰⁰
    for item in listing.find_all("li", recursive=False):
        deeper = [inner.extract() for inner in item.find_all(["ul", "ol"], recursive=False)]
        for paragraph in item.find_all("p", recursive=False):
            paragraph.unwrap()  # a loose list's <p> would break the line
        line = soup.new_tag("section", attrs={"style": f"margin: 0.3em 0 0 {level}em;"})
        line.append("◦ " if listing.name == "ul" else f"{number}) ")
        for child in list(item.contents):
            line.append(child.extract())
        if line.contents and isinstance(line.contents[-1], NavigableString):
            line.contents[-1].replace_with(line.contents[-1].rstrip())  # the newline before a removed list
        lines.append(line)
        number += 1
        for inner in deeper:
            lines.extend(_lines(soup, inner, level + 1))
    return lines


def absolutize(fragment: str, site: str) -> str:
    """Relative ``src``/``href`` values → absolute URLs on ``site``."""

    def fix(url: str) -> str:
        raw = html.unescape(url)
        if raw.startswith(("http://", "https://", "mailto:", "#")):
            return url
        return html.escape(urljoin(site + "/", raw), quote=True)

    fragment = _SRC_RE.sub(lambda m: m.group(1) + fix(m.group(2)) + m.group(3), fragment)
    return _HREF_RE.sub(lambda m: f'href="{fix(m.group(1))}"', fragment)


def footnote_links(fragment: str, notes: Footnotes) -> str:
    """External links → ``text[n]``; ``mp.weixin.qq.com`` links stay links; in-page anchors become text."""

    def replace(match: re.Match[str]) -> str:
        attrs, text = match.group(1), match.group(2)
        found = _HREF_RE.search(attrs)
        href = html.unescape(found.group(1)) if found else ""
        if not href or href.startswith("#"):
            return text
        host = urlsplit(href).hostname or ""
        if host in KEEP_LINK_HOSTS:
            return f'<a href="{html.escape(href, quote=True)}">{text}</a>'
        label = html.unescape(_TAG_RE.sub("", text)).strip() or href
        n = notes.number(href, label)
        return f'{text}<sup class="footnote-ref">[{n}]</sup>'

    return _LINK_RE.sub(replace, fragment)


def inline_styles(fragment: str, theme_css: str) -> str:
    """Inline the theme into ``style`` attributes, then drop classes, ``<style>`` and scripts."""
    inlined = css_inline.inline_fragment(fragment, theme_css)
    return nh3.clean(
        inlined,
        tags=_FINAL_TAGS,
        attributes=_FINAL_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    ).strip()
