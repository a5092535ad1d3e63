"""The one validation of entry metadata, shared by the loader, ``casebook check`` and staff forms.

Each front-matter key is declared once in ``schema.py``; its type gives it one normalizer here
(``NORMALIZERS``: key → function), so templates and the catalog never re-clean values. A problem
with a required key makes the entry unusable; any other problem is reported and the offending
value dropped.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ..media import ATTACHMENT_TYPES, attachment_type
from ..video import parse_time
from .limits import body_problems
from .model import ENTRY_ATTRIBUTES, KINDS, SLUG_RE, Attachment, Chapter, Entry, Problem, Rules, Source
from .schema import ENTRY_FIELD, ENTRY_FIELDS, Field, FieldType
from .values import (
    Invalid,
    as_bool,
    as_date,
    as_optional_text,
    as_required_text,
    as_string_list,
    as_text,
    as_url,
    limited,
    one_of,
)


def _cover(value: Any) -> str | None:
    text = as_text(value)
    if not text:
        return None
    if text.startswith("https://"):
        return as_url(text)
    if "://" in text:
        raise Invalid("封面应为 content/media/ 下的文件或 https 网址")
    path = PurePosixPath(text.removeprefix("/").removeprefix("media/"))
    if ".." in path.parts or not path.parts:
        raise Invalid(f"封面路径“{text}”无效")
    return path.as_posix()


CHAPTER_EXAMPLE = '- at: "03:15"\n  title: 老旧楼院怎么管'


def _chapter_time(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value  # YAML reads an unquoted 3:15 as the number 195 (base 60): the same time
    text = as_text(value)
    seconds = parse_time(text)
    if seconds is None:
        raise Invalid(f"时间“{text}”无效，应写成 分:秒 或 时:分:秒，例如 03:15、1:02:03")
    return seconds


def _chapters(value: Any) -> tuple[Chapter, ...]:
    """``[{at: "03:15", title: …}, …]``: times in order, each chapter titled."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Invalid(f"应为章节列表，每项写时间和标题，例如：\n{CHAPTER_EXAMPLE}")
    chapters: list[Chapter] = []
    problems: list[tuple[int, str]] = []
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append((n, "应写成 at: 时间 和 title: 标题 两项"))
            continue
        unknown = sorted(str(k) for k in item if k not in ("at", "title"))
        if unknown:
            problems.append((n, f"未知的键“{'、'.join(unknown)}”，只能有 at 和 title"))
            continue
        try:
            at = _chapter_time(item.get("at"))
            title = as_text(item.get("title"))
        except Invalid as exc:
            problems.append((n, str(exc)))
            continue
        if not title:
            problems.append((n, "缺少标题（title）"))
        elif chapters and at <= chapters[-1].at:
            earlier = f"时间 {Chapter(at, title).time} 不晚于上一章的 {chapters[-1].time}"
            problems.append((n, f"{earlier}：章节应按时间先后排列"))
        else:
            chapters.append(Chapter(at, title))
    if problems:
        raise Invalid(problems[0][1], problems)
    return tuple(chapters)


SOURCE_EXAMPLE = "source:\n  name: 某市民政局公众号\n  url: https://example.org/article\n  date: 2023-05-06"


def _source(value: Any) -> Source | None:
    """``{name, url, date}``: who published it (required), the article's http(s) address, the day."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(f"应写成发布方、链接和日期三项，例如：\n{SOURCE_EXAMPLE}")
    unknown = sorted(str(k) for k in value if k not in ("name", "url", "date"))
    if unknown:
        raise Invalid(f"未知的键“{'、'.join(unknown)}”，只能有 name、url 和 date")
    name = as_text(value.get("name"))
    url = as_url(value.get("url"))
    date = as_date(value["date"]) if value.get("date") not in (None, "") else None
    if not name:
        if url or date:
            raise Invalid("缺少发布方（name），如公众号或报纸的名称")
        return None
    check = limited(as_text, 200, "发布方")
    return Source(check(name), url, date)


ATTACHMENT_EXAMPLE = "- file: attachments/2026/yishi-guize.docx\n  title: 议事规则（模板）"


def _attachment_file(value: Any) -> str:
    text = as_text(value).removeprefix("/").removeprefix("media/")
    path = PurePosixPath(text)
    if not text or "://" in text or ".." in path.parts or text.startswith("/"):
        raise Invalid(f"文件“{text}”应为 content/media/ 下的文件路径")
    if attachment_type(text) is None:
        raise Invalid(f"文件“{text}”不是可以下载的类型，只能是 {'、'.join(ATTACHMENT_TYPES)}")
    return path.as_posix()


def _attachments(value: Any) -> tuple[Attachment, ...]:
    """``[{file: …, title: …}, …]``: PDF, DOCX or XLSX files under media/, each titled, none twice."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Invalid(f"应为附件列表，每项写文件和标题，例如：\n{ATTACHMENT_EXAMPLE}")
    found: list[Attachment] = []
    problems: list[tuple[int, str]] = []
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append((n, "应写成 file: 文件 和 title: 标题 两项"))
            continue
        unknown = sorted(str(k) for k in item if k not in ("file", "title"))
        if unknown:
            problems.append((n, f"未知的键“{'、'.join(unknown)}”，只能有 file 和 title"))
            continue
        try:
            file = _attachment_file(item.get("file"))
            title = limited(as_text, 200, "附件标题")(item.get("title"))
        except Invalid as exc:
            problems.append((n, str(exc)))
            continue
        if not title:
            problems.append((n, f"附件 {file} 缺少标题（title）"))
        elif any(a.file == file for a in found):
            problems.append((n, f"附件 {file} 重复列出"))
        else:
            found.append(Attachment(file, title))
    if problems:
        raise Invalid(problems[0][1], problems)
    return tuple(found)


def _normalizer(spec: Field) -> Callable[[Any], Any]:
    """The normalizer of a declared field: its type's, with the field's choices, required-ness and limit."""
    if spec.type == "choice":
        return one_of(spec.choices)
    normalize = as_required_text if spec.type == "text" and spec.required else _BY_TYPE[spec.type]
    return limited(normalize, spec.limit, spec.label) if spec.limit else normalize


_BY_TYPE: dict[FieldType, Callable[[Any], Any]] = {
    "text": as_text,
    "line": as_optional_text,
    "date": as_date,
    "list": as_string_list,
    "bool": as_bool,
    "url": as_url,
    "cover": _cover,
    "chapters": _chapters,
    "source": _source,
    "attachments": _attachments,
}

FIELDS: dict[str, Field] = dict(ENTRY_FIELD)
"""Front-matter key → its declaration (see ``schema.py``)."""
NORMALIZERS: dict[str, Callable[[Any], Any]] = {spec.key: _normalizer(spec) for spec in ENTRY_FIELDS}
"""Front-matter key → the one function that checks and cleans its value."""


def _suggest(value: str, options: list[str]) -> str:
    close = [o for o in options if value and (value in o or o in value)]
    close += difflib.get_close_matches(value, options, n=2, cutoff=0.5)
    close = list(dict.fromkeys(close))[:3]
    return f"，是否指：{'、'.join(close)}" if close else ""


def validate_entry(
    kind: str,
    slug: str,
    meta: Mapping[str, Any],
    body: str,
    *,
    rules: Rules,
    path: Path,
    lines: Mapping[str, int] | None = None,
    body_line: int = 1,
) -> tuple[Entry | None, list[Problem]]:
    """Validate one entry's front matter and body (whose first line in the file is ``body_line``);
    return the entry (None if unusable) and all problems."""
    lines = lines or {}
    problems: list[Problem] = []
    body, body_found = body_problems(body, path, body_line)  # control characters dropped, the rest kept
    usable = True

    def report(key: str | None, message: str) -> None:
        problems.append(Problem(path, lines.get(key, 1) if key else 1, message, field=key or ""))

    if kind not in KINDS:
        report(None, f"未知类型“{kind}”，应为 {' | '.join(KINDS)}")
        return None, problems
    if not SLUG_RE.match(slug):
        report(None, f"文件名“{slug}”不能用作网址：只能用小写字母、数字和连字符，且不超过 80 个字符")
        usable = False

    values: dict[str, Any] = {}
    for key, raw in meta.items():
        spec = FIELDS.get(str(key))
        if spec is None:
            report(str(key), f"未知字段“{key}”，已忽略（可用字段：{', '.join(FIELDS)}）")
            continue
        if kind not in spec.kinds:
            report(str(key), f"字段“{key}”不适用于 {kind}，已忽略")
            continue
        try:
            values[str(key)] = NORMALIZERS[spec.key](raw)
        except Invalid as exc:
            for n, message in exc.items:
                line = lines.get(f"{key}.{n}", lines.get(str(key), 1))
                problems.append(Problem(path, line, f"{key} 第 {n + 1} 项：{message}", field=f"{key}.{n}"))
            if not exc.items:
                report(str(key), f"{key}：{exc}")
            if spec.required or spec.fatal:
                usable = False
            if spec.type == "attachments":  # the good items stay: one bad line never hides the others
                values[str(key)] = _good_attachments(raw)

    for key, spec in FIELDS.items():
        if spec.required and kind in spec.kinds and key not in meta:
            report(key, f"缺少必填字段 {key}")
            usable = False

    topic = values.get("topic")
    if topic is not None and topic not in rules.topics:
        report("topic", f"未知主题“{topic}”，topics.yml 中没有{_suggest(topic, list(rules.topics))}")
        usable = False

    _check_place(values, rules, report)
    cover = values.get("cover")
    if cover and "://" not in cover and rules.media and cover not in rules.media:
        report("cover", f"封面文件 media/{cover} 不存在")
        values.pop("cover")
    _check_attachments(values, meta.get("attachments"), rules, lines, path, problems)
    for spec in FIELDS.values():
        if spec.applies_to(kind) and spec.key not in values and spec.default is not None:
            values[spec.key] = spec.default

    problems += body_found
    if not usable:
        return None, problems
    extra = tuple((key, values.pop(key)) for key in FIELDS if key in values and key not in ENTRY_ATTRIBUTES)
    return Entry(kind=kind, slug=slug, body=body, extra=extra, **values), problems


def _good_attachments(raw: list[Any]) -> tuple[Attachment, ...]:
    """The items of an attachment list that are valid on their own."""
    good: list[Attachment] = []
    for item in raw if isinstance(raw, list) else ():
        try:
            for attachment in _attachments([item]):
                if all(a.file != attachment.file for a in good):
                    good.append(attachment)
        except Invalid:
            continue
    return tuple(good)


def _check_attachments(
    values: dict[str, Any], raw: Any, rules: Rules, lines: Mapping[str, int], path: Path, problems: list[Problem]
) -> None:
    """Report (and leave out) an attachment whose file is not under media/: a link to nothing."""
    attachments: tuple[Attachment, ...] = values.get("attachments") or ()
    if not attachments or not rules.media:
        return
    kept: list[Attachment] = []
    for n, attachment in enumerate(attachments):
        if attachment.file in rules.media:
            kept.append(attachment)
            continue
        files = [_raw_file(item) for item in raw] if isinstance(raw, list) else []
        n = files.index(attachment.file) if attachment.file in files else n
        line = lines.get(f"attachments.{n}", lines.get("attachments", 1))
        message = f"attachments 第 {n + 1} 项：附件文件 media/{attachment.file} 不存在"
        problems.append(Problem(path, line, message, field=f"attachments.{n}"))
    values["attachments"] = tuple(kept)


def _raw_file(item: Any) -> str | None:
    try:
        return _attachment_file(item.get("file")) if isinstance(item, dict) else None
    except Invalid:
        return None


def _check_place(values: dict[str, Any], rules: Rules, report: Callable[[str | None, str], None]) -> None:
    """Drop a street or community that places.yml does not know, so facets never split."""
    street, community = values.get("street"), values.get("community")
    if street and street not in rules.places:
        report("street", f"未知街道“{street}”，places.yml 中没有{_suggest(street, list(rules.places))}")
        values.pop("street")
        street = None
    if community:
        owner = rules.communities.get(community)
        if owner is None:
            known = list(rules.communities)
            report("community", f"未知社区“{community}”，places.yml 中没有{_suggest(community, known)}")
            values.pop("community")
        elif street and owner != street:
            report("community", f"社区“{community}”属于{owner}，不属于{street}")
            values.pop("community")
        elif not street:
            values["street"] = owner
