"""The editor's live preview: the form as the entry it would save, even while half typed.

A preview must show something while a required value is still missing or wrong (no title yet, a
date being typed): those are replaced by stand-ins and the rest is validated as on save, so the
preview renders through the same article template as the public page. No Flask here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .. import content
from ..content.lint import lint_chapters, lint_source, lint_video
from ..content.model import Topic
from ..content.schema import ENTRY_LABELS
from .kinds import meta_from_form

PREVIEW_PATH = Path("-")
NO_TOPIC = "-"
"""The stand-in topic of a form whose topic is not chosen yet (no topic row has it: none is shown)."""
NO_TITLE = "（未填写标题）"
WATCHED = ("video", "chapters", "source", "attachments")
"""Fields whose problems the preview reports as it goes (the rest are reported on save)."""


def entry_from_form(
    kind: str, values: Mapping[str, str], rules: content.Rules, today: dt.date
) -> tuple[content.Entry | None, list[str]]:
    """The entry the editor's form describes, and the problems of its video and chapters fields."""
    meta = meta_from_form(kind, values, "draft")
    slug = (values.get("slug") or "").strip()
    slug = slug if content.SLUG_RE.match(slug) else "preview"
    body = (values.get("body") or "").replace("\r\n", "\n").strip("\n") + "\n"
    entry, problems = content.validate_entry(kind, slug, meta, body, rules=rules, path=PREVIEW_PATH)
    if entry is None:
        meta["title"] = meta.get("title") or NO_TITLE
        if meta.get("topic") not in rules.topics:
            meta["topic"] = NO_TOPIC
            rules = replace(rules, topics={**rules.topics, NO_TOPIC: Topic(NO_TOPIC, 1, NO_TOPIC)})
        try:
            dt.date.fromisoformat(str(meta.get("date", "")))
        except ValueError:
            meta["date"] = today.isoformat()
        entry, _ = content.validate_entry(kind, slug, meta, body, rules=rules, path=PREVIEW_PATH)

    def note(problem: content.Problem) -> str:  # the field's label, not its key in the file
        key = problem.field.split(".", 1)[0]
        return f"{ENTRY_LABELS[key]}：{problem.message.removeprefix(key + '：').removeprefix(key + ' ')}"

    notes = [note(p) for p in problems if p.field.split(".", 1)[0] in WATCHED]
    if entry is not None:
        found = lint_video(entry.video, PREVIEW_PATH, 1)
        found += lint_chapters(entry, PREVIEW_PATH, 1)
        if "source" not in meta:  # one typed wrongly is reported as such (above), not as missing
            found += lint_source(entry, PREVIEW_PATH, 1)
        notes += [note(p) for p in found]
    return entry, notes
