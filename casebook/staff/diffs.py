"""What changed between two versions of an entry, as a reviewer reads it.

The front matter of both texts is parsed and compared value by value, so only fields that really
changed appear — with the editor's Chinese labels, old → new — and YAML layout or a status that
only differs because a pending edit is written as ``published`` never shows as a change. The body
is compared character by character with diff-match-patch (a time limit and a semantic cleanup keep
it fast and readable); long unchanged stretches are folded and the shown changes are capped, so a
200,000-character transcript with one changed sentence stays a short page. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diff_match_patch import diff_match_patch

from ..content.frontmatter import read_yaml, split_front_matter
from ..content.schema import (
    ENTRY_FIELDS,
    ENTRY_LABELS,
    ENTRY_PART_LABELS,
    LEARNING_KIND,
    LEARNING_LABELS,
    PROJECT_LABELS,
    PROJECT_PART_LABELS,
    VALUE_LABELS,
)
from ..video import format_time, parse_time

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {f.key: f.default for f in ENTRY_FIELDS if f.default is not None}
"""What an absent key means (``content.serialize`` leaves defaults out): absent ≡ default, no change."""
PART_LABELS: dict[str, str] = {
    "at": "时间",
    "time": "时间",
    "title": "标题",
    "name": "名称",
    "text": "内容",
    "date": "日期",
    "file": "文件",
}
"""Labels of keys inside list items of other fields (e.g. video chapters, attachments)."""

CONTEXT = 40
"""Unchanged characters kept on each side of a change; longer stretches are folded."""
MAX_SHOWN = 20_000
"""Changed characters shown at most; the rest is summarized."""
MAX_INPUT = 2_000_000
"""Texts longer than this (characters) are not compared character by character."""
TIMEOUT = 1.0
"""Seconds diff-match-patch may spend before it settles for a coarser (still correct) diff."""


@dataclass(frozen=True)
class FieldChange:
    """One changed front-matter value (``old``/``new`` empty when absent)."""

    key: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Piece:
    """A run of body text: ``eq`` (unchanged), ``ins``, ``del`` or ``gap`` (folded; ``text`` says how much)."""

    op: str
    text: str


@dataclass
class Comparison:
    fields: list[FieldChange] = field(default_factory=list)
    body: list[Piece] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def body_changed(self) -> bool:
        return any(p.op in ("ins", "del") for p in self.body)

    @property
    def same(self) -> bool:
        return not self.fields and not self.body_changed and not self.notes


def compare(kind: str, old: str, new: str, *, with_status: bool = False) -> Comparison:
    """Changed fields and the body diff from ``old`` to ``new`` (full file texts; ``old`` may be "").

    ``with_status`` also lists a change of ``status`` (history does; the review page shows the
    status separately, and a pending edit is always written as published).
    """
    result = Comparison()
    old_parts, new_parts = _split(old), _split(new)
    if old_parts is None or new_parts is None:
        result.notes.append("有一个版本的元数据无法解析，下面是全文的逐字对比。")
        result.body = body_diff(old, new, result.notes)
        return result
    labels, part_labels = (
        (PROJECT_LABELS, PROJECT_PART_LABELS) if kind == "project" else (ENTRY_LABELS, ENTRY_PART_LABELS)
    )
    if kind == LEARNING_KIND:
        labels = LEARNING_LABELS
    old_flat = _flatten(old_parts[0], labels, part_labels)
    new_flat = _flatten(new_parts[0], labels, part_labels)
    for key in [*new_flat, *(k for k in old_flat if k not in new_flat)]:
        if key == "status" and not with_status:
            continue
        old_label, old_value = old_flat.get(key, ("", ""))
        new_label, new_value = new_flat.get(key, ("", ""))
        if old_value != new_value:
            result.fields.append(FieldChange(key, new_label or old_label, old_value, new_value))
    result.body = body_diff(old_parts[1], new_parts[1], result.notes)
    return result


def _split(text: str) -> tuple[dict[str, Any], str] | None:
    """(front matter as a dict, body) of a file text; empty text is an empty version."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return {}, ""
    parts = split_front_matter(text)
    if parts is None:
        return None
    doc, _ = read_yaml(parts[0], Path("-"))
    data = doc.data if doc is not None else None
    if data is None and not parts[0].strip():
        data = {}
    if not isinstance(data, dict):
        return None
    return {str(k): v for k, v in data.items()}, parts[1]


def _flatten(
    meta: dict[str, Any], labels: dict[str, str], part_labels: dict[str, dict[str, str]]
) -> dict[str, tuple[str, str]]:
    """Front matter as ``path → (label, shown value)``, nested groups and rows spelled out."""
    out: dict[str, tuple[str, str]] = {}
    meta = dict(meta)
    for key, default in DEFAULTS.items():
        meta.setdefault(key, default)
    for key, value in meta.items():
        value = _same_form(key, value)
        label = labels.get(key, key)
        parts = part_labels.get(key, PART_LABELS)
        if key in VALUE_LABELS:
            out[key] = (label, VALUE_LABELS[key].get(str(value), _text(value)))
        else:
            for path, sub_label, text in _walk(value, key, label, parts):
                out[path] = (sub_label, text)
    return out


def _same_form(key: str, value: Any) -> Any:
    """One spelling for one value: ``at: 195``, ``at: 3:15`` (YAML reads it as 195) and
    ``at: "03:15"`` are the same chapter time; a folded text's trailing newline is not a change."""
    if key == "chapters" and isinstance(value, list):
        return [
            {**item, "at": _chapter_time(item["at"])} if isinstance(item, dict) and "at" in item else item
            for item in value
        ]
    return value


def _chapter_time(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return format_time(value)
    seconds = parse_time(value) if isinstance(value, str) else None
    return format_time(seconds) if seconds is not None else value


def _walk(value: Any, path: str, label: str, parts: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}", f"{label} · {parts.get(str(key), str(key))}", parts)
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for n, item in enumerate(value, start=1):
            yield from _walk(item, f"{path}.{n}", f"{label} {n}", parts)
    else:
        yield path, label, _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_text(item) for item in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def body_diff(old: str, new: str, notes: list[str] | None = None) -> list[Piece]:
    """Character-level diff of two texts with unchanged stretches folded; problems go to ``notes``."""
    notes = notes if notes is not None else []
    old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    if old == new:
        return [Piece("gap", _gap_text(len(new)))] if new else []
    if len(old) > MAX_INPUT or len(new) > MAX_INPUT:
        notes.append(f"正文过长（{len(old)} → {len(new)} 字），不显示逐字差异。")
        return []
    engine = diff_match_patch()
    engine.Diff_Timeout = TIMEOUT
    ops = engine.diff_main(old, new)
    engine.diff_cleanupSemantic(ops)
    pieces: list[Piece] = []
    shown = 0
    last = len(ops) - 1
    for n, (op, text) in enumerate(ops):
        if op == diff_match_patch.DIFF_EQUAL:
            pieces.extend(_fold(text, first=n == 0, last=n == last))
            continue
        if shown >= MAX_SHOWN:
            notes.append(f"改动过多，只显示前 {MAX_SHOWN} 字的改动。")
            break
        text = text[: MAX_SHOWN - shown]
        shown += len(text)
        pieces.append(Piece("ins" if op == diff_match_patch.DIFF_INSERT else "del", text))
    return pieces


def _fold(text: str, *, first: bool, last: bool) -> list[Piece]:
    """An unchanged run, shortened to the context around the changes next to it."""
    keep_head = 0 if first else CONTEXT
    keep_tail = 0 if last else CONTEXT
    if len(text) <= keep_head + keep_tail + CONTEXT:
        return [Piece("eq", text)]
    pieces: list[Piece] = []
    if keep_head:
        pieces.append(Piece("eq", text[:keep_head]))
    pieces.append(Piece("gap", _gap_text(len(text) - keep_head - keep_tail)))
    if keep_tail:
        pieces.append(Piece("eq", text[-keep_tail:]))
    return pieces


def _gap_text(count: int) -> str:
    return f"……（{count} 字未改动）……"
