"""Reading and writing the content folder: front matter with line numbers, topics, places.

``load(root)`` returns every usable entry plus every problem; a broken file never stops it.
``serialize`` and ``parse_text`` are a pair held together by a round-trip test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .frontmatter import body_first_line, read_front_matter, read_source
from .frontmatter import read_yaml as read_yaml  # re-exported: editors read files too
from .frontmatter import split_front_matter as split_front_matter
from .glossary import load_glossary
from .learning import Learning, iter_learning_files, parse_learning_file
from .lint import lint_body, lint_chapters, lint_source, lint_video
from .model import KIND_DIRS, KINDS, SLUG_RE, Entry, Problem, Rules, Topic
from .places import read_places
from .project_model import Project
from .projects import load_projects
from .proposal_files import load_offline, load_year_settings
from .schema import Field, fields_of, is_default
from .validate import validate_entry
from .writes import replacing as replacing  # re-exported: the one place content is written
from .writes import write_atomic as write_atomic


def parse_text(text: str, kind: str, slug: str, *, rules: Rules, path: Path) -> tuple[Entry | None, list[Problem]]:
    """Parse and validate one entry's Markdown text (front matter + body)."""
    found, problems = read_front_matter(text, path)
    if found is None:
        return None, problems
    doc, meta, body = found
    first = body_first_line(text, body)
    body = body.strip("\n") + "\n"
    entry, more = validate_entry(kind, slug, meta, body, rules=rules, path=path, lines=doc.lines, body_line=first)
    if entry is not None:
        more += lint_body(entry.body, path, first)
        more += lint_video(entry.video, path, doc.lines.get("video", 1))
        more += lint_chapters(entry, path, doc.lines.get("chapters", 1))
        if "source" not in doc.lines:  # a source written wrongly is reported as such, not as missing
            more += lint_source(entry, path, doc.lines.get("scope", 1))
    return entry, problems + more


def parse_file(path: Path, kind: str, rules: Rules) -> tuple[Entry | None, list[Problem]]:
    """Read, parse and validate one entry file; the slug is the file's stem."""
    text, problems = read_source(path)
    if text is None:
        return None, problems
    return parse_text(text, kind, path.stem, rules=rules, path=path)


def iter_entry_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Yield ``(kind, path)`` for every ``*.md`` under the kind folders, in sorted order."""
    for kind in KINDS:
        folder = root / KIND_DIRS[kind]
        if folder.is_dir():
            for path in sorted(folder.rglob("*.md")):
                if path.is_file() and not path.name.startswith("."):
                    yield kind, path


def _load_topics(path: Path) -> tuple[dict[str, Topic], list[Problem]]:
    if not path.is_file():
        return {}, [Problem(path, 1, "缺少 topics.yml")]
    doc, problems = read_yaml(path.read_text(encoding="utf-8"), path)
    if doc is None:
        return {}, problems
    if not isinstance(doc.data, list):
        return {}, [*problems, Problem(path, 1, "topics.yml 应为主题列表")]
    topics: dict[str, Topic] = {}
    numbers: set[int] = set()
    for line, item in zip(doc.item_lines, doc.data, strict=True):
        if not isinstance(item, dict):
            problems.append(Problem(path, line, "每个主题应为映射：slug、number、title、summary"))
            continue
        unknown = set(item) - {"slug", "number", "title", "summary", "cover", "example"}
        for key in sorted(map(str, unknown)):
            problems.append(Problem(path, line, f"未知字段“{key}”，已忽略"))
        slug, number, title = str(item.get("slug", "")), item.get("number"), item.get("title")
        if not SLUG_RE.match(slug):
            problems.append(Problem(path, line, f"主题 slug“{slug}”无效"))
        elif slug in topics:
            problems.append(Problem(path, line, f"主题 slug“{slug}”重复"))
        elif not isinstance(number, int) or isinstance(number, bool) or number < 1:
            problems.append(Problem(path, line, f"主题 {slug} 的 number 应为正整数"))
        elif number in numbers:
            problems.append(Problem(path, line, f"期号 {number} 重复"))
        elif not title or not isinstance(title, str):
            problems.append(Problem(path, line, f"主题 {slug} 缺少 title"))
        else:
            numbers.add(number)
            topics[slug] = Topic(
                slug,
                number,
                title.strip(),
                str(item.get("summary") or "").strip(),
                str(item["cover"]) if item.get("cover") else None,
                item.get("example") is True,
            )
    return topics, problems


def load_places(path: Path) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """The street → communities map of ``path`` (places.yml) and its problems (a missing file is one)."""
    if not path.is_file():
        return {}, [Problem(path, 1, "缺少 places.yml")]
    return read_places(path.read_text(encoding="utf-8"), path)


def list_media(root: Path) -> frozenset[str]:
    """Files under ``media/``, as posix paths relative to it."""
    media = root / "media"
    if not media.is_dir():
        return frozenset()
    return frozenset(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


def load_rules(root: Path) -> tuple[Rules, list[Problem]]:
    """Read ``topics.yml``, ``places.yml`` and the media listing."""
    topics, problems = _load_topics(root / "topics.yml")
    places, more = load_places(root / "places.yml")
    return Rules(topics, places, list_media(root)), problems + more


@dataclass
class Library:
    """Everything ``load`` found: usable entries (by key) and every problem."""

    rules: Rules
    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    projects: dict[str, Project] = field(default_factory=dict)
    """民生实事 projects by slug."""
    learning: dict[str, Learning] = field(default_factory=dict)
    """借鉴 records by slug."""


def load(root: Path) -> Library:
    """Load the whole content folder; broken files are reported and skipped."""
    rules, problems = load_rules(root)
    problems += load_glossary(root)[1]
    library = Library(rules, problems=problems)
    seen: dict[str, Path] = {}
    for kind, path in iter_entry_files(root):
        key = f"{kind}/{path.stem}"
        if key in seen:
            library.problems.append(Problem(path, 1, f"重复的 slug：{key} 已由 {seen[key].as_posix()} 使用"))
            continue
        seen[key] = path
        entry, found = parse_file(path, kind, rules)
        library.problems.extend(found)
        if entry is not None:
            library.entries[entry.key] = entry
    library.projects, found = load_projects(root, known=set(library.entries), topics=set(rules.topics))
    library.problems.extend(found)
    years, found = load_year_settings(root)  # 征集: year.yml and proposals.yml beside the projects
    library.problems += found + load_offline(root, rules.places, years)[1]
    for path in iter_learning_files(root):
        if path.stem in library.learning:
            library.problems.append(Problem(path, 1, f"重复的借鉴记录 slug：{path.stem}"))
            continue
        record, found = parse_learning_file(path, rules, known=set(library.entries))
        library.problems.extend(found)
        if record is not None:
            library.learning[record.slug] = record
    return library


def entry_path(root: Path, kind: str, slug: str) -> Path:
    """Where a new entry of this kind and slug is written."""
    return root / KIND_DIRS[kind] / f"{slug}.md"


def _yaml_value(spec: Field, value: Any) -> Any:
    if spec.type == "chapters":
        return [{"at": c.time, "title": c.title} for c in value]
    if spec.type == "source":
        return {k: v for k, v in (("name", value.name), ("url", value.url), ("date", value.date)) if v}
    if spec.type == "attachments":
        return [{"file": a.file, "title": a.title} for a in value or ()]
    return list(value) if isinstance(value, tuple) else value


def entry_meta(entry: Entry) -> dict[str, Any]:
    """The front matter of an entry: its kind's fields in the declared order, defaults left out."""
    meta: dict[str, Any] = {}
    for spec in fields_of(entry.kind):
        value = entry.value(spec.key)
        if value is None or (is_default(spec, value) and not spec.always):
            continue
        meta[spec.key] = _yaml_value(spec, value)
    return meta


def serialize(entry: Entry) -> str:
    """Markdown text of an entry: front matter with only meaningful keys, then the body."""
    front = yaml.safe_dump(entry_meta(entry), sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
    return f"---\n{front}---\n{entry.body.strip(chr(10))}\n"


SECTION_HINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "interview": (
        ("访谈背景", "简要介绍社区和访谈缘起"),
        ("访谈要点", "按“问：… 答：…”整理书记的回答，每段一问一答"),
    ),
    "salon": (
        ("沙龙概况", "时间、地点、参与者"),
        ("观点摘录", "谁说了什么，一人一段"),
        ("共识与下一步", "达成了什么共识，接下来谁做什么"),
    ),
    "case": (
        ("背景", "遇到了什么问题"),
        ("做法", "分步骤写清怎么做"),
        ("成效", "有哪些可核对的变化"),
        ("启示", "别的社区可以借鉴什么"),
    ),
}
"""The sections an entry of each kind usually has: shown as hints, never written as body text."""


def hint_comment(kind: str) -> str:
    """The section hints as a Markdown comment (kept in the file, never rendered or published)."""
    lines = [f"  ## {heading}：{prompt}" for heading, prompt in SECTION_HINTS[kind]]
    return "<!-- 建议的小节（这段注释不会发布，可以删除）：\n" + "\n".join(lines) + "\n-->\n"


def skeleton(kind: str, slug: str, title: str, topic: str, today: dt.date) -> Entry:
    """A new draft entry; the usual sections are given as a hint comment, not as body text."""
    extra: dict[str, Any] = {"scope": "local"} if kind == "case" else {}
    return Entry(
        kind=kind, slug=slug, title=title, topic=topic, date=today, body=hint_comment(kind), status="draft", **extra
    )
