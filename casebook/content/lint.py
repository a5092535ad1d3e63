"""Warnings (提示) about a body that validates but will not read as its author meant.

Errors make a file unusable or drop a value; warnings never do. They are reported by
``casebook check`` (exit 0 unless ``--strict``), stored by sync for the staff dashboard and shown
in the editor. Each names its line, counted from the top of the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..render import video_embed
from .limits import body_too_long
from .model import Entry, Problem

WARNING = "warning"

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+\S")
_TABLE_ROW = re.compile(r"^\s{0,3}\|.*\|\s*$")
_BLOCK_START = re.compile(r"^\s{0,3}(?:#{1,6}\s|>|<|[-*_]{3,}\s*$)")
_EMPTY_ALT = re.compile(r"!\[\s*\]\(")
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT_ATTR = re.compile(r"\balt\s*=\s*(['\"])\s*\S", re.IGNORECASE)

SKELETON_PROMPTS: tuple[str, ...] = (
    "（简要介绍社区和访谈缘起。）",
    "（时间、地点、参与者。）",
)
"""Prompt lines that earlier versions of the new-entry skeleton wrote into the body."""
_EMPTY_SPEAKER = re.compile(r"^\s*\*\*(问|答)[:：]\*\*\s*$")
_EMPTY_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s*$")
SKELETON_HEADINGS: frozenset[str] = frozenset(
    {"访谈背景", "访谈要点", "沙龙概况", "观点摘录", "共识与下一步", "背景", "做法", "成效", "启示"}
)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def warning(path: Path, line: int, message: str, field: str = "") -> Problem:
    """A 提示-level problem (never blocks loading or saving)."""
    return Problem(path, line, message, level=WARNING, field=field)


def lint_body(body: str, path: Path, first_line: int = 1) -> list[Problem]:
    """Warnings for a Markdown body whose first line is line ``first_line`` of its file."""
    found: list[Problem] = []

    def warn(n: int, message: str) -> None:
        found.append(warning(path, first_line + n, message))

    if too_long := body_too_long(body):
        found.append(warning(path, first_line, too_long, field="body"))
    lines = body.split("\n")
    in_fence = False
    block: str | None = None  # what the current block started as: para, list, table, other
    for n, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            block = None
            continue
        if in_fence:
            continue
        stripped = line.strip()
        if not stripped:
            block = None
        else:
            is_item, is_row = bool(_LIST_ITEM.match(line)), bool(_TABLE_ROW.match(line))
            if block is None:
                block = "list" if is_item else "table" if is_row else "other" if _BLOCK_START.match(line) else "para"
            elif block == "para" and (is_item or is_row):
                what = "列表" if is_item else "表格"
                warn(n, f"{what}紧跟在上一段文字后面，中间没有空行，发布后会挤成一段；请在{what}前空一行")
                block = "list" if is_item else "table"
        if stripped in SKELETON_PROMPTS or _EMPTY_SPEAKER.match(line) or _EMPTY_ITEM.match(line):
            warn(n, f"正文里还留着模板提示“{stripped}”，发布前请填写或删除")
        if _EMPTY_ALT.search(line):
            warn(n, "图片缺少说明文字（![说明](…) 的方括号为空），读屏软件无法朗读；请补上一句说明")
        for tag in _IMG_TAG.findall(line):
            if not _ALT_ATTR.search(tag):
                warn(n, "图片缺少说明文字（alt），读屏软件无法朗读；请补上一句说明")
    found += _empty_sections(lines, warn)
    return found


def _empty_sections(lines: list[str], warn: Callable[[int, str], None]) -> list[Problem]:
    """A skeleton heading followed directly by another heading of the same or higher level, or the end."""
    headings = [(n, m) for n, line in enumerate(lines) if (m := _HEADING.match(line))]
    for position, (n, match) in enumerate(headings):
        title = match.group(2)
        if title not in SKELETON_HEADINGS:
            continue
        end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
        if not any(line.strip() for line in lines[n + 1 : end]):
            nxt = headings[position + 1][1] if position + 1 < len(headings) else None
            if nxt is None or len(nxt.group(1)) <= len(match.group(1)):
                warn(n, f"小节“{title}”还没有内容（模板留下的标题），发布前请填写或删除")
    return []


def lint_video(url: str | None, path: Path, line: int) -> list[Problem]:
    """A ``video`` that no page can embed: it would only show as a link."""
    if not url or video_embed(url).mode != "link":
        return []
    return [
        warning(
            path,
            line,
            f"视频“{url}”无法嵌入播放：请填写腾讯视频或哔哩哔哩的播放页地址、官方播放器地址或 .mp4 文件；"
            "否则页面只显示一个链接",
            field="video",
        )
    ]


SOURCE_MISSING = "微分享（全国）案例没有填写出处（source）：请写明发布方、原文链接和发布日期，页面和公众号导出会显示"


def lint_source(entry: Entry, path: Path, line: int) -> list[Problem]:
    """A 微分享 case (taken from another city's publication) that does not say where it came from."""
    if entry.kind != "case" or entry.scope != "national" or entry.value("source") is not None:
        return []
    return [warning(path, line, SOURCE_MISSING, field="source")]


def lint_chapters(entry: Entry, path: Path, line: int) -> list[Problem]:
    """Chapters without a video: no page shows them."""
    if not entry.chapters or entry.video:
        return []
    message = "填写了章节（chapters）但没有视频（video）：章节只在有视频时显示；请补上视频或删除章节"
    return [warning(path, line, message, field="chapters")]
