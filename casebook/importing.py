"""Importing staff material (.docx, .html/.htm, .md, .txt) as a draft entry: a service (no Flask
request here; ``import_upload`` saves through the staff editing service and its database session).

The steps, shared by ``casebook import`` and ``/staff/import``: read and convert the file
(``convert``), store its pictures through the same checks as an upload (``images.store_upload``;
remote ones fetched only from allowed hosts, ``fetching``), then build the front matter from
what the caller chose (kind, topic, title, scope) and what the document says, and validate it
with the one validator. The CLI writes the file; the staff area saves it through the editor's
own pipeline (``import_upload``). Pictures: ``import_pictures``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import content
from .content.validate import FIELDS
from .convert import Conversion, ConvertError, from_docx, from_html, from_markdown, from_text
from .fetching import fetch
from .import_pictures import Fetcher, PictureRules, store_pictures

__all__ = ["PictureRules", "convert_file", "draft_with_pictures", "import_upload", "store_pictures"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
READERS = {".docx": "docx", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
SUFFIXES_TEXT = ".docx、.html、.htm、.md、.txt"
LABELS = {
    "people": "受访者",
    "participants": "参与者",
    "region": "地区",
    "tags": "标签",
    "street": "街道",
    "community": "社区",
    "video": "视频",
    "summary": "摘要",
}


def too_big(size: int) -> str:
    return f"文件太大（{size / 1024 / 1024:.1f} MB），导入的文件最大 50 MB。"


def decode_text(data: bytes) -> tuple[str, str]:
    """Text of a .txt/.md file and its encoding: UTF-8 (with or without BOM), UTF-16, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    if b"\x00" in data[:8192]:
        raise ConvertError("这个文件不是文本文件（含有二进制内容），无法作为 .txt 或 .md 导入。")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise ConvertError("无法识别文件的文字编码，请用记事本“另存为” UTF-8 编码后再导入。") from None


def decode_html(data: bytes) -> str:
    """A page's text, by its BOM or ``<meta charset>``, else UTF-8, else GB18030."""
    from bs4.dammit import UnicodeDammit

    markup = UnicodeDammit(data, user_encodings=["utf-8", "gb18030"], is_html=True).unicode_markup
    if markup is None:
        raise ConvertError("无法识别网页的文字编码，无法导入。")
    return markup


def convert_file(
    data: bytes, filename: str, *, places: Mapping[str, Sequence[str]], files_dir: Path | None = None
) -> Conversion:
    """Convert an uploaded or local file by its suffix; raise ConvertError with a Chinese message."""
    suffix = Path(filename).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        hint = "；.doc、.wps 请先在 Word 或 WPS 中另存为 .docx" if suffix in (".doc", ".wps", ".rtf") else ""
        raise ConvertError(f"不支持的文件类型“{suffix or filename}”：可导入 {SUFFIXES_TEXT}{hint}。")
    if len(data) > MAX_FILE_BYTES:
        raise ConvertError(too_big(len(data)))
    if not data:
        raise ConvertError("文件是空的（0 字节）。")
    if reader == "docx":
        return from_docx(data, places=places)
    if reader == "html":
        return from_html(decode_html(data), files_dir=files_dir, places=places)
    text, encoding = decode_text(data)
    conversion = (from_markdown if reader == "markdown" else from_text)(text, places=places)
    if encoding != "UTF-8":
        conversion.report.append(f"文件编码是 {encoding}，已转为 UTF-8")
    return conversion


# --- the draft --------------------------------------------------------------------------------


@dataclass
class Draft:
    """A new draft entry: validated front matter and body, and the whole import report."""

    kind: str
    slug: str
    entry: content.Entry
    report: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The file text (front matter + body)."""
        return content.serialize(self.entry)

    def form(self) -> dict[str, str]:
        """The draft as the editor's form values (for ``editing.save``)."""
        from .staff.kinds import form_values

        values = form_values(self.entry)
        values["topic"] = self.entry.topic
        return values


def _form_safe(name: str) -> str:
    """The editor splits list fields at 、，； — inside brackets they become ／ so a person stays one."""
    out, depth = "", 0
    for char in name:
        if char in "（(【[":
            depth += 1
        elif char in "）)】]":
            depth = max(0, depth - 1)
        out += "／" if depth > 0 and char in "、，,;；" else char
    return out


def draft_with_pictures(
    conversion: Conversion,
    media_dir: Path,
    pictures: PictureRules,
    *,
    fetcher: Fetcher = fetch,
    kind: str,
    slug: str,
    topic: str,
    title: str,
    scope: str | None,
    rules: content.Rules,
    path: Path,
    today: dt.date,
) -> tuple[Draft, list[str]]:
    """Store the document's pictures (they are needed in the body), then build the validated draft;
    the draft and the pictures' report lines. ConvertError when even a draft cannot be made."""
    body, picture_lines, _ = store_pictures(conversion, media_dir, pictures, fetcher=fetcher)
    draft = build_draft(
        conversion, body, kind=kind, slug=slug, topic=topic, title=title, scope=scope, rules=rules, path=path,
        today=today,
    )  # fmt: skip
    return draft, picture_lines


def _labelled(message: str) -> str:
    """A validator message (``summary：…``, written for content files) with the field's Chinese name."""
    key, sep, rest = message.partition("：")
    label = LABELS.get(key) or {"title": "标题", "topic": "主题", "date": "日期"}.get(key)
    return f"{label}：{rest}" if sep and label else message


def build_draft(
    conversion: Conversion,
    body: str,
    *,
    kind: str,
    slug: str,
    topic: str,
    title: str,
    scope: str | None,
    rules: content.Rules,
    path: Path,
    today: dt.date,
) -> Draft:
    """Front matter from the caller's choices and the document's facts, validated; raise
    ConvertError when even a draft cannot be made."""
    found = conversion.meta
    report: list[str] = []
    meta: dict[str, Any] = {"title": title, "topic": topic}
    date = found.get("date")
    if not isinstance(date, dt.date):
        date = today
        report.append(f"文件中没有找到日期，已填今天（{today.isoformat()}），请核对")
    meta["date"] = date.isoformat()
    back: list[str] = []
    for key, label in LABELS.items():
        value = found.get(key)
        if value in (None, "", []):
            continue
        if kind not in FIELDS[key].kinds:
            shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
            back.append(f"{label}：{shown}")
            report.append(f"“{label}”不是{content.KIND_LABELS[kind]}的字段，已放回正文开头")
            continue
        meta[key] = [_form_safe(str(v)) for v in value] if isinstance(value, list) else str(value)
    if kind == "case":
        meta["scope"] = scope or "local"
        source = found.get("source")
        if meta["scope"] == "national" and isinstance(source, dict) and source.get("name"):
            meta["source"] = {k: str(v) for k, v in source.items() if k in ("name", "url", "date") and v}
    meta["status"] = "draft"
    if back:
        body = "\n\n".join(back) + "\n\n" + body
    entry, problems = content.validate_entry(kind, slug, meta, body.strip("\n") + "\n", rules=rules, path=path)
    for problem in problems:
        report.append(f"未填写：{_labelled(problem.message)}")
    if entry is None:
        raise ConvertError("无法生成草稿：" + "；".join(p.message for p in problems))
    return Draft(kind, slug, entry, report)


def title_for(conversion: Conversion, given: str | None, filename: str) -> tuple[str, list[str]]:
    """The title: given, else the document's, else the file name."""
    if given and given.strip():
        return given.strip()[:200], []
    found = str(conversion.meta.get("title") or "").strip()
    if found:
        return found[:200], []
    stem = Path(filename.replace("\\", "/").rsplit("/", 1)[-1]).stem.strip() or "导入的材料"
    return stem[:200], [f"文件中没有找到标题，已用文件名“{stem}”，请修改"]


# --- the staff area's import ------------------------------------------------------------------


@dataclass
class Imported:
    """What ``import_upload`` did: the new draft, or errors by form field (``""`` for the form)."""

    ok: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    kind: str = ""
    slug: str = ""
    report: list[str] = field(default_factory=list)
    event_id: int | None = None
    message: str = ""
    index_warning: str = ""

    def error(self, key: str, message: str) -> Imported:
        self.errors.setdefault(key, []).append(message)
        return self


def import_upload(
    ws: Any,
    session: Any,
    *,
    data: bytes,
    filename: str,
    kind: str,
    topic: str,
    title: str,
    scope: str,
    slug: str,
    user: str,
    hosts: Collection[str],
    today: dt.date,
    budget: float | None = 40.0,
    fetcher: Fetcher = fetch,
) -> Imported:
    """Convert an uploaded file and save it as a new draft through the editor's pipeline
    (revision, audit, catalog, index), plus an ``import`` audit event holding the report."""
    from .staff import editing
    from .staff.models import AuditEvent

    out = Imported(kind=kind)
    rules, _ = content.load_rules(ws.root)
    if kind not in content.KINDS:
        out.error("kind", "请选择类型")
    if topic not in rules.topics:
        out.error("topic", "请选择主题")
    if slug and not content.SLUG_RE.match(slug):
        out.error("slug", "网址名只能用小写字母、数字和连字符（-），不超过 80 个字符")
    if not data:
        out.error(
            "file",
            f"文件“{Path(filename).name}”是空的（0 字节），请检查后重新选择" if filename else "请选择要导入的文件",
        )
    if out.errors:
        return out
    try:
        conversion = convert_file(data, filename, places=rules.places)
    except ConvertError as exc:
        return out.error("file", exc.message)
    chosen, notes = title_for(conversion, title, filename)

    def taken(candidate: str) -> bool:
        return editing.working_text(ws, session, kind, candidate) is not None

    if slug and taken(slug):
        return out.error("slug", f"网址名“{slug}”已被占用，请换一个")
    if not slug:
        base = content.slugify(chosen)[:70].strip("-") or f"daoru-{today:%Y%m%d}"
        slug = next(s for s in [base, *(f"{base}-{n}" for n in range(2, 1000))] if not taken(s))
    path = editing.file_path(ws, session, kind, slug)
    picture_rules = PictureRules(frozenset(hosts), budget=budget)
    try:
        draft, pictures = draft_with_pictures(
            conversion, ws.root / "media", picture_rules, fetcher=fetcher,
            kind=kind, slug=slug, topic=topic, title=chosen, scope=scope or None, rules=rules, path=path, today=today,
        )  # fmt: skip
    except ConvertError as exc:
        return out.error("", exc.message)
    outcome = editing.save(
        ws,
        session,
        kind=kind,
        slug=slug,
        form=draft.form(),
        base="",
        user=user,
        action="save",
        may_publish=False,
        new=True,
    )
    if not outcome.ok:
        for key, messages in outcome.errors.items():
            for message in messages:
                out.error("slug" if key == "slug" else "", message)
        return out
    out.report = [f"文件：{Path(filename).name}", *conversion.report, *notes, *pictures, *draft.report]
    event = AuditEvent(user=user, action="import", target=f"{kind}/{slug}", detail="\n".join(out.report))
    session.add(event)
    session.commit()
    out.ok, out.slug, out.event_id = True, slug, event.id
    out.message = f"已导入为草稿：{conversion.report[0].removeprefix('已转换：')}。请核对后保存或提交审核。"
    out.index_warning = outcome.index_warning
    return out
