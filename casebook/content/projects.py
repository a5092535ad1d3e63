"""Reading and writing 民生实事 project files: ``content/projects/<year>/<slug>.md``.

Front matter is read with a loader that turns every YAML number into an exact ``Decimal`` (a
number never passes through a binary float), and every nested key keeps its line, so each
problem is reported as ``path:line``. A broken value is reported and dropped; only a missing or
unusable title, year, lead, stage or status makes the whole project unusable.
``parse_project_text`` and ``serialize_project`` are a pair held together by a round-trip test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .files import _Loader, body_first_line, read_front_matter
from .lint import lint_body
from .model import KINDS, SLUG_RE, STATUSES, Problem
from .project_model import (
    PROJECTS_DIR,
    STAGES,
    Evaluation,
    Indicator,
    Milestone,
    Project,
    Vote,
    plain_number,
)
from .validate import Invalid, _bool, _choice, _date, _text, _url

Where = tuple[str | int, ...]
MAX_DIGITS = 30
_PLAIN_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")
_DIGITS = re.compile(r"^[-+]?[0-9]+$")
_RATE_MESSAGE = "完成率不要填写：它总是由完成数 ÷ 计划数自动算出，请删除 rate"


class _ExactLoader(_Loader):
    """The content loader, but YAML floats become ``Decimal`` read from their text."""


def _construct_decimal(loader: Any, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node))
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text  # e.g. sexagesimal 1:30.5; the validator reports it as not a number
    return value if value.is_finite() else text


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    """Digits are read in base 10: YAML 1.1 would read ``0100`` as octal 64."""
    text = str(loader.construct_scalar(node)).replace("_", "")
    if _DIGITS.match(text):
        return int(text)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_ExactLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _lines(node: Any, first_line: int, problems: list[Problem], path: Path) -> dict[Where, int]:
    """The line of every key and list item below the root, by its path of keys and indexes."""
    lines: dict[Where, int] = {}

    def walk(current: Any, where: Where) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value)
                line = first_line + key_node.start_mark.line
                if key in seen and where:
                    problems.append(Problem(path, line, f"字段“{key}”重复出现，只保留最后一个"))
                seen.add(key)
                lines[(*where, key)] = line
                walk(value_node, (*where, key))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                lines[(*where, index)] = first_line + item.start_mark.line
                walk(item, (*where, index))

    if node is not None:
        walk(node, ())
    return lines


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid("应为数字")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):  # only from callers passing Python values; YAML gives Decimal
        number = Decimal(repr(value))
    elif isinstance(value, str) and _PLAIN_NUMBER.match(value.strip()):
        number = Decimal(value.strip())
    else:
        raise Invalid(f"“{value}”不是数字（写成 19500 或 1.5，不加单位和千位分隔符）")
    if not number.is_finite():
        raise Invalid("应为有限的数字")
    if number < 0:
        raise Invalid("不能为负数")
    if len(number.as_tuple().digits) > MAX_DIGITS:
        raise Invalid(f"数字超过 {MAX_DIGITS} 位")
    return number


def _count(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("应为整数")
    if value < 0:
        raise Invalid("不能为负数")
    return value


def _milestone_date(value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else _text(value)
    if _MONTH.match(text):
        try:
            dt.date.fromisoformat(f"{text}-01")
        except ValueError:
            pass
        else:
            return text
    return _date(text).isoformat()


def _link(value: Any) -> str:
    text = _text(value)
    if "/" in text and text.split("/", 1)[0] in KINDS:
        return text
    url = _url(text)
    if url is None:
        raise Invalid("链接不能为空")
    return url


class _Reader:
    """Validation of one file: values by path, problems with the line of the offending key."""

    def __init__(self, path: Path, lines: Mapping[Where, int], known: Collection[str] | None) -> None:
        self.path, self.lines, self.known = path, lines, known
        self.problems: list[Problem] = []

    def line(self, where: Where) -> int:
        while where and where not in self.lines:
            where = where[:-1]
        return self.lines.get(where, 1)

    def report(self, where: Where, message: str) -> None:
        self.problems.append(Problem(self.path, self.line(where), message))

    def value(self, where: Where, raw: Any, normalize: Callable[[Any], Any], label: str) -> Any:
        """``normalize(raw)``, or None after reporting why it cannot be used."""
        try:
            return normalize(raw)
        except Invalid as exc:
            self.report(where, f"{label}：{exc}")
            return None

    def mapping(self, where: Where, raw: Any, allowed: tuple[str, ...], label: str) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.report(where, f"{label}应为“字段: 值”的映射")
            return None
        for key in raw:
            if str(key) == "rate":
                self.report((*where, "rate"), _RATE_MESSAGE)
            elif str(key) not in allowed:
                self.report((*where, str(key)), f"{label}中的未知字段“{key}”，已忽略（可用：{', '.join(allowed)}）")
        return {str(k): v for k, v in raw.items()}

    def items(self, where: Where, raw: Any, label: str) -> list[tuple[Where, Any]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.report(where, f"{label}应为列表（每项以“- ”开头）")
            return []
        return [((*where, index), item) for index, item in enumerate(raw)]

    def related_key(self, where: Where, raw: Any, label: str) -> str | None:
        text = self.value(where, raw, _text, label)
        if not text:
            return None
        kind, _, slug = text.partition("/")
        if kind not in KINDS or not SLUG_RE.match(slug):
            kinds = " | ".join(KINDS)
            self.report(where, f"{label}：“{text}”应写成 类型/slug，类型为 {kinds}，例如 case/louyuan-386-yuan")
            return None
        if self.known is not None and text not in self.known:
            self.report(where, f"{label}：没有条目“{text}”，已忽略")
            return None
        return str(text)


_INDICATOR_KEYS = ("name", "unit", "planned", "achieved", "note")


def _indicator(r: _Reader, where: Where, raw: Any) -> Indicator | None:
    data = r.mapping(where, raw, _INDICATOR_KEYS, "指标")
    if data is None:
        return None
    name = r.value((*where, "name"), data.get("name"), _text, "指标名称")
    if not name:
        r.report(where, "指标缺少 name，已忽略")
        return None
    planned = None
    if data.get("planned") is not None:
        planned = r.value((*where, "planned"), data["planned"], _number, f"{name} 的 planned（计划数）")
        if planned == 0:
            r.report((*where, "planned"), f"{name} 的计划数为 0，无法计算完成率：没有计划请删除 planned")
            planned = None
    achieved = None
    if data.get("achieved") is not None:
        achieved = r.value((*where, "achieved"), data["achieved"], _number, f"{name} 的 achieved（完成数）")
    if "planned" not in data and "achieved" not in data:
        r.report(where, f"指标“{name}”既没有 planned（计划数）也没有 achieved（完成数）")
    unit = r.value((*where, "unit"), data.get("unit"), _text, f"{name} 的 unit") or ""
    note = r.value((*where, "note"), data.get("note"), _text, f"{name} 的 note") or ""
    return Indicator(name=name, unit=unit, planned=planned, achieved=achieved, note=note)


_VOTE_KEYS = ("session", "date", "present", "for", "against", "abstain")


def _vote(r: _Reader, raw: Any) -> Vote | None:
    where: Where = ("vote",)
    data = r.mapping(where, raw, _VOTE_KEYS, "vote（票决）")
    if data is None:
        return None
    counts: dict[str, int] = {}
    for key in ("present", "for", "against", "abstain"):
        if data.get(key) is None:
            if key in ("present", "for"):
                r.report(where, f"vote 缺少 {key}，票决结果不显示")
                return None
            counts[key] = 0
            continue
        number = r.value((*where, key), data[key], _count, f"vote 的 {key}")
        if number is None:
            return None
        counts[key] = number
    cast = counts["for"] + counts["against"] + counts["abstain"]
    if cast > counts["present"]:
        r.report(
            (*where, "present"),
            f"票决数字不一致：赞成 {counts['for']} + 反对 {counts['against']} + 弃权 {counts['abstain']}"
            f" = {cast}，超过出席代表 {counts['present']} 人；票决结果不显示",
        )
        return None
    date = r.value((*where, "date"), data["date"], _date, "vote 的 date") if data.get("date") else None
    session = r.value((*where, "session"), data.get("session"), _text, "vote 的 session") or ""
    return Vote(session, date, counts["present"], counts["for"], counts["against"], counts["abstain"])


def _milestone(r: _Reader, where: Where, raw: Any) -> Milestone | None:
    data = r.mapping(where, raw, ("date", "text", "evidence"), "进展")
    if data is None:
        return None
    date = r.value((*where, "date"), data.get("date"), _milestone_date, "进展的 date")
    text = r.value((*where, "text"), data.get("text"), _text, "进展的 text")
    if not date or not text:
        r.report(where, "每条进展都要有 date 和 text，已忽略这一条")
        return None
    evidence: list[str] = []
    for at, item in r.items((*where, "evidence"), data.get("evidence"), "evidence"):
        link = r.value(at, item, _link, "evidence")
        if link and "://" not in link:
            link = r.related_key(at, link, "evidence")
        if link and link not in evidence:
            evidence.append(link)
    return Milestone(date, text, tuple(evidence))


def _evaluation(r: _Reader, raw: Any) -> Evaluation | None:
    where: Where = ("evaluation",)
    data = r.mapping(where, raw, ("date", "verdict", "score", "text"), "evaluation（评估）")
    if data is None:
        return None
    score = None
    if data.get("score") is not None:
        score = r.value((*where, "score"), data["score"], _number, "evaluation 的 score")
        if score is not None and score > 100:
            r.report((*where, "score"), "evaluation 的 score 是百分制，不能超过 100")
            score = None
    verdict = r.value((*where, "verdict"), data.get("verdict"), _text, "evaluation 的 verdict") or ""
    if not verdict and score is None:
        r.report(where, "evaluation 需要 verdict（评议结论）或 score（得分）")
        return None
    date = r.value((*where, "date"), data["date"], _date, "evaluation 的 date") if data.get("date") else None
    text = r.value((*where, "text"), data.get("text"), _text, "evaluation 的 text") or ""
    return Evaluation(date, verdict, score, text)


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid("应为正整数")
    return value


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2999:
        raise Invalid("应为四位年份，例如 2021")
    return value


PROJECT_FIELDS: dict[str, tuple[Callable[[Any], Any] | None, bool]] = {
    "title": (_text, True),
    "year": (_year, True),
    "lead": (_text, True),
    "stage": (_choice(STAGES), True),
    "number": (_positive, False),
    "status": (_choice(STATUSES), True),
    "sample": (_bool, False),
    "vote": (None, False),
    "indicators": (None, False),
    "milestones": (None, False),
    "evaluation": (None, False),
    "related": (None, False),
}
"""Front-matter key → (normalizer of a plain value or None for a structure, whether a bad value is fatal)."""
REQUIRED = ("title", "year", "lead", "stage")


def validate_project(
    slug: str,
    folder_year: str | None,
    meta: Mapping[str, Any],
    body: str,
    *,
    path: Path,
    lines: Mapping[Where, int] | None = None,
    known: Collection[str] | None = None,
) -> tuple[Project | None, list[Problem]]:
    """Validate a project's front matter; ``known`` are the entry keys ``related`` may name (None: unchecked)."""
    r = _Reader(path, lines or {}, known)
    usable = True
    values: dict[str, Any] = {}
    for key, raw in meta.items():
        key = str(key)
        if key == "rate":
            r.report((key,), _RATE_MESSAGE)
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
            r.report((), f"缺少必填字段 {key}")
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

    indicators = [_indicator(r, at, raw) for at, raw in r.items(("indicators",), meta.get("indicators"), "indicators")]
    milestones = [_milestone(r, at, raw) for at, raw in r.items(("milestones",), meta.get("milestones"), "milestones")]
    related: list[str] = []
    for at, raw in r.items(("related",), meta.get("related"), "related"):
        found = r.related_key(at, raw, "related")
        if found and found not in related:
            related.append(found)
    vote = _vote(r, meta["vote"]) if meta.get("vote") is not None else None
    evaluation = _evaluation(r, meta["evaluation"]) if meta.get("evaluation") is not None else None
    if not usable:
        return None, r.problems
    return (
        Project(
            slug=slug,
            body=body,
            indicators=tuple(i for i in indicators if i is not None),
            milestones=tuple(sorted((m for m in milestones if m is not None), key=lambda m: m.date)),
            related=tuple(related),
            vote=vote,
            evaluation=evaluation,
            **values,
        ),
        r.problems,
    )


def parse_project_text(
    text: str, slug: str, folder_year: str | None, *, path: Path, known: Collection[str] | None = None
) -> tuple[Project | None, list[Problem]]:
    """Parse and validate one project's Markdown text (front matter + body)."""
    found, problems = read_front_matter(text, path, loader_class=_ExactLoader)
    if found is None:
        return None, problems
    doc, meta, body = found
    lines = _lines(doc.node, 2, problems, path)
    project, more = validate_project(
        slug, folder_year, meta, body.strip("\n") + "\n", path=path, lines=lines, known=known
    )
    if project is not None:
        more += lint_body(project.body, path, body_first_line(text, body))
    return project, problems + sorted(more, key=lambda p: p.line)


def folder_year(root: Path, path: Path) -> str | None:
    """The ``<year>`` of ``projects/<year>/<slug>.md`` (None when the file sits elsewhere)."""
    parts = path.relative_to(root / PROJECTS_DIR).parts
    return parts[0] if len(parts) == 2 else None


def parse_project_file(
    root: Path, path: Path, known: Collection[str] | None = None
) -> tuple[Project | None, list[Problem]]:
    """Read, parse and validate one project file under ``root`` (the content folder)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, path.read_bytes()[: exc.start].count(b"\n") + 1, "文件不是 UTF-8 编码")]
    except OSError as exc:
        return None, [Problem(path, 1, f"无法读取：{exc.strerror}")]
    return parse_project_text(text, path.stem, folder_year(root, path), path=path, known=known)


def iter_project_files(root: Path) -> Iterator[Path]:
    """Every ``*.md`` under ``projects/``, in sorted order."""
    folder = root / PROJECTS_DIR
    if folder.is_dir():
        for path in sorted(folder.rglob("*.md")):
            if path.is_file() and not path.name.startswith("."):
                yield path


def load_projects(root: Path, known: Collection[str] | None = None) -> tuple[dict[str, Project], list[Problem]]:
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
        project, found = parse_project_file(root, path, known)
        problems.extend(found)
        if project is not None:
            projects[project.slug] = project
    return projects, problems


def project_path(root: Path, year: int, slug: str) -> Path:
    """Where a project of this year and slug is written."""
    return root / PROJECTS_DIR / str(year) / f"{slug}.md"


class _Dumper(yaml.SafeDumper):
    """Writes ``Decimal`` as a plain YAML number (exact text, no exponent)."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = plain_number(value)
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _represent_decimal)


def project_meta(project: Project) -> dict[str, Any]:
    """The front matter of a project, only meaningful keys, in the documented order."""
    meta: dict[str, Any] = {"title": project.title, "year": project.year}
    if project.number is not None:
        meta["number"] = project.number
    meta |= {"lead": project.lead, "stage": project.stage}
    if project.vote is not None:
        v = project.vote
        vote: dict[str, Any] = {"session": v.session} if v.session else {}
        if v.date is not None:
            vote["date"] = v.date
        meta["vote"] = vote | {"present": v.present, "for": v.votes_for, "against": v.against, "abstain": v.abstain}
    if project.indicators:
        meta["indicators"] = [{k: v for k, v in vars(i).items() if v not in (None, "")} for i in project.indicators]
    if project.milestones:
        meta["milestones"] = [
            {
                "date": dt.date.fromisoformat(m.date) if len(m.date) == 10 else m.date,
                "text": m.text,
                **({"evidence": list(m.evidence)} if m.evidence else {}),
            }
            for m in project.milestones
        ]
    if project.evaluation is not None:
        e = project.evaluation
        evaluation = {"date": e.date, "verdict": e.verdict, "score": e.score, "text": e.text}
        meta["evaluation"] = {k: v for k, v in evaluation.items() if v not in (None, "")}
    if project.related:
        meta["related"] = list(project.related)
    if project.status != "published":
        meta["status"] = project.status
    if project.sample:
        meta["sample"] = True
    return meta


def serialize_project(project: Project) -> str:
    """Markdown text of a project: front matter, then the body."""
    front = yaml.dump(
        project_meta(project),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=1000,
        default_flow_style=False,
    )
    return f"---\n{front}---\n{project.body.strip(chr(10))}\n"
