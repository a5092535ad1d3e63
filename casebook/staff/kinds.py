"""What the editor needs to know per kind: its form fields, validation, file location, catalog refresh.

Entries (interview, salon, case) and 民生实事 projects share one save/review/history pipeline in
``editing.py``; each kind plugs in through a ``Kind`` adapter defined here. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from .. import catalog, content
from ..content import projects as project_files
from ..content.project_model import PROJECT_KIND, STAGES, Project, plain_number
from ..content.schema import LEARNING_KIND, PROJECT_LABELS, PROJECT_PART_LABELS, PROJECT_PARTS
from ..db import DbSession
from ..models import EntryRow, TopicRow
from .form_text import chapters_from_text as chapters_from_text
from .form_text import chapters_text as chapters_text
from .forms import FORM_FIELDS as FORM_FIELDS
from .forms import LIST_SPLIT as LIST_SPLIT
from .forms import Errors as Errors
from .forms import FormField as FormField
from .forms import errors_by_field, labelled
from .forms import fields_for as fields_for
from .forms import form_values as form_values
from .forms import meta_from_form as meta_from_form
from .learning_kind import LearningKind
from .motion_form import INTEGER as _INTEGER
from .motion_form import motion_values, motion_vote, typed_vote


class Kind(Protocol):
    """The per-kind part of saving through the editor."""

    name: str

    def locate(self, root: Path, session: DbSession, slug: str, values: Mapping[str, str] | None) -> Path:
        """The file of an existing item, else where a new one with these values goes."""
        ...

    def build(
        self, root: Path, session: DbSession, slug: str, values: Mapping[str, str], status: str, path: Path
    ) -> tuple[Any | None, str, Errors]:
        """Validate form values: (the item or None, its file text, errors by form field)."""
        ...

    def parse(self, root: Path, slug: str, text: str, path: Path) -> Any | None:
        """An item from file text (None if unusable)."""
        ...

    def refresh(self, session: DbSession, root: Path, path: Path) -> None:
        """Mirror the just-written file into the catalog."""
        ...

    def values(self, item: Any) -> dict[str, str]:
        """An item as form values."""
        ...

    def blank(self, args: Mapping[str, str], today: str) -> dict[str, str]:
        """Form values of a new item."""
        ...

    def front_matter(self, values: Mapping[str, str], status: str) -> dict[str, Any]:
        """The front matter the form values would be written with (unvalidated)."""
        ...


class EntryKind:
    """Interviews, salons and cases."""

    def __init__(self, name: str) -> None:
        self.name = name

    def locate(self, root: Path, session: DbSession, slug: str, values: Mapping[str, str] | None) -> Path:
        row = session.scalar(select(EntryRow).where(EntryRow.kind == self.name, EntryRow.slug == slug))
        if row is not None:
            return root / row.path
        taken = [p for k, p in content.iter_entry_files(root) if k == self.name and p.stem == slug]
        return taken[0] if taken else content.entry_path(root, self.name, slug)

    def build(
        self, root: Path, session: DbSession, slug: str, values: Mapping[str, str], status: str, path: Path
    ) -> tuple[Any | None, str, Errors]:
        meta = meta_from_form(self.name, values, status)
        rules, _ = content.load_rules(root)
        body = (values.get("body") or "").replace("\r\n", "\n")
        entry, problems = content.validate_entry(self.name, slug, meta, body.strip("\n") + "\n", rules=rules, path=path)
        errors = errors_by_field(problems, self.name)
        if entry is None or errors:
            return None, "", errors or {"": ["内容无法保存"]}
        return entry, content.serialize(entry), {}

    def front_matter(self, values: Mapping[str, str], status: str) -> dict[str, Any]:
        return meta_from_form(self.name, values, status)

    def parse(self, root: Path, slug: str, text: str, path: Path) -> Any | None:
        rules, _ = content.load_rules(root)
        entry, _ = content.parse_text(text, self.name, slug, rules=rules, path=path)
        return entry

    def refresh(self, session: DbSession, root: Path, path: Path) -> None:
        catalog.refresh(session, root, path)

    def values(self, item: Any) -> dict[str, str]:
        return form_values(item)

    def blank(self, args: Mapping[str, str], today: str) -> dict[str, str]:
        skeleton = content.skeleton(self.name, "new", "", args.get("topic", ""), dt.date.fromisoformat(today))
        return form_values(replace(skeleton, body=""))  # the editor shows the sections as hints instead


PROJECT_ROWS: dict[str, tuple[str, ...]] = {
    key: PROJECT_PARTS[key] for key in ("indicators", "milestones", "adjustments")
}
"""Repeatable rows of the project form, with their inputs (declared in ``content/schema.py``)."""
PROJECT_GROUPS: dict[str, tuple[str, ...]] = {key: PROJECT_PARTS[key] for key in ("vote", "evaluation", "survey")}
_ROW_KEY = re.compile(r"^(indicators|milestones|adjustments)-(\d{1,3})-([a-z_]+)$")
_ROW_TITLE = {"indicators": "name", "milestones": "text", "adjustments": "change"}
"""The input a problem with a whole row is shown under."""
_SURVEY_COUNTS = frozenset({"satisfied", "basically", "dissatisfied"})
"""Parts of ``survey`` typed as whole numbers."""


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "as_tuple"):
        return plain_number(value)
    return str(value)


class ProjectKind:
    """民生实事 projects, with repeatable indicator and milestone rows."""

    name = PROJECT_KIND

    def locate(self, root: Path, session: DbSession, slug: str, values: Mapping[str, str] | None) -> Path:
        taken = [p for p in project_files.iter_project_files(root) if p.stem == slug]
        if taken:
            return taken[0]
        year = (values or {}).get("year", "").strip()
        return project_files.project_path(root, int(year) if year.isdigit() and len(year) == 4 else 0, slug)

    def build(
        self, root: Path, session: DbSession, slug: str, values: Mapping[str, str], status: str, path: Path
    ) -> tuple[Any | None, str, Errors]:
        year = values.get("year", "").strip()
        if not (year.isdigit() and len(year) == 4):
            return None, "", {"year": ["请填写四位年份，例如 2021"]}
        meta, inputs = project_meta_from_form(values, status)
        known = {f"{k}/{s}" for k, s in session.execute(select(EntryRow.kind, EntryRow.slug))}
        topics = set(session.scalars(select(TopicRow.slug)))
        body = (values.get("body") or "").replace("\r\n", "\n")
        project, problems = project_files.validate_project(
            slug,
            project_files.folder_year(root, path),
            meta,
            body.strip("\n") + "\n",
            path=path,
            known=known,
            topics=topics,
        )
        errors = _errors_by_input(problems, inputs)
        if project is None or errors:
            return None, "", errors or {"": ["内容无法保存"]}
        return project, project_files.serialize_project(project), {}

    def front_matter(self, values: Mapping[str, str], status: str) -> dict[str, Any]:
        return project_meta_from_form(values, status)[0]

    def parse(self, root: Path, slug: str, text: str, path: Path) -> Any | None:
        project, _ = project_files.parse_project_text(text, slug, project_files.folder_year(root, path), path=path)
        return project

    def refresh(self, session: DbSession, root: Path, path: Path) -> None:
        catalog.refresh(session, root, path)

    def values(self, item: Any) -> dict[str, str]:
        project: Project = item
        values = {
            "title": project.title,
            "year": str(project.year),
            "number": "" if project.number is None else str(project.number),
            "lead": project.lead,
            "stage": project.stage,
            "sample": "1" if project.sample else "",
            "related": "\n".join(project.related),
            "body": project.body,
        }
        values |= {f"{TOPIC_INPUT}{slug}": "1" for slug in project.topics}
        values[TOPIC_ORDER] = " ".join(project.topics)
        if project.vote is not None:
            v = project.vote
            values |= {
                "vote-session": v.session,
                "vote-date": v.date.isoformat() if v.date else "",
                "vote-present": str(v.present),
                "vote-for": str(v.votes_for),
                "vote-against": str(v.against),
                "vote-abstain": str(v.abstain),
            }
        if project.evaluation is not None:
            e = project.evaluation
            values |= {
                "evaluation-date": e.date.isoformat() if e.date else "",
                "evaluation-verdict": e.verdict,
                "evaluation-score": _plain(e.score),
                "evaluation-text": e.text,
            }
        if project.survey is not None:
            s = project.survey
            values |= {
                "survey-date": s.date.isoformat() if s.date else "",
                "survey-method": s.method,
                "survey-satisfied": str(s.satisfied),
                "survey-basically": str(s.basically),
                "survey-dissatisfied": str(s.dissatisfied),
                "survey-note": s.note,
            }
        for n, ind in enumerate(project.indicators):
            for key in PROJECT_ROWS["indicators"]:
                values[f"indicators-{n}-{key}"] = _plain(getattr(ind, key))
        for n, ms in enumerate(project.milestones):
            values[f"milestones-{n}-date"] = ms.date
            values[f"milestones-{n}-text"] = ms.text
            values[f"milestones-{n}-evidence"] = "\n".join(ms.evidence)
        values |= motion_values(project)
        return values

    def blank(self, args: Mapping[str, str], today: str) -> dict[str, str]:
        return {"year": today[:4], "stage": STAGES[0], "body": ""}


TOPIC_INPUT = "topics-"
"""The project form has one checkbox per topic, named ``topics-<slug>``."""
TOPIC_ORDER = "topic-order"
"""A hidden input with the topics in the file's order: the checkboxes follow topics.yml's order."""


def row_indexes(values: Mapping[str, str], group: str) -> list[int]:
    """The row numbers present in the form for ``indicators`` or ``milestones``, in order."""
    found = {int(m.group(2)) for key in values if (m := _ROW_KEY.match(key)) and m.group(1) == group}
    return sorted(found)


def project_meta_from_form(values: Mapping[str, str], status: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Front matter from the project form, and for each field path (``indicators.0.planned``) the
    form input it came from.

    Rows keep the form's own numbering in the input names (``indicators-3-planned``) so a problem
    lands under the input the user typed into, even when blank rows were skipped.
    """
    meta: dict[str, Any] = {}
    inputs: dict[str, str] = {}

    def text(key: str) -> str:
        return (values.get(key) or "").strip()

    for key in ("title", "year", "number", "lead", "stage"):
        raw = text(key)
        if raw or key in ("title", "year", "lead", "stage"):
            meta[key] = int(raw) if key in ("year", "number") and _INTEGER.match(raw) else raw
            inputs[key] = key
    for group, keys in PROJECT_GROUPS.items():
        data: dict[str, Any] = {k: text(f"{group}-{k}") for k in keys if text(f"{group}-{k}")}
        if data:
            if group == "vote":
                data = typed_vote(lambda k: text(f"vote-{k}"))
            elif group == "survey":
                data = {k: (int(v) if k in _SURVEY_COUNTS and _INTEGER.match(v) else v) for k, v in data.items()}
            meta[group] = data
            inputs[group] = group
            inputs |= {f"{group}.{k}": f"{group}-{k}" for k in data}
    for group, keys in PROJECT_ROWS.items():
        rows: list[dict[str, Any]] = []
        for index in row_indexes(values, group):
            row: dict[str, Any] = {k: text(f"{group}-{index}-{k}") for k in keys if k != "vote"}
            row = {k: v for k, v in row.items() if v}
            position = len(rows)
            if "vote" in keys and (vote := motion_vote(text, f"{group}-{index}-", f"{group}.{position}", inputs)):
                row["vote"] = vote  # a motion's vote: the same parts as the project's, in the row
            if not row:
                continue
            if "evidence" in row:
                row["evidence"] = [e.strip() for e in row["evidence"].splitlines() if e.strip()]
            rows.append(row)
            inputs[f"{group}.{position}"] = f"{group}-{index}-{_ROW_TITLE[group]}"
            inputs |= {f"{group}.{position}.{k}": f"{group}-{index}-{k}" for k in row if k != "vote"}
        if rows:
            meta[group] = rows
            inputs[group] = group
    related = [r.strip() for r in re.split(r"[\s,，、]+", text("related")) if r.strip()]
    if related:
        meta["related"] = related
        inputs["related"] = "related"
    topics = [key.removeprefix(TOPIC_INPUT) for key, value in values.items() if key.startswith(TOPIC_INPUT) and value]
    before = text(TOPIC_ORDER).split()  # the file's order comes back; newly ticked topics follow
    topics.sort(key=lambda slug: before.index(slug) if slug in before else len(before))
    if topics:
        meta["topics"] = topics
        inputs["topics"] = "topics"
    if values.get("sample"):
        meta["sample"] = True
    meta["status"] = status
    return meta, inputs


def _errors_by_input(problems: list[content.Problem], inputs: Mapping[str, str]) -> Errors:
    """Problems under the input their field path came from (the nearest enclosing one)."""
    errors: Errors = {}
    for problem in problems:
        path = problem.field
        while path and path not in inputs:
            path = path.rpartition(".")[0]
        key = problem.field.split(".", 1)[0]
        message = labelled(problem.message, key, PROJECT_LABELS.get(key), PROJECT_PART_LABELS.get(key))
        errors.setdefault(inputs.get(path, path), []).append(message)
    return errors


KINDS: dict[str, Kind] = {name: EntryKind(name) for name in content.KINDS}
KINDS[PROJECT_KIND] = ProjectKind()


KINDS[LEARNING_KIND] = LearningKind()


def kind_of(name: str) -> Kind:
    return KINDS[name]
