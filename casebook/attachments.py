"""Attachments: downloadable templates (院规公约, 议事规则, 台账) as PDF, DOCX or XLSX files.

Pure (no Flask, no database): ``check`` decides what an upload is from its bytes alone — the PDF
signature, or for DOCX and XLSX a zip whose ``[Content_Types].xml`` names the main part of a Word
document or an Excel workbook — and refuses everything else with a Chinese sentence to show as is:
macro-enabled and template types, encrypted zips, old .doc/.xls files, programs, web pages, files
over the size limit. ``store`` writes an accepted file under ``content/media/attachments/<year>/``
with a random name; the title readers see is the one in the entry's front matter.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from .content import write_atomic
from .media import ATTACHMENT_FOLDER, ATTACHMENT_LABELS, ATTACHMENT_TYPES

DEFAULT_MAX_MB = 20
"""The default size limit of one attachment (``CASEBOOK_ATTACHMENT_MAX_MB``)."""
ALLOWED = "只能上传 PDF、Word（.docx）或 Excel（.xlsx）文件"

MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
"""The content type of the main part of each accepted Office file, as ``[Content_Types].xml`` names it."""
REFUSED_PARTS = {
    "application/vnd.ms-word.document.macroEnabled.main+xml": "启用宏的 Word 文件（.docm）",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "启用宏的 Excel 文件（.xlsm）",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml": "启用宏的 Word 模板（.dotm）",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "启用宏的 Excel 模板（.xltm）",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main": "Excel 二进制工作簿（.xlsb）",
    "application/vnd.ms-office.vbaProject": "含有宏（VBA）的文件",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "Word 模板（.dotx）",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "Excel 模板（.xltx）",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "PowerPoint 文件",
}
"""Office files refused by name: macros can run on the reader's computer; templates open as new files."""
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "程序文件（EXE/DLL）"),
    (b"\x7fELF", "程序文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Word/Excel 文件（.doc/.xls），请另存为 .docx 或 .xlsx 后上传"),
    (b"{\\rtf", "RTF 文件，请另存为 .docx 后上传"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x89PNG", "图片，请用“插入图片”上传"),
    (b"\xff\xd8\xff", "图片，请用“插入图片”上传"),
)
_HTML = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<script|<\?xml|<svg)", re.IGNORECASE)
_MAX_PARTS = 5000
"""More parts than any real template has: a zip with more is refused unread."""
_MAX_TYPES_BYTES = 1024 * 1024


class AttachmentRejected(ValueError):
    """An upload that is not stored; ``message`` is a Chinese sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredAttachment:
    """An accepted attachment: where it is (relative to ``content/media/``), what it is, a title to start from."""

    path: str
    ext: str
    size: int
    title: str

    @property
    def media_type(self) -> str:
        return ATTACHMENT_TYPES[self.ext]

    @property
    def line(self) -> str:
        """The line the editor's attachment box gets: ``path 标题``."""
        return f"{self.path} {self.title}"


def _named(filename: str, message: str) -> str:
    return f"“{filename}”：{message}" if filename else message


def check(data: bytes, filename: str = "", max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024) -> str:
    """The extension (``pdf``, ``docx``, ``xlsx``) that ``data`` really is; raise ``AttachmentRejected``."""
    if len(data) > max_bytes:
        raise AttachmentRejected(_named(filename, f"文件太大：附件不能超过 {size_label(max_bytes)}"))
    if not data:
        raise AttachmentRejected(_named(filename, "文件是空的"))
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _office(data, filename)
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise AttachmentRejected(_named(filename, f"这是{what}。{ALLOWED}"))
    if _HTML.match(data[:1024]):
        raise AttachmentRejected(_named(filename, f"这是网页或 XML 文件。{ALLOWED}"))
    raise AttachmentRejected(_named(filename, f"无法识别的文件类型。{ALLOWED}"))


def _office(data: bytes, filename: str) -> str:
    """DOCX or XLSX by the main part ``[Content_Types].xml`` names; refuse encrypted, macro and other zips."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > _MAX_PARTS:
                raise AttachmentRejected(_named(filename, f"压缩包中的文件太多。{ALLOWED}"))
            if any(part.flag_bits & 0x1 for part in parts):
                raise AttachmentRejected(_named(filename, "文件已加密（设置了密码），请去掉密码后再上传"))
            names = {part.filename for part in parts}
            if "[Content_Types].xml" not in names:
                raise AttachmentRejected(_named(filename, f"这是普通的 ZIP 压缩包，不是 Word 或 Excel 文件。{ALLOWED}"))
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise AttachmentRejected(_named(filename, f"文件中含有宏（VBA），不能上传。{ALLOWED}"))
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _MAX_TYPES_BYTES:
                raise AttachmentRejected(_named(filename, f"文件结构异常。{ALLOWED}"))
            types = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError, NotImplementedError):
        raise AttachmentRejected(_named(filename, "文件不完整或已损坏")) from None
    found = _content_types(types)
    for content_type, what in REFUSED_PARTS.items():
        if content_type in found:
            raise AttachmentRejected(_named(filename, f"这是{what}，不能上传。{ALLOWED}"))
    kinds = {MAIN_PARTS[t] for t in found if t in MAIN_PARTS}
    if len(kinds) != 1:
        raise AttachmentRejected(_named(filename, f"不是 Word 文档或 Excel 工作簿。{ALLOWED}"))
    return kinds.pop()


def _content_types(xml: bytes) -> set[str]:
    """Every ``ContentType`` that ``[Content_Types].xml`` declares (no entity is expanded, nothing fetched)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return set()
    return {str(node.get("ContentType")) for node in root.iter() if node.get("ContentType")}


def clean_title(filename: str) -> str:
    """A title from an uploaded file's name: no folder, no extension, no control characters, ≤ 100 characters."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = unicodedata.normalize("NFC", stem)
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    return re.sub(r"\s+", " ", stem).strip()[:100] or "附件"


def store(
    data: bytes, filename: str, media_dir: Path, *, max_bytes: int, today: dt.date | None = None
) -> StoredAttachment:
    """Check ``data`` and write it atomically as ``attachments/<year>/<16 hex>.<ext>`` under ``media_dir``."""
    ext = check(data, filename, max_bytes)
    year = (today or dt.date.today()).year
    path = f"{ATTACHMENT_FOLDER}/{year:04d}/{secrets.token_hex(8)}.{ext}"
    try:
        write_atomic(media_dir / path, data)
    except OSError as exc:
        raise AttachmentRejected("服务器保存附件失败（磁盘错误），请稍后再试或联系管理员。") from exc
    return StoredAttachment(path, ext, len(data), clean_title(filename))


def size_label(size: int) -> str:
    """``856 KB``, ``1.2 MB``: how big a download is, as readers are told."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.1f} MB".replace(".0 MB", " MB")


def type_label(ext: str) -> str:
    """``Word``, ``Excel``, ``PDF``."""
    return ATTACHMENT_LABELS.get(ext, ext.upper())


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def download_name(title: str, ext: str) -> str:
    """The file name a download is saved as: the title (characters no file system takes removed) plus ``.ext``."""
    base = _UNSAFE_NAME.sub("", unicodedata.normalize("NFC", title)).strip(" .")[:100] or "附件"
    return f"{base}.{ext}"


def content_disposition(title: str, ext: str) -> str:
    """``attachment`` with an ASCII fallback name and the real (Chinese) one as RFC 5987 ``filename*``."""
    name = download_name(title, ext)
    base = name.removesuffix(f".{ext}").encode("ascii", "ignore").decode().replace('"', "").strip(" .")
    ascii_name = f"{base}.{ext}" if base.strip("._- ") else f"attachment.{ext}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
