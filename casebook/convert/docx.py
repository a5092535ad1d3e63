"""DOCX → HTML with mammoth, after checking the package is safe to open.

mammoth maps Word *styles* to HTML (Title → the title, Heading 1/2/3 → ``##``/``###``/``####``,
Word numbering → ``<ol>/<ul>``), keeps bold/italic, tables, footnotes and pictures (through the
``convert_image`` hook, which hands us the bytes), and ignores what a web page does not need.
What it leaves out, or handles in a way an editor should check, is read from the package's
parts and reported in Chinese.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from typing import Any

from .model import ConvertError, Picture

MAX_INPUT_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_PARTS = 10_000
PICTURE_MAX_BYTES = 15 * 1024 * 1024
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CENTRED_STYLE = "casebook-centred"

_HEADINGS = "\n".join(
    f"p[style-name='{name} {n}'] => h{min(n + 1, 6)}:fresh\np.Heading{n} => h{min(n + 1, 6)}:fresh"
    for n in range(1, 7)
    for name in ("heading", "标题")
)
STYLE_MAP = f"""
p[style-name='Title'] => h1.doc-title:fresh
p[style-name='标题'] => h1.doc-title:fresh
p.Title => h1.doc-title:fresh
{_HEADINGS}
p[style-name='Subtitle'] => p:fresh
p[style-name='{CENTRED_STYLE}'] => p.center:fresh
""" + "\n".join(f"p[style-name='toc {n}'] => !\np[style-name='目录 {n}'] => !" for n in range(1, 10))
"""Word's built-in style names are English in the file whatever the interface language
(mammoth compares them case-insensitively); some tools write Chinese names, so both are mapped."""

logger = logging.getLogger(__name__)


def check_package(data: bytes) -> zipfile.ZipFile:
    """Open a DOCX, refusing what is not one, is encrypted, or would unpack to too much."""
    if len(data) > MAX_INPUT_BYTES:
        raise ConvertError(f"文件太大（{len(data) / 1024 / 1024:.1f} MB），最大 50 MB。")
    if data.startswith(_CFB_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ConvertError(
                "这个 Word 文档设置了打开密码（已加密），无法读取。请在 Word 或 WPS 中取消密码后另存，再导入。"
            )
        raise ConvertError(
            "这是旧版 Word 文档（.doc）、WPS 文档（.wps）或其他 Office 二进制文件，不是 .docx。"
            "请在 Word 或 WPS 中“另存为” .docx 后再导入。"
        )
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ConvertError("这个文件不是 .docx 格式（内容不是 Word 文档），无法读取。") from None
    if len(infos) > MAX_PARTS:
        raise ConvertError(
            f"这个文件里有 {len(infos)} 个部分（正常的 Word 文档只有几十个），可能是恶意构造的“压缩炸弹”，已拒绝。"
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ConvertError("这个文件的内容已加密，无法读取。请取消密码后另存为 .docx 再导入。")
        total += info.file_size
        # zipfile never unpacks more than the sizes declared here, so checking them is enough
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ConvertError(_bomb(info.file_size))
    if total > MAX_UNPACKED_BYTES:
        raise ConvertError(_bomb(total))
    names = set(package.namelist())
    if "word/document.xml" not in names:
        if "xl/workbook.xml" in names:
            raise ConvertError("这是 Excel 表格（.xlsx），不是 Word 文档。请把内容复制到 Word 中另存为 .docx。")
        if "ppt/presentation.xml" in names:
            raise ConvertError("这是 PowerPoint 演示文稿（.pptx），不是 Word 文档。")
        raise ConvertError("这个文件不是 Word 文档（.docx）：里面没有正文部分，可能已损坏。")
    return package


def _bomb(size: int) -> str:
    return (
        f"这个文件解压后过大（约 {size / 1024 / 1024:.0f} MB），可能是恶意构造的“压缩炸弹”，已拒绝。"
        "正常的 Word 文档解压后不会超过 200 MB。"
    )


def to_html(data: bytes) -> tuple[str, list[Picture], list[str]]:
    """The document as HTML, its pictures (placeholders ``picture-N`` in ``src``), report lines."""
    import mammoth

    package = check_package(data)
    pictures: list[Picture] = []
    toc = 0

    def convert_image(image: Any) -> dict[str, str]:
        number = len(pictures) + 1
        with image.open() as stream:
            payload = stream.read(PICTURE_MAX_BYTES + 1)
        kind = str(image.content_type or "").split("/")[-1].removeprefix("x-") or "bin"
        pictures.append(
            Picture(f"picture-{number}", payload, None, str(image.alt_text or "").strip(), f"图片{number}.{kind}")
        )
        return {"src": f"picture-{number}"}

    def mark(paragraph: Any) -> Any:
        nonlocal toc
        name = str(paragraph.style_name or "").lower()
        if re.fullmatch(r"(toc|目录) ?\d", name):
            toc += 1
        if paragraph.alignment == "center" and paragraph.numbering is None and name in ("", "normal", "正文"):
            return paragraph.copy(style_name=CENTRED_STYLE)
        return paragraph

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=STYLE_MAP,
            convert_image=mammoth.images.img_element(convert_image),
            transform_document=mammoth.transforms.paragraph(mark),
            include_embedded_style_map=False,
        )
    except ConvertError:
        raise
    except Exception as exc:  # malformed XML, a missing part: mammoth raises many kinds
        logger.info("mammoth could not read a .docx: %r", exc)
        raise ConvertError("Word 文档已损坏或格式不标准，无法读取。请在 Word 中打开后另存，再导入。") from exc
    report = extras(package)
    if toc:
        report.append("目录已去掉（网页不需要目录）")
    return str(result.value), pictures, report


def extras(package: zipfile.ZipFile) -> list[str]:
    """Report lines for what Word files hold beyond text, tables and pictures."""
    document = package.read("word/document.xml")
    names = package.namelist()
    lines = []
    if b"<w:txbxContent" in document:
        lines.append("文本框：其中的文字已按出现位置放进正文，请核对顺序")
    comments = _count(package, "word/comments.xml", rb"<w:comment\b[^s]")
    if comments:
        lines.append(f"{comments} 条批注未导入")
    if re.search(rb"<w:(ins|del|moveFrom|moveTo)\b", document):
        lines.append("文档中有未处理的修订：已按“全部接受”导入（删除的文字不会出现）")
    objects = len(re.findall(rb"<w:object\b", document))
    if objects:
        lines.append(f"{objects} 个嵌入对象（如 Excel 表格、公式编辑器、Visio 图）未导入，只能带入其预览图（若有）")
    for tag, what in ((rb"<c:chart\b", "图表"), (rb"<dgm:relIds\b", "SmartArt 图形"), (rb"<m:oMath\b", "公式")):
        found = len(re.findall(tag, document))
        if found:
            lines.append(f"{found} 个{what}未导入（可截图后作为图片插入）")
    parts = [n for n in names if re.fullmatch(r"word/(header|footer)\d*\.xml", n)]
    if any(re.search(rb"<w:t(?:\s[^>]*)?>[^<\s]", package.read(n)) for n in parts):
        lines.append("页眉、页脚未导入（网页不需要）")
    notes = len(re.findall(rb"<w:(footnote|endnote)Reference\b", document))
    if notes:
        lines.append(f"{notes} 条脚注/尾注已放在正文末尾")
    return lines


def _count(package: zipfile.ZipFile, name: str, pattern: bytes) -> int:
    try:
        return len(re.findall(pattern, package.read(name)))
    except KeyError:
        return 0
