"""Loading and validating 民生实事 project files: ``content/projects/<year>/<slug>.md``.

Front matter is read with ``project_reader.ExactLoader``, which turns every YAML number into an
exact ``Decimal`` (a number never passes through a binary float), and every nested key keeps its
line, so each problem is reported as ``path:line``; writing lives in ``project_write``. A broken
value is reported and dropped; only a missing or unusable title, year, lead, stage or status makes
the whole project unusable. ``parse_project_text`` and ``serialize_project`` are a pair held
together by a round-trip test.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from .frontmatter import body_first_line, read_front_matter, read_source
from .limits import body_problems
from .lint import lint_body
from .model import SLUG_RE, Problem
from .project_model import PROJECTS_DIR, Project
from .project_reader import (
    RATE_MESSAGE,
    ExactLoader,
    Reader,
    Where,
    as_positive,
    as_year,
    key_lines,
    read_adjustment,
    read_evaluation,
    read_indicator,
    read_milestone,
    read_survey,
    read_vote,
)
from .project_write import project_meta as project_meta  # re-exported: the editor writes projects
from .project_write import serialize_project as serialize_project
from .schema import PROJECT_FIELDS as SCHEMA_FIELDS
from .schema import ProjectField
from .values import as_bool, as_text, limited, one_of

_PLAIN: dict[str, Callable[[Any], Any]] = {"text": as_text, "year": as_year, "number": as_positive, "bool": as_bool}


def _normalizer(spec: ProjectField) -> Callable[[Any], Any] | None:
    if spec.type == "choice":
        return one_of(spec.choices)
    normalize = _PLAIN.get(spec.type)  # None: a structure, read by its own reader below
    return limited(normalize, spec.limit, spec.label) if normalize and spec.limit else normalize


PROJECT_FIELDS: dict[str, tuple[Callable[[Any], Any] | None, bool]] = {
    spec.key: (_normalizer(spec), spec.fatal) for spec in SCHEMA_FIELDS
}
"""Front-matter key → (normalizer of a plain value or None for a structure, whether a bad value is fatal),
from the declarations in ``schema.py``."""
REQUIRED = tuple(spec.key for spec in SCHEMA_FIELDS if spec.required)


def validate_project(
    slug: str,
    folder_year: str | None,
    meta: Mapping[str, Any],
    body: str,
    *,
    path: Path,
    lines: Mapping[Where, int] | None = None,
    known: Collection[str] | None = None,
    topics: Collection[str] | None = None,
    body_line: int = 1,
) -> tuple[Project | None, list[Problem]]:
    """Validate a project's front matter and body (its first line in the file: ``body_line``);
    ``known`` are the entry keys ``related`` may name, ``topics`` the topic slugs ``topics`` may
    name (None: unchecked)."""
    r = Reader(path, lines or {}, known, topics)
    body, body_found = body_problems(body, path, body_line)  # control characters dropped, the rest kept
    usable = True
    values: dict[str, Any] = {}
    for key, raw in meta.items():
        key = str(key)
        if key == "rate":
            r.report((key,), RATE_MESSAGE)
            continue
        if key not in PROJECT_FIELDS:
            r.report((key,), f"未知字段“{key}”，已忽略（可用字段：{', '.join(PROJECT_FIELDS)}）")
            continue
        normalize, fatal = PROJECT_FIELDS[key]
        if normalize is None:
            continue
        value = r.value((key,), raw, normalize, key)
        if value == "" and key in REQUIRED:
            r.report((key,), f"{key} 不能为空")
        if value is None or value == "":
            usable = usable and not fatal
        else:
            values[key] = value
    for key in REQUIRED:
        if key not in meta:
            r.report((key,), f"缺少必填字段 {key}")
            usable = False
    if not SLUG_RE.match(slug):
        r.report((), f"文件名“{slug}”不能用作网址：只能用小写字母、数字和连字符，且不超过 80 个字符")
        usable = False
    if folder_year is None or not folder_year.isdigit():
        r.report((), f"项目文件应放在 {PROJECTS_DIR}/<年份>/ 文件夹下，例如 {PROJECTS_DIR}/2021/{slug}.md")
        usable = False
    elif "year" in values and str(values["year"]) != folder_year:
        r.report(("year",), f"year 为 {values['year']}，但文件在 {PROJECTS_DIR}/{folder_year}/ 下：两者应一致")
        usable = False

    indicators = [
        read_indicator(r, at, raw) for at, raw in r.items(("indicators",), meta.get("indicators"), "indicators")
    ]
    milestones = [
        read_milestone(r, at, raw) for at, raw in r.items(("milestones",), meta.get("milestones"), "milestones")
    ]
    related: list[str] = []
    for at, raw in r.items(("related",), meta.get("related"), "related"):
        found = r.related_key(at, raw, "related")
        if found and found not in related:
            related.append(found)
    topic_slugs: list[str] = []
    for at, raw in r.items(("topics",), meta.get("topics"), "topics"):
        slug_found = r.topic_slug(at, raw)
        if slug_found and slug_found not in topic_slugs:
            topic_slugs.append(slug_found)
    vote = read_vote(r, meta["vote"]) if meta.get("vote") is not None else None
    evaluation = read_evaluation(r, meta["evaluation"]) if meta.get("evaluation") is not None else None
    adjustments = [
        read_adjustment(r, at, raw, vote)
        for at, raw in r.items(("adjustments",), meta.get("adjustments"), "adjustments")
    ]
    survey = read_survey(r, meta["survey"]) if meta.get("survey") is not None else None
    r.problems += body_found
    if not usable:
        return None, r.problems
    return (
        Project(
            slug=slug,
            body=body,
            indicators=tuple(i for i in indicators if i is not None),
            milestones=tuple(sorted((m for m in milestones if m is not None), key=lambda m: m.date)),
            related=tuple(related),
            topics=tuple(topic_slugs),
            vote=vote,
            evaluation=evaluation,
            adjustments=tuple(sorted((a for a in adjustments if a is not None), key=lambda a: a.date)),
            survey=survey,
            **values,
        ),
        r.problems,
    )


def parse_project_text(
    text: str,
    slug: str,
    folder_year: str | None,
    *,
    path: Path,
    known: Collection[str] | None = None,
    topics: Collection[str] | None = None,
) -> tuple[Project | None, list[Problem]]:
    """Parse and validate one project's Markdown text (front matter + body)."""
    found, problems = read_front_matter(text, path, loader_class=ExactLoader)
    if found is None:
        return None, problems
    doc, meta, body = found
    lines = key_lines(doc.node, 2, problems, path)
    first = body_first_line(text, body)
    body = body.strip("\n") + "\n"
    project, more = validate_project(
        slug, folder_year, meta, body, path=path, lines=lines, known=known, topics=topics, body_line=first
    )
    if project is not None:
        more += lint_body(project.body, path, first)
    return project, problems + sorted(more, key=lambda p: p.line)


def folder_year(root: Path, path: Path) -> str | None:
    """The ``<year>`` of ``projects/<year>/<slug>.md`` (None when the file sits elsewhere)."""
    parts = path.relative_to(root / PROJECTS_DIR).parts
    return parts[0] if len(parts) == 2 else None


def parse_project_file(
    root: Path, path: Path, known: Collection[str] | None = None, topics: Collection[str] | None = None
) -> tuple[Project | None, list[Problem]]:
    """Read, parse and validate one project file under ``root`` (the content folder)."""
    text, problems = read_source(path)
    if text is None:
        return None, problems
    return parse_project_text(text, path.stem, folder_year(root, path), path=path, known=known, topics=topics)


def iter_project_files(root: Path) -> Iterator[Path]:
    """Every ``*.md`` under ``projects/``, in sorted order."""
    folder = root / PROJECTS_DIR
    if folder.is_dir():
        for path in sorted(folder.rglob("*.md")):
            if path.is_file() and not path.name.startswith("."):
                yield path


def load_projects(
    root: Path, known: Collection[str] | None = None, topics: Collection[str] | None = None
) -> tuple[dict[str, Project], list[Problem]]:
    """Every usable project (by slug) and every problem; a slug is unique across years."""
    projects: dict[str, Project] = {}
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in iter_project_files(root):
        if path.stem in seen:
            other = seen[path.stem].relative_to(root).as_posix()
            problems.append(Problem(path, 1, f"重复的项目 slug：{path.stem} 已由 {other} 使用（不同年份也不能重复）"))
            continue
        seen[path.stem] = path
        project, found = parse_project_file(root, path, known, topics)
        problems.extend(found)
        if project is not None:
            projects[project.slug] = project
    return projects, problems


def project_path(root: Path, year: int, slug: str) -> Path:
    """Where a project of this year and slug is written."""
    return root / PROJECTS_DIR / str(year) / f"{slug}.md"
