"""What the editor needs to know per kind: its form fields, validation, file location, catalog refresh.

Entries (interview, salon, case) and 民生实事 projects share one save/review/history pipeline in
``editing.py``; each kind plugs in through a ``Kind`` adapter defined here. No Flask here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from .. import catalog, content
from ..content import projects as project_files
from ..content.model import Chapter
from ..content.project_model import PROJECT_KIND, STAGES, Project, plain_number
from ..db import DbSession
from ..models import EntryRow

Errors = dict[str, list[str]]


LIST_SPLIT = re.compile(r"[,，、;；\n]+")


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    widget: str
    kinds: tuple[str, ...] = content.KINDS
    hint: str = ""


FORM_FIELDS: tuple[FormField, ...] = (
    FormField("title", "标题", "text"),
    FormField("topic", "主题", "topic"),
    FormField("date", "日期", "date"),
    FormField("summary", "摘要", "textarea", hint="一两句话，显示在列表和分享卡片上"),
    FormField("tags", "标签", "list", hint="用逗号或顿号分隔"),
    FormField("street", "街道", "street"),
    FormField("community", "社区", "community"),
    FormField("scope", "范围", "scope", kinds=("case",)),
    FormField("region", "地区", "text", kinds=("case",), hint="微分享案例所在地，如：四川省成都市"),
    FormField("people", "受访者", "list", kinds=("interview",), hint="姓名和职务，用逗号分隔"),
    FormField("participants", "参与者", "list", kinds=("salon",), hint="用逗号或换行分隔"),
    FormField("video", "视频链接", "text", hint="mp4 地址，或腾讯视频、哔哩哔哩的播放页（直接复制浏览器地址栏）"),
    FormField("chapters", "视频章节", "textarea", hint="每行一章：时间 标题，如“03:15 老旧楼院怎么管”；显示在视频下方"),
    FormField("cover", "封面图", "cover", hint="上传图片，或填写 media/ 下的文件名"),
    FormField("sample", "示例内容", "checkbox", hint="虚构的示例，页面上会标注“示例内容”"),
)
LIST_KEYS = {"tags", "people", "participants"}
_CHAPTER_LINE = re.compile(r"^(\S+)(?:\s+(.*))?$")


def chapters_from_text(text: str) -> list[dict[str, str]]:
    """The chapters textarea (``03:15 标题`` per line) as front-matter items; the validator checks them."""
    items: list[dict[str, str]] = []
    for line in text.splitlines():
        match = _CHAPTER_LINE.match(line.strip())
        if match:
            items.append({"at": match.group(1), "title": (match.group(2) or "").strip()})
    return items


def chapters_text(chapters: tuple[Chapter, ...]) -> str:
    """Chapters as the editor shows them: ``03:15 标题`` per line."""
    return "\n".join(f"{c.time} {c.title}" for c in chapters)


def fields_for(kind: str) -> list[FormField]:
    return [f for f in FORM_FIELDS if kind in f.kinds]


def form_values(entry: content.Entry) -> dict[str, str]:
    """An entry as the editor's form values (lists joined with 、)."""
    values: dict[str, str] = {}
    for spec in fields_for(entry.kind):
        value = getattr(entry, spec.key)
        if spec.key == "chapters":
            values[spec.key] = chapters_text(value)
        elif isinstance(value, tuple):
            values[spec.key] = "、".join(value)
        elif isinstance(value, bool):
            values[spec.key] = "1" if value else ""
        else:
            values[spec.key] = "" if value is None else str(value)
    values["body"] = entry.body
    return values


def meta_from_form(kind: str, form: Mapping[str, str], status: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Front-matter values from form strings, and a line number per key to map problems back."""
    meta: dict[str, Any] = {}
    for spec in fields_for(kind):
        raw = (form.get(spec.key) or "").strip()
        if spec.widget == "checkbox":
            if raw:
                meta[spec.key] = True
        elif spec.key == "chapters":
            if raw:
                meta[spec.key] = chapters_from_text(raw)
        elif spec.key in LIST_KEYS:
            items = [item.strip() for item in LIST_SPLIT.split(raw) if item.strip()]
            if items:
                meta[spec.key] = items
        elif raw or spec.key in ("title", "topic", "date"):
            meta[spec.key] = raw
    meta["status"] = status
    lines = {spec.key: n for n, spec in enumerate(FORM_FIELDS, start=2)}
    lines["status"] = len(FORM_FIELDS) + 2
    return meta, lines


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


def _errors_by_line(problems: list[content.Problem], fields_by_line: Mapping[int, str]) -> Errors:
    errors: Errors = {}
    for problem in problems:
        errors.setdefault(fields_by_line.get(problem.line, ""), []).append(problem.message)
    return errors


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
        meta, lines = meta_from_form(self.name, values, status)
        rules, _ = content.load_rules(root)
        body = (values.get("body") or "").replace("\r\n", "\n")
        entry, problems = content.validate_entry(
            self.name, slug, meta, body.strip("\n") + "\n", rules=rules, path=path, lines=lines
        )
        errors = _errors_by_line(problems, {n: key for key, n in lines.items()})
        if entry is None or errors:
            return None, "", errors or {"": ["内容无法保存"]}
        return entry, content.serialize(entry), {}

    def front_matter(self, values: Mapping[str, str], status: str) -> dict[str, Any]:
        return meta_from_form(self.name, values, status)[0]

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
    "indicators": ("name", "unit", "planned", "achieved", "note"),
    "milestones": ("date", "text", "evidence"),
}
PROJECT_GROUPS: dict[str, tuple[str, ...]] = {
    "vote": ("session", "date", "present", "for", "against", "abstain"),
    "evaluation": ("date", "verdict", "score", "text"),
}
_ROW_KEY = re.compile(r"^(indicators|milestones)-(\d{1,3})-([a-z]+)$")
_INTEGER = re.compile(r"^\s*\d{1,9}\s*$")


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
        meta, lines, fields = project_meta_from_form(values, status)
        known = {f"{k}/{s}" for k, s in session.execute(select(EntryRow.kind, EntryRow.slug))}
        body = (values.get("body") or "").replace("\r\n", "\n")
        project, problems = project_files.validate_project(
            slug,
            project_files.folder_year(root, path),
            meta,
            body.strip("\n") + "\n",
            path=path,
            lines=lines,
            known=known,
        )
        errors = _errors_by_line(problems, fields)
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
        for n, ind in enumerate(project.indicators):
            for key in PROJECT_ROWS["indicators"]:
                values[f"indicators-{n}-{key}"] = _plain(getattr(ind, key))
        for n, ms in enumerate(project.milestones):
            values[f"milestones-{n}-date"] = ms.date
            values[f"milestones-{n}-text"] = ms.text
            values[f"milestones-{n}-evidence"] = "\n".join(ms.evidence)
        return values

    def blank(self, args: Mapping[str, str], today: str) -> dict[str, str]:
        return {"year": today[:4], "stage": STAGES[0], "body": ""}


def row_indexes(values: Mapping[str, str], group: str) -> list[int]:
    """The row numbers present in the form for ``indicators`` or ``milestones``, in order."""
    found = {int(m.group(2)) for key in values if (m := _ROW_KEY.match(key)) and m.group(1) == group}
    return sorted(found)


def project_meta_from_form(
    values: Mapping[str, str], status: str
) -> tuple[dict[str, Any], dict[tuple[str | int, ...], int], dict[int, str]]:
    """Front matter from the project form, and for each fake line number the form field it came from.

    Rows keep the form's own numbering in the field names (``indicators-3-planned``) so a problem
    lands under the input the user typed into, even when blank rows were skipped.
    """
    meta: dict[str, Any] = {}
    lines: dict[tuple[str | int, ...], int] = {}
    fields: dict[int, str] = {}
    line = 2

    def mark(where: tuple[str | int, ...], field: str) -> None:
        nonlocal line
        lines[where] = line
        fields[line] = field
        line += 1

    def text(key: str) -> str:
        return (values.get(key) or "").strip()

    for key in ("title", "year", "number", "lead", "stage"):
        raw = text(key)
        if raw or key in ("title", "year", "lead", "stage"):
            meta[key] = int(raw) if key in ("year", "number") and _INTEGER.match(raw) else raw
            mark((key,), key)
    for group, keys in PROJECT_GROUPS.items():
        data: dict[str, Any] = {k: text(f"{group}-{k}") for k in keys if text(f"{group}-{k}")}
        if data:
            if group == "vote":
                data = {
                    k: (int(v) if k in ("present", "for", "against", "abstain") and _INTEGER.match(v) else v)
                    for k, v in data.items()
                }
            meta[group] = data
            mark((group,), group)
            for k in data:
                mark((group, k), f"{group}-{k}")
    for group, keys in PROJECT_ROWS.items():
        rows: list[dict[str, Any]] = []
        for index in row_indexes(values, group):
            row: dict[str, Any] = {k: text(f"{group}-{index}-{k}") for k in keys}
            row = {k: v for k, v in row.items() if v}
            if not row:
                continue
            if "evidence" in row:
                row["evidence"] = [e.strip() for e in row["evidence"].splitlines() if e.strip()]
            position = len(rows)
            rows.append(row)
            mark((group, position), f"{group}-{index}-name" if group == "indicators" else f"{group}-{index}-text")
            for k in row:
                mark((group, position, k), f"{group}-{index}-{k}")
        if rows:
            meta[group] = rows
            mark((group,), group)
    related = [r.strip() for r in re.split(r"[\s,，、]+", text("related")) if r.strip()]
    if related:
        meta["related"] = related
        mark(("related",), "related")
        for n in range(len(related)):
            mark(("related", n), "related")
    if values.get("sample"):
        meta["sample"] = True
    meta["status"] = status
    mark(("status",), "")
    return meta, lines, fields


KINDS: dict[str, Kind] = {name: EntryKind(name) for name in content.KINDS}
KINDS[PROJECT_KIND] = ProjectKind()


def kind_of(name: str) -> Kind:
    return KINDS[name]
