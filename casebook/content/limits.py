"""How long a title and a body may be, and which invisible characters no content may hold.

A 100,000-character title or a NUL in a body used to pass ``check`` and ``sync`` silently and
reach pages, feeds, search and share cards. Both are problems now, reported with path and line
like any other: control characters (Unicode ``Cc``) other than tab and newline — and a carriage
return only as part of a CRLF line end — in any field or body; titles over ``MAX_TITLE`` and
bodies over ``MAX_BODY`` characters. Pure: no file access.
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
    for index, char in enumerate(text):
        if char in ALLOWED or unicodedata.category(char) != "Cc":
            continue
        if char == "\r" and text.startswith("\n", index + 1):
            continue  # a CRLF line end
        return index
    return None


def code(char: str) -> str:
    """``U+0000``: how a character nobody can see is named in a message."""
    return f"U+{ord(char):04X}"


def control_message(text: str, index: int) -> str:
    """``含有控制字符 U+0007（…），请删除``: the message for the character at ``index``."""
    return f"含有控制字符 {code(text[index])}{HINT}"


def body_problems(body: str, path: Path, first_line: int = 1) -> list[Problem]:
    """An over-long body, and its first control character at its line (``first_line``: the body's
    first line in the file); each a problem of the ``body`` field."""
    problems: list[Problem] = []
    length = len(body.rstrip("\n"))  # the line end a file closes with is not the author's text
    if length > MAX_BODY:
        message = f"正文有 {length} 个字，超过上限 {MAX_BODY} 个字：请删减，或分成几篇"
        problems.append(Problem(path, first_line, message, field="body"))
    index = control_character(body)
    if index is not None:
        line = first_line + body.count("\n", 0, index)
        problems.append(Problem(path, line, f"正文{control_message(body, index)}", field="body"))
    return problems


def check_length(text: str, limit: int, what: str) -> None:
    """Raise ``ValueError`` (message for people) when ``text`` is longer than ``limit`` characters."""
    if len(text) > limit:
        raise ValueError(f"{what}有 {len(text)} 个字，超过上限 {limit} 个字，请缩短")
