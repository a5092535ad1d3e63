"""Reading and writing the content folder: front matter with line numbers, topics, places.

``load(root)`` returns every usable entry plus every problem; a broken file never stops it.
``serialize`` and ``parse_text`` are a pair held together by a round-trip test.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .lint import lint_body, lint_chapters, lint_video
from .model import KIND_DIRS, KINDS, SLUG_RE, Entry, Problem, Rules, Topic
from .project_model import Project
from .schema import Field, fields_of, is_default
from .validate import validate_entry


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML, but timestamps stay text: dates are checked by the validator, with a line."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def _shared_node(root: yaml.Node) -> yaml.Node | None:
    """A node reached twice (a YAML alias ``*a``), or None. Content never needs aliases, and nested
    ones expand exponentially (a few hundred bytes can become gigabytes once written out)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return None


def split_front_matter(text: str) -> tuple[str, str] | None:
    """``(front matter, body)`` when ``text`` starts with a ``---`` line closed by another.

    Written here rather than taken from python-frontmatter, whose boundary pattern also
    swallows blank lines after ``---`` and so shifts every line number we report.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise ValueError("front matter is not closed")


@dataclass
class Document:
    """A parsed YAML document with the line of every top-level key (or list item)."""

    data: Any
    lines: dict[str, int]
    item_lines: list[int] = field(default_factory=list)
    node: Any = None
    """The composed YAML node tree, for callers that need the lines of nested keys."""


def read_yaml(
    text: str, path: Path, first_line: int = 1, loader_class: type[Any] = _Loader
) -> tuple[Document | None, list[Problem]]:
    """Parse YAML, recording top-level key lines; report syntax errors and duplicate keys."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is not None and (shared := _shared_node(node)) is not None:
            line = first_line + shared.start_mark.line
            return None, [Problem(path, line, "YAML 格式错误：不支持锚点和别名（& 与 *），请把内容直接写出来")]
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        last_line = first_line + max(0, text.count("\n") - 1)
        line = min(first_line + (mark.line if mark is not None else 0), last_line)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(path, line, f"YAML 格式错误：{reason}")]
    except (ValueError, TypeError) as exc:  # a constructor refused a value
        return None, [Problem(path, first_line, f"YAML 格式错误：{exc}")]
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    item_lines = [first_line + n.start_mark.line for n in node.value] if isinstance(node, yaml.SequenceNode) else []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = first_line + key_node.start_mark.line
            if key in lines:
                problems.append(Problem(path, line, f"字段“{key}”重复出现，只保留最后一个"))
            lines[key] = line
            if isinstance(value_node, yaml.SequenceNode):  # list items get lines too: "chapters.0"
                for n, item in enumerate(value_node.value):
                    lines[f"{key}.{n}"] = first_line + item.start_mark.line
    return Document(data, lines, item_lines, node), problems


def read_front_matter(
    text: str, path: Path, loader_class: type[Any] = _Loader
) -> tuple[tuple[Document, dict[Any, Any], str] | None, list[Problem]]:
    """Split a content file into its front matter (read as a mapping) and body, with problems."""
    try:
        parts = split_front_matter(text.removeprefix("\ufeff"))
    except ValueError:
        return None, [Problem(path, 1, "前置信息没有结束：缺少第二行 ---")]
    if parts is None:
        return None, [Problem(path, 1, "缺少 YAML 前置信息：文件应以一行 --- 开头")]
    front, body = parts
    first_line = 2
    doc, problems = read_yaml(front, path, first_line, loader_class=loader_class)
    if doc is None:
        return None, problems
    meta = doc.data if doc.data is not None else {}
    if not isinstance(meta, dict):
        return None, [*problems, Problem(path, first_line, "前置信息应为“字段: 值”的映射")]
    return (doc, meta, body), problems


def parse_text(text: str, kind: str, slug: str, *, rules: Rules, path: Path) -> tuple[Entry | None, list[Problem]]:
    """Parse and validate one entry's Markdown text (front matter + body)."""
    found, problems = read_front_matter(text, path)
    if found is None:
        return None, problems
    doc, meta, body = found
    entry, more = validate_entry(kind, slug, meta, body.strip("\n") + "\n", rules=rules, path=path, lines=doc.lines)
    if entry is not None:
        more += lint_body(entry.body, path, body_first_line(text, body))
        more += lint_video(entry.video, path, doc.lines.get("video", 1))
        more += lint_chapters(entry, path, doc.lines.get("chapters", 1))
    return entry, problems + more


def body_first_line(text: str, body: str) -> int:
    """The file line on which the (leading-blank-stripped) body begins."""
    start = len(text) - len(body) + (len(body) - len(body.lstrip("\n")))
    return text.count("\n", 0, start) + 1


def parse_file(path: Path, kind: str, rules: Rules) -> tuple[Entry | None, list[Problem]]:
    """Read, parse and validate one entry file; the slug is the file's stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return None, [Problem(path, line, "文件不是 UTF-8 编码")]
    except OSError as exc:
        return None, [Problem(path, 1, f"无法读取：{exc.strerror}")]
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


def _load_places(path: Path) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    if not path.is_file():
        return {}, [Problem(path, 1, "缺少 places.yml")]
    from .places import read_places  # it reads YAML with this module's reader

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
    places, more = _load_places(root / "places.yml")
    return Rules(topics, places, list_media(root)), problems + more


@dataclass
class Library:
    """Everything ``load`` found: usable entries (by key) and every problem."""

    rules: Rules
    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    projects: dict[str, Project] = field(default_factory=dict)
    """民生实事 projects by slug."""


def load(root: Path) -> Library:
    """Load the whole content folder; broken files are reported and skipped."""
    from .glossary import load_glossary

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
    from .projects import load_projects

    library.projects, found = load_projects(root, known=set(library.entries))
    library.problems.extend(found)
    return library


def entry_path(root: Path, kind: str, slug: str) -> Path:
    """Where a new entry of this kind and slug is written."""
    return root / KIND_DIRS[kind] / f"{slug}.md"


def _yaml_value(spec: Field, value: Any) -> Any:
    if spec.type == "chapters":
        return [{"at": c.time, "title": c.title} for c in value]
    return list(value) if isinstance(value, tuple) else value


def entry_meta(entry: Entry) -> dict[str, Any]:
    """The front matter of an entry: its kind's fields in the declared order, defaults left out."""
    meta: dict[str, Any] = {}
    for spec in fields_of(entry.kind):
        value = getattr(entry, spec.key)
        if is_default(spec, value) and not spec.always:
            continue
        meta[spec.key] = _yaml_value(spec, value)
    return meta


def serialize(entry: Entry) -> str:
    """Markdown text of an entry: front matter with only meaningful keys, then the body."""
    front = yaml.safe_dump(
        entry_meta(entry), sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False
    )
    return f"---\n{front}---\n{entry.body.strip(chr(10))}\n"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8) or bytes so readers see the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode() if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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
