"""Normalizers of single front-matter values, shared by entry and project validation.

Each takes a raw YAML value and returns the clean one, or raises ``Invalid`` with a message
shown to the user (in Chinese). Pure: no file access.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .limits import check_length, control_character, control_message


class Invalid(ValueError):
    """A value that cannot be used; the message is shown to the user."""

    def __init__(self, message: str, items: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.items = items or []
        """Problems of single list items, by position: each is reported on its own line."""


def as_text(value: Any) -> str:
    if isinstance(value, (bool, dict, list)):
        raise Invalid("应为一段文字")
    if value is None:
        return ""
    return _visible(str(value)).strip()


def _visible(text: str) -> str:
    """``text``, unless it holds a control character no content may hold (``limits``)."""
    index = control_character(text)
    if index is not None:
        raise Invalid(control_message(text, index))
    return text


def limited(normalize: Callable[[Any], Any], limit: int, label: str) -> Callable[[Any], Any]:
    """``normalize``, refusing text longer than ``limit`` characters (a field's declared ``limit``)."""

    def check(value: Any) -> Any:
        clean = normalize(value)
        if isinstance(clean, str):
            try:
                check_length(clean, limit, label)
            except ValueError as exc:
                raise Invalid(str(exc)) from None
        return clean

    return check


def as_required_text(value: Any) -> str:
    text = as_text(value)
    if not text:
        raise Invalid("不能为空")
    return text


def as_optional_text(value: Any) -> str | None:
    return as_text(value) or None


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"日期“{text}”无效，应写成 YYYY-MM-DD，例如 2022-03-01") from None


def as_string_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise Invalid("应为文字列表，例如 [甲, 乙]")
    items: list[str] = []
    for item in value:
        if isinstance(item, (dict, list)) or item is None:
            raise Invalid("列表中的每一项都应是一段文字")
        text = _visible(str(item)).strip()
        if text and text not in items:
            items.append(text)
    return tuple(items)


def as_url(value: Any) -> str | None:
    text = as_text(value)
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(f"“{text}”不是 http(s) 网址")
    return text


def one_of(options: tuple[str, ...]) -> Callable[[Any], str]:
    def normalize(value: Any) -> str:
        text = as_text(value)
        if text not in options:
            raise Invalid(f"“{text}”无效，可选值：{' | '.join(options)}")
        return text

    return normalize


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise Invalid("应为 true 或 false")
