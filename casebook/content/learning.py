"""借鉴 learning records: ``content/learning/<slug>.md`` — which community visited, studied or took up
which case, interview or topic, and when.

Each front-matter key is declared in ``schema.LEARNING_FIELDS``; the body is the short note. The
community and street are checked against ``places.yml`` exactly as an entry's are, ``topic`` against
``topics.yml`` and every ``learned_from`` key against the entries the caller knows, each problem with
the line of its key. ``parse_learning_text`` and ``serialize_learning`` are a pair held together by
a round-trip test. Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .frontmatter import body_first_line, read_front_matter, read_source
from .limits import body_problems
from .lint import lint_body
from .model import KINDS, SLUG_RE, STATUSES, Problem, Rules
from .schema import LEARNING_FIELD, LEARNING_FIELDS, LEARNING_KIND, LEARNING_TYPES, Field
from .validate import _check_place, _suggest
from .values import Invalid, as_bool, as_date, as_optional_text, as_string_list, limited, one_of

LEARNING_DIR = "learning"
"""The folder under ``content/`` that holds the records."""


@dataclass(frozen=True)
class Learning:
    """One validated 借鉴 record."""

    slug: str
    date: dt.date
    community: str
    type: str
    street: str | None = None
    learned_from: tuple[str, ...] = ()
    """Entry keys (``case/louyuan-386-yuan``) the community learned from."""
    topic: str | None = None
    title: str | None = None
    body: str = ""
    status: str = "published"
    sample: bool = False

    @property
    def key(self) -> str:
        return f"{LEARNING_KIND}/{self.slug}"

    @property
    def is_public(self) -> bool:
        return self.status == "published"


def _refs(value: Any) -> tuple[str, ...]:
    """A list of strings, each once; every item is checked on its own in ``validate_learning``."""
    return tuple(dict.fromkeys(as_string_list(value)))


def _ref_problem(ref: str, known: Collection[str] | None) -> str | None:
    """Why ``ref`` cannot be used as a ``kind/slug`` key of an entry, or None."""
    kind, _, slug = ref.partition("/")
    if kind not in KINDS or not SLUG_RE.match(slug):
        return f"“{ref}”应写成 类型/slug（类型为 {' | '.join(KINDS)}），例如 case/louyuan-386-yuan"
    if known is not None and ref not in known:
        return f"没有条目“{ref}”{_suggest(ref, sorted(known))}"
    return None


def _normalizer(spec: Field) -> Callable[[Any], Any]:
    if spec.type == "choice":
        return one_of(spec.choices)
    by_type: dict[str, Callable[[Any], Any]] = {
        "line": as_optional_text,
        "date": as_date,
        "bool": as_bool,
        "refs": _refs,
    }
    normalize = by_type[spec.type]
    return limited(normalize, spec.limit, spec.label) if spec.limit else normalize


NORMALIZERS: dict[str, Callable[[Any], Any]] = {spec.key: _normalizer(spec) for spec in LEARNING_FIELDS}
"""Front-matter key → the one function that checks and cleans its value."""


def validate_learning(
    slug: str,
    meta: Mapping[str, Any],
    body: str,
    *,
    rules: Rules,
    path: Path,
    known: Collection[str] | None = None,
    lines: Mapping[str, int] | None = None,
    body_line: int = 1,
) -> tuple[Learning | None, list[Problem]]:
    """Validate one record; ``known`` are the entry keys ``learned_from`` may name (None: unchecked)."""
    lines = lines or {}
    problems: list[Problem] = []
    body, body_found = body_problems(body, path, body_line)
    usable = True

    def report(key: str | None, message: str) -> None:
        problems.append(Problem(path, lines.get(key, 1) if key else 1, message, field=key or ""))

    if not SLUG_RE.match(slug):
        report(None, f"文件名“{slug}”不能用作网址：只能用小写字母、数字和连字符，且不超过 80 个字符")
        usable = False
    values: dict[str, Any] = {}
    for key, raw in meta.items():
        key = str(key)
        spec = LEARNING_FIELD.get(key)
        if spec is None:
            report(key, f"未知字段“{key}”，已忽略（可用字段：{', '.join(LEARNING_FIELD)}）")
            continue
        try:
            values[key] = NORMALIZERS[key](raw)
        except Invalid as exc:
            for n, message in exc.items:
                problems.append(
                    Problem(
                        path,
                        lines.get(f"{key}.{n}", lines.get(key, 1)),
                        f"{key} 第 {n + 1} 项：{message}",
                        field=f"{key}.{n}",
                    )
                )
            if not exc.items:
                report(key, f"{key}：{exc}")
            if spec.required or spec.fatal:
                usable = False
    for spec in LEARNING_FIELDS:
        if spec.required and spec.key not in meta:
            report(spec.key, f"缺少必填字段 {spec.key}")
            usable = False

    had_community = "community" in values
    _check_place(values, rules, report)  # the same check as an entry's street and community
    if had_community and "community" not in values:  # unknown, or not of the street named: no subject
        usable = False

    topic = values.get("topic")
    if topic is not None and topic not in rules.topics:
        report("topic", f"未知主题“{topic}”，topics.yml 中没有{_suggest(topic, list(rules.topics))}")
        values.pop("topic")
    kept: list[str] = []
    for n, ref in enumerate(values.get("learned_from", ())):
        why = _ref_problem(ref, known)
        if why is None:
            kept.append(ref)
        else:
            line = lines.get(f"learned_from.{n}", lines.get("learned_from", 1))
            problems.append(Problem(path, line, f"learned_from 第 {n + 1} 项：{why}", field=f"learned_from.{n}"))
    if "learned_from" in values:
        values["learned_from"] = tuple(kept)
    if usable and not values.get("learned_from") and not values.get("topic"):
        report("learned_from", "缺少学习对象：learned_from 写案例或访谈（类型/slug），或 topic 写主题")
        usable = False

    problems += body_found
    if not usable:
        return None, problems
    values.setdefault("status", "published")
    return Learning(slug=slug, body=body, **values), problems


def parse_learning_text(
    text: str, slug: str, *, rules: Rules, path: Path, known: Collection[str] | None = None
) -> tuple[Learning | None, list[Problem]]:
    """Parse and validate one record's Markdown text (front matter + note)."""
    found, problems = read_front_matter(text, path)
    if found is None:
        return None, problems
    doc, meta, body = found
    first = body_first_line(text, body)
    body = body.strip("\n") + "\n" if body.strip() else ""
    record, more = validate_learning(
        slug, meta, body, rules=rules, path=path, known=known, lines=doc.lines, body_line=first
    )
    if record is not None and record.body:
        more += lint_body(record.body, path, first)
    return record, problems + more


def parse_learning_file(
    path: Path, rules: Rules, known: Collection[str] | None = None
) -> tuple[Learning | None, list[Problem]]:
    """Read, parse and validate one record file; the slug is the file's stem."""
    text, problems = read_source(path)
    if text is None:
        return None, problems
    return parse_learning_text(text, path.stem, rules=rules, path=path, known=known)


def iter_learning_files(root: Path) -> Iterator[Path]:
    """Every ``*.md`` under ``content/learning/``, in sorted order."""
    folder = root / LEARNING_DIR
    if folder.is_dir():
        for path in sorted(folder.rglob("*.md")):
            if path.is_file() and not path.name.startswith("."):
                yield path


def learning_path(root: Path, slug: str) -> Path:
    return root / LEARNING_DIR / f"{slug}.md"


def learning_meta(record: Learning) -> dict[str, Any]:
    """The front matter of a record: the declared fields in order, only meaningful keys."""
    meta: dict[str, Any] = {}
    for spec in LEARNING_FIELDS:
        value = getattr(record, spec.key)
        if spec.type == "refs":
            value = list(value)
        if value in (None, "", [], ()) and not spec.always:
            continue
        if spec.default is not None and value == spec.default:
            continue
        meta[spec.key] = value
    return meta


def serialize_learning(record: Learning) -> str:
    """Markdown text of a record: front matter, then the note."""
    front = yaml.safe_dump(
        learning_meta(record), sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None
    )
    return f"---\n{front}---\n{record.body.strip(chr(10))}\n"


__all__ = [
    "LEARNING_DIR",
    "LEARNING_KIND",
    "LEARNING_TYPES",
    "STATUSES",
    "Learning",
    "iter_learning_files",
    "learning_meta",
    "learning_path",
    "parse_learning_file",
    "parse_learning_text",
    "serialize_learning",
    "validate_learning",
]
