"""How long a title and a body may be, and which invisible characters no content may hold.

A 100,000-character title or a NUL in a body used to pass ``check`` and ``sync`` silently and
reach pages, feeds, search and share cards. They are problems now, reported with path and line
like any other: control characters (Unicode ``Cc``) other than tab and newline — and a carriage
return only as part of a CRLF line end — in any field (the value is dropped; a title's loss keeps
the entry off the site) or body (the characters are dropped, the rest published); titles over
``MAX_TITLE`` characters (errors). A body over ``MAX_BODY`` is a 提示 (warning): transcripts of that
size are saved through the editor on purpose (``tests/test_staff_editor.py``), so it is reported,
never refused. Pure: no file access.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from .model import Problem

MAX_TITLE = 200
"""Characters a title may have (the editor's input stops there too)."""
MAX_BODY = 200_000
"""Characters a body may have: a two-hour interview transcript is well under it."""
ALLOWED = frozenset("\t\n")
HINT = "（看不见的字符，多由复制粘贴带入），请删除"


def control_character(text: str) -> int | None:
    """The index of the first control character ``text`` may not hold, or None."""
    return next((index for index in range(len(text)) if not _allowed(text, index)), None)


def without_control_characters(text: str) -> str:
    """``text`` without the control characters it may not hold (a CRLF line end stays)."""
    return "".join(char for index, char in enumerate(text) if _allowed(text, index))


def _allowed(text: str, index: int) -> bool:
    char = text[index]
    if char in ALLOWED or unicodedata.category(char) != "Cc":
        return True
    return char == "\r" and text.startswith("\n", index + 1)  # a CRLF line end


def code(char: str) -> str:
    """``U+0000``: how a character nobody can see is named in a message."""
    return f"U+{ord(char):04X}"


def control_message(text: str, index: int) -> str:
    """``含有控制字符 U+0007（…），请删除``: the message for the character at ``index``."""
    return f"含有控制字符 {code(text[index])}{HINT}"


def body_problems(body: str, path: Path, first_line: int = 1) -> tuple[str, list[Problem]]:
    """The body without the control characters it may not hold, and a problem (of the ``body``
    field, at the line of the first one; ``first_line``: the body's first line in the file) when
    there were any. Like any bad optional value, what is wrong is dropped and the rest is kept."""
    index = control_character(body)
    if index is None:
        return body, []
    line = first_line + body.count("\n", 0, index)
    problem = Problem(path, line, f"正文{control_message(body, index)}", field="body")
    return without_control_characters(body), [problem]


def body_too_long(body: str) -> str:
    """The 提示 for a body over ``MAX_BODY`` characters, or ""."""
    length = len(body.rstrip("\n"))  # the line end a file closes with is not the author's text
    if length <= MAX_BODY:
        return ""
    return f"正文有 {length} 个字，超过上限 {MAX_BODY} 个字：页面、搜索和导出都会变慢，请删减或分成几篇"


def check_length(text: str, limit: int, what: str) -> None:
    """Raise ``ValueError`` (message for people) when ``text`` is longer than ``limit`` characters."""
    if len(text) > limit:
        raise ValueError(f"{what}有 {len(text)} 个字，超过上限 {limit} 个字，请缩短")
