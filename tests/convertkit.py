"""Building the material staff bring in, inside the tests: Word files (python-docx), pictures
(Pillow), a saved 公众号 page with its ``*_files`` folder, broken and hostile files, and a small
picture server on 127.0.0.1."""

from __future__ import annotations

import copy
import functools
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Inches
from PIL import Image


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def saved(document: docx.document.Document) -> bytes:  # type: ignore[name-defined]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_picture(document: docx.document.Document, data: bytes, alt: str = "") -> None:  # type: ignore[name-defined]
    """A picture paragraph; ``alt`` is written where Word keeps it (the drawing's description)."""
    document.add_picture(io.BytesIO(data), width=Inches(1.5))
    if alt:
        inline = document.paragraphs[-1]._p.xpath(".//wp:docPr")[0]
        inline.set("descr", alt)


def bold_paragraph(document: docx.document.Document, text: str, centred: bool = False) -> None:  # type: ignore[name-defined]
    paragraph = document.add_paragraph()
    paragraph.add_run(text).bold = True
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def tracked_deletion(document: docx.document.Document, kept: str, deleted: str) -> None:  # type: ignore[name-defined]
    """A paragraph with ``kept`` text and a tracked (not yet accepted) deletion of ``deleted``."""
    paragraph = document.add_paragraph(kept)
    run = copy.deepcopy(paragraph.runs[0]._r)
    run.remove(run.find(qn("w:t")))
    text = run.makeelement(qn("w:delText"), {})
    text.text = deleted
    run.append(text)
    change = paragraph._p.makeelement(qn("w:del"), {qn("w:id"): "1", qn("w:author"): "审核"})
    change.append(run)
    paragraph._p.append(change)


def interview_docx(picture: bytes | None = None) -> bytes:
    """An interview as staff write it: Title, the fact lines, headings, numbering, a table, Q/A."""
    document = docx.Document()
    document.add_paragraph("把楼院管起来", style="Title")
    document.add_paragraph("访谈时间：2022年3月1日")
    document.add_paragraph("受访者：张三（农业银行社区党委书记、主任）、李四")
    document.add_heading("访谈背景", 1)
    document.add_paragraph("\u3000\u3000农业银行社区有\u00a012 个无主管楼院。  ")
    document.add_heading("访谈要点", 2)
    document.add_paragraph("问：楼院没人管，先做什么？")
    document.add_paragraph("答：先成立楼院党小组，再选楼长。")
    document.add_paragraph("问：居民愿意参与吗？")
    document.add_paragraph("答：一开始不愿意，后来都来了。")
    document.add_heading("三步走", 3)
    document.add_paragraph("成立党小组", style="List Number")
    document.add_paragraph("选出楼长", style="List Number")
    document.add_paragraph("每月开议事会", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "楼院"
    table.cell(0, 1).text = "做法"
    table.cell(1, 0).text = "386|号院"
    table.cell(1, 1).text = "先清垃圾\n再装路灯"
    if picture is not None:
        add_picture(document, picture, alt="议事会现场")
    return saved(document)


def zip_bomb(part_size: int = 250 * 1024 * 1024) -> bytes:
    """A DOCX-looking zip with one highly compressible part of ``part_size`` bytes, written
    streaming (a MB at a time) so the test needs neither the memory nor the time of the part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
        with package.open("word/media/filler.bin", "w", force_zip64=True) as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(part_size // len(block)):
                part.write(block)
    return out.getvalue()


CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def encrypted_docx() -> bytes:
    """What Word writes for a password-protected .docx: a CFB container with an EncryptedPackage."""
    return CFB_MAGIC + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x13\x37" * 400


def wechat_page(picture_url: str, blocked_url: str, files_name: str = "文章_files") -> str:
    """A 公众号 article as a browser saves it: the text hidden until a script runs, pictures in
    ``data-src``, bold paragraphs as headings, sections, chrome around the text."""
    placeholder = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta property="og:title" content="不该用的标题">
<script>var ct = "1646092800"; var msg_title = '楼院议事会这样开';</script>
<style>.rich_media_content {{ visibility: hidden }}</style></head>
<body><div class="rich_media_inner">
<h1 class="rich_media_title" id="activity-name">
      楼院议事会这样开
</h1>
<div id="meta_content"><a id="js_name">中原区社区治理</a><em id="publish_time"></em></div>
<div class="rich_media_content js_underline_content" id="js_content" style="visibility: hidden; opacity: 0;">
<section style="text-align: center;"><span style="color: rgb(0, 122, 170);">
<strong>点击上方蓝字关注我们</strong></span></section>
<section><p style="text-align: center;">
<img class="rich_pages wxw-img" data-src="https://mmbiz.qpic.cn/qrcode_for_gh.jpg" src="{placeholder}"></p></section>
<section><p><strong><span style="font-size: 17px;">一、背景</span></strong></p>
<p>　　碧沙岗社区有老旧楼院<span style="color: rgb(62, 62, 62);">12</span>个。<br>居民反映问题多。</p>
<p style="text-align: center;"><img data-src="{picture_url}" src="{placeholder}" alt="议事会现场"></p>
<p><span style="font-weight: bold; color: rgb(171, 25, 66);">议事会怎么开</span></p>
<p>1、先摸底，<strong>逐户</strong>走访；</p><p>2、再议事；</p><p>3、最后公示。</p>
<p><img src="./{files_name}/640.png" data-src="https://mmbiz.qpic.cn/mmbiz_png/local/640?wx_fmt=png" alt="公示栏"></p>
<p><img data-src="{blocked_url}" alt="别处的图"></p>
<p style="display:none">隐藏的文字</p>
<script>document.write("脚本文字")</script>
<p>长按识别二维码关注我们</p>
<iframe class="video_iframe rich_pages" data-src="https://v.qq.com/txp/iframe/player.html?vid=m0000abc"></iframe>
</section></div>
<div id="js_view_source"><a>阅读原文</a></div></div></body></html>"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def picture_server(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
