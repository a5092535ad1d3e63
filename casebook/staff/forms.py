"""The editor's form for entries and 借鉴 records: declared fields (``content/schema.py``) to form
strings and back, and problems placed under their inputs. No Flask here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import content
from ..content.model import Source
from ..content.schema import ENTRY_FIELDS, ENTRY_LABELS, LEARNING_KIND, LEARNING_LABELS, Field, form_fields
from .form_text import attachments_from_text, attachments_text, chapters_from_text, chapters_text, part_inputs

Errors = dict[str, list[str]]


LIST_SPLIT = re.compile(r"[,，、;；\n]+")


FormField = Field
"""A field the editor shows: its declaration in ``content/schema.py`` (label, input, hint)."""
FORM_FIELDS: tuple[Field, ...] = tuple(f for f in ENTRY_FIELDS if f.form)


def fields_for(kind: str) -> tuple[Field, ...]:
    return form_fields(kind)


def form_values(entry: content.Entry) -> dict[str, str]:
    """An entry as the editor's form values (lists joined with 、)."""
    values: dict[str, str] = {}
    for spec in fields_for(entry.kind):
        value = entry.value(spec.key)
        if spec.type == "chapters":
            values[spec.key] = chapters_text(value)
        elif spec.type == "attachments":
            values[spec.key] = attachments_text(value)
        elif spec.type == "source":
            source: Source | None = value
            parts = {"name": source.name, "url": source.url, "date": source.date} if source else {}
            for part, name in part_inputs(spec).items():
                values[name] = str(parts.get(part) or "")
        else:
            values[spec.key] = plain_value(value)
    values["body"] = entry.body
    return values


def plain_value(value: Any) -> str:
    """A simple field's value as its input's text: lists joined with 、, a ticked box "1", None ""."""
    if isinstance(value, tuple):
        return "、".join(value)
    if isinstance(value, bool):
        return "1" if value else ""
    return "" if value is None else str(value)


def meta_from_form(kind: str, form: Mapping[str, str], status: str) -> dict[str, Any]:
    """Front-matter values from form strings, each read by its field's declared type."""
    meta: dict[str, Any] = {}
    for spec in fields_for(kind):
        raw = (form.get(spec.key) or "").strip()
        if spec.type == "bool":
            if raw or spec.default:  # an unticked box sends nothing: say false when the default is true
                meta[spec.key] = bool(raw)
        elif spec.type == "chapters":
            if raw:
                meta[spec.key] = chapters_from_text(raw)
        elif spec.type == "attachments":
            if raw:
                meta[spec.key] = attachments_from_text(raw)
        elif spec.type == "source":
            typed = {part: (form.get(name) or "").strip() for part, name in part_inputs(spec).items()}
            if any(typed.values()):
                meta[spec.key] = {part: text for part, text in typed.items() if text}
        elif spec.type in ("list", "refs"):
            items = [item.strip() for item in LIST_SPLIT.split(raw) if item.strip()]
            if items:
                meta[spec.key] = items
        elif raw or spec.required:
            meta[spec.key] = raw
    meta["status"] = status
    return meta


def errors_by_field(problems: list[content.Problem], kind: str) -> Errors:
    """Problems under the input of the field they are about (``chapters.2`` → ``chapters``).

    A content file's message names the front-matter key (``title：不能为空``, for whoever edits the
    file); under the editor's input it names the field as the form labels it (``标题：不能为空``)."""
    labels = LEARNING_LABELS if kind == LEARNING_KIND else ENTRY_LABELS
    errors: Errors = {}
    for problem in problems:
        key = problem.field.split(".", 1)[0]
        errors.setdefault(key, []).append(labelled(problem.message, key, labels.get(key)))
    return errors


def labelled(message: str, key: str, label: str | None, parts: Mapping[str, str] | None = None) -> str:
    """``message`` naming the field by its ``label`` where it names the front-matter ``key``: at
    its start (``title：不能为空`` → ``标题：不能为空``, ``chapters 第 2 项：…``; with the labels of
    a structured field's ``parts``, ``survey 的 satisfied：…`` → ``线下问卷的“满意”：…``) and as
    the missing field (``缺少必填字段 title``). Elsewhere the key is left alone: a quoted value (an
    address with ``/video/`` in it) stays as typed."""
    if not label or not key:
        return message
    if message.startswith(f"{key} 的 "):
        rest = message[len(key) + 3 :]
        for part, part_label in (parts or {}).items():
            if rest.startswith(part) and not re.match(r"\w", rest[len(part) : len(part) + 1], re.ASCII):
                return f"{label}的“{part_label}”{rest[len(part) :]}"
    if message.startswith((f"{key}：", f"{key} ")):
        return label + message[len(key) :]
    if message == f"缺少必填字段 {key}":
        return f"缺少必填字段：{label}"
    return message
