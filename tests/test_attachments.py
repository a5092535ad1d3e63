"""Attachments (附件): PDF, DOCX and XLSX templates uploaded in the editor, checked by their content,
listed on the entry and served only as downloads, with the Chinese file name and the exact type."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebook import create_app
from casebook.attachments import AttachmentRejected, check, content_disposition, size_label
from casebook.cli import main

from .conftest import WriteEntry
from .staffkit import form_of, staff_client, token

JSON = {"Accept": "application/json"}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- files to upload -----------------------------------------------------------------------------


def real_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table (what a PDF reader opens)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def real_docx(text: str = "第一条 议事会每月召开一次。") -> bytes:
    document = docx.Document()
    document.add_heading("楼院议事规则（模板）", level=1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{main}"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def real_xlsx(main: str = XLSX_MAIN, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook (one sheet, one cell: 台账), built part by part as Excel lays it out."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES.format(main=main).encode(),
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>台账</t>'
        "</is></c></row></sheetData></worksheet>".encode(),
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def encrypted(data: bytes) -> bytes:
    """``data`` (a zip) with every entry flagged as encrypted, as a zip with a password has them."""
    out = bytearray(data)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (found := out.find(signature, start)) != -1:
            out[found + flag_at] |= 0x01
            start = found + 4
    return bytes(out)


def rewritten(data: bytes, name: str, replace: Callable[[bytes], bytes]) -> bytes:
    """A copy of the zip ``data`` with the part ``name`` changed by ``replace``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            payload = source.read(info)
            target.writestr(info.filename, replace(payload) if info.filename == name else payload)
    return out.getvalue()


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 200
    + b"This program cannot be run in DOS mode"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


# --- the checks, by content ---------------------------------------------------------------------


def test_real_pdf_docx_and_xlsx_are_recognised_whatever_they_are_called() -> None:
    assert check(real_pdf(), "院规公约.pdf") == "pdf"
    assert check(real_docx(), "议事规则.docx") == "docx"
    assert check(real_xlsx(), "台账.xlsx") == "xlsx"
    assert check(real_docx(), "议事规则.xlsx") == "docx"  # the name is not believed, in either direction


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (EXE, "议事规则.pdf", "程序文件"),
        (EXE, "台账.docx", "程序文件"),
        (HTML, "议事规则.docx", "网页"),
        (b"<html><head></head></html>", "a.pdf", "网页"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧台账.xls", "另存为 .docx 或 .xlsx"),
        (b"just some text", "说明.pdf", "无法识别"),
        (b"", "空.pdf", "空的"),
    ],
)
def test_renamed_programs_pages_and_old_office_files_are_refused(data: bytes, name: str, said: str) -> None:
    with pytest.raises(AttachmentRejected) as refused:
        check(data, name)
    assert said in refused.value.message and name in refused.value.message


def test_macro_template_encrypted_and_plain_zips_are_refused() -> None:
    docm = rewritten(
        real_docx(),
        "[Content_Types].xml",
        lambda x: x.replace(b"wordprocessingml.document.main+xml", b"XX").replace(
            b"application/vnd.openxmlformats-officedocument.XX",
            b"application/vnd.ms-word.document.macroEnabled.main+xml",
        ),
    )
    cases = {
        "启用宏的 Word": docm,
        "启用宏的 Excel": real_xlsx("application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        "宏（VBA）": real_xlsx(extra={"xl/vbaProject.bin": b"\x00" * 64}),
        "Excel 模板": real_xlsx("application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"),
        "加密": encrypted(real_docx()),
        "普通的 ZIP": _zip({"readme.txt": b"hello"}),
        "不完整或已损坏": real_docx()[:300],
    }
    for said, data in cases.items():
        with pytest.raises(AttachmentRejected) as refused:
            check(data, "x.docx")
        assert said in refused.value.message, (said, refused.value.message)


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_size_limit_and_labels() -> None:
    with pytest.raises(AttachmentRejected) as refused:
        check(real_pdf() + b"\x00" * 2048, "大.pdf", max_bytes=2048)
    assert "文件太大" in refused.value.message and "2 KB" in refused.value.message
    assert (size_label(300), size_label(35 * 1024), size_label(int(1.25 * 1024 * 1024))) == ("1 KB", "35 KB", "1.2 MB")
    assert size_label(20 * 1024 * 1024) == "20 MB"


def test_content_disposition_gives_the_chinese_name_as_rfc_5987() -> None:
    header = content_disposition('议事规则/"模板"', "docx")
    assert header.startswith("attachment; ")
    assert f"filename*=UTF-8''{quote('议事规则模板.docx', safe='')}" in header
    assert 'filename="attachment.docx"' in header  # nothing readable in ASCII: a plain fallback
    assert 'filename="Rules v2.pdf"' in content_disposition("Rules v2", "pdf")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(["a.pdf", "a.docx", "a.xlsx", ""]))
def test_any_bytes_are_accepted_or_refused_never_an_error(data: bytes, name: str) -> None:
    for candidate in (data, b"PK\x03\x04" + data, b"%PDF-" + data, real_docx()[: len(data)]):
        try:
            assert check(candidate, name) in ("pdf", "docx", "xlsx")
        except AttachmentRejected as exc:
            assert exc.message


# --- upload through the editor ------------------------------------------------------------------


def upload(client: FlaskClient, data: bytes, name: str, csrf: str | None = "auto") -> Any:
    tok = token(client, "/staff/new/case") if csrf == "auto" else csrf
    return client.post(
        "/staff/upload-attachment",
        data={"file": (io.BytesIO(data), name)},
        headers={**JSON, **({"X-CSRFToken": tok} if tok else {})},
        content_type="multipart/form-data",
    )


def stored(content_dir: Path) -> list[Path]:
    return sorted(p for p in (content_dir / "media").rglob("*") if p.is_file())


def test_upload_stores_real_files_under_media_attachments(app: Flask, content_dir: Path) -> None:
    editor = staff_client(app, "wang", "editor")
    for data, name, ext in ((real_pdf(), "院规公约.pdf", "pdf"), (real_docx(), "议事规则.docx", "docx")):
        response = upload(editor, data, name)
        assert response.status_code == 200, response.get_data(as_text=True)
        answer = response.get_json()
        assert re.fullmatch(rf"attachments/\d{{4}}/[0-9a-f]{{16}}\.{ext}", answer["path"]), answer
        assert answer["title"] == name.rsplit(".", 1)[0] and answer["line"] == f"{answer['path']} {answer['title']}"
        assert (content_dir / "media" / answer["path"]).read_bytes() == data
    xlsx = upload(editor, real_xlsx(), "台账.docx").get_json()  # named .docx, is a workbook: stored as .xlsx
    assert xlsx["path"].endswith(".xlsx") and xlsx["type"] == "xlsx"


def test_refused_uploads_say_why_in_chinese_and_store_nothing(app: Flask, content_dir: Path) -> None:
    editor = staff_client(app, "wang", "editor")
    for data, name in ((EXE, "议事规则.pdf"), (HTML, "台账.xlsx"), (encrypted(real_docx()), "规则.docx")):
        response = upload(editor, data, name)
        assert response.status_code == 422
        message = response.get_json()["error"]
        assert name in message and re.search(r"[\u4e00-\u9fff]", message)
    assert stored(content_dir) == []
    assert upload(editor, real_pdf(), "x.pdf", csrf=None).status_code == 400  # no CSRF token, no upload
    assert upload(app.test_client(), real_pdf(), "x.pdf", csrf=None).status_code in (400, 401, 403)
    assert stored(content_dir) == []


def test_the_size_limit_is_configurable(content_dir: Path, tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "i", "ATTACHMENT_MAX_MB": "1"}
    )
    try:
        editor = staff_client(app, "wang", "editor")
        big = real_pdf() + b"\x00" * (1024 * 1024)
        response = upload(editor, big, "大文件.pdf")
        assert response.status_code in (413, 422)
        assert "文件太大：附件不能超过 1 MB" in response.get_json()["error"]
        bigger = upload(editor, real_pdf() + b"\x00" * (3 * 1024 * 1024), "更大.pdf")  # read only to the limit + 1
        assert bigger.status_code == 422 and "1 MB" in bigger.get_json()["error"]
        assert stored(content_dir) == []
        assert upload(editor, real_pdf(), "小.pdf").status_code == 200
    finally:
        app.extensions["casebook.search"].close()
    with pytest.raises(ValueError, match="ATTACHMENT_MAX_MB"):
        create_app({"TESTING": True, "CONTENT_DIR": content_dir, "DATA_DIR": tmp_path / "j", "ATTACHMENT_MAX_MB": "x"})


def test_default_limit_takes_a_file_over_the_apps_old_20_mb_request_cap(app: Flask, content_dir: Path) -> None:
    editor = staff_client(app, "wang", "editor")
    almost = real_pdf() + b"\x00" * (20 * 1024 * 1024 - 4096)  # just under 20 MB plus the form around it
    assert upload(editor, almost, "扫描件.pdf").status_code == 200
    response = upload(editor, almost + b"\x00" * 8192, "太大.pdf")
    assert response.status_code == 422 and "20 MB" in response.get_json()["error"]


# --- listed, shown, downloaded ------------------------------------------------------------------


def _with_attachments(app: Flask, content_dir: Path, write_entry: WriteEntry, status: str = "published") -> dict:
    media = content_dir / "media" / "attachments" / "2026"
    media.mkdir(parents=True)
    files = {
        "docx": ("0123456789abcdef.docx", real_docx()),
        "xlsx": ("fedcba9876543210.xlsx", real_xlsx()),
        "pdf": ("00112233aabbccdd.pdf", real_pdf()),
    }
    for name, data in files.values():
        (media / name).write_bytes(data)
    write_entry(
        "case",
        "with-files",
        raw=f"""
        ---
        title: 楼院议事规则怎么定
        topic: louyuan
        date: 2022-03-01
        status: {status}
        attachments:
          - file: attachments/2026/0123456789abcdef.docx
            title: 议事规则（模板）
          - file: attachments/2026/fedcba9876543210.xlsx
            title: 楼院台账
          - file: attachments/2026/00112233aabbccdd.pdf
            title: 院规公约
        ---
        正文。
        """,
    )
    return files


def test_entry_lists_attachments_and_serves_them_only_as_downloads(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    files = _with_attachments(app, content_dir, write_entry)
    resync()
    page = client.get("/cases/with-files").get_data(as_text=True)
    assert "附件下载" in page
    docx_size = size_label(len(files["docx"][1]))
    href = "/downloads/attachments/2026/0123456789abcdef.docx"
    assert f'<a class="attachment-link" href="{href}" download>议事规则（模板）</a>' in page
    assert f"Word 文件，{docx_size}" in page and "Excel 文件" in page and "PDF 文件" in page
    expected = {
        "docx": ("议事规则（模板）", DOCX_TYPE),
        "xlsx": ("楼院台账", XLSX_TYPE),
        "pdf": ("院规公约", "application/pdf"),
    }
    for ext, (name, data) in files.items():
        title, media_type = expected[ext]
        response = client.get(f"/downloads/attachments/2026/{name}")
        assert response.status_code == 200 and response.data == data
        assert response.headers["Content-Type"] == media_type  # exact: no charset, nothing guessed
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "inline" not in disposition
        assert f"filename*=UTF-8''{quote(f'{title}.{ext}', safe='')}" in disposition
    api = client.get("/api/entries/case/with-files").get_json()
    assert [a["title"] for a in api["attachments"]] == ["议事规则（模板）", "楼院台账", "院规公约"]
    assert api["attachments"][0]["url"] == "https://cases.example.org/downloads/attachments/2026/0123456789abcdef.docx"
    # never through /media/ (which would not say "attachment"), never a file no entry lists
    assert client.get("/media/attachments/2026/0123456789abcdef.docx").status_code == 404
    (content_dir / "media" / "attachments" / "2026" / "aaaaaaaaaaaaaaaa.pdf").write_bytes(real_pdf())
    assert client.get("/downloads/attachments/2026/aaaaaaaaaaaaaaaa.pdf").status_code == 404
    for bad in ("../cases/with-files.md", "attachments/2026/../../topics.yml", "topics.yml", "attachments/.x.pdf"):
        assert client.get(f"/downloads/{bad}").status_code == 404, bad


def test_a_drafts_attachments_are_for_staff_only(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    _with_attachments(app, content_dir, write_entry, status="draft")
    resync()
    url = "/downloads/attachments/2026/0123456789abcdef.docx"
    assert client.get(url).status_code == 404
    staff = staff_client(app, "wang", "editor")
    response = staff.get(url)
    assert response.status_code == 200 and "private" in response.headers["Cache-Control"]


def test_editor_saves_an_uploaded_attachment_into_the_front_matter(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "rules", scope="local")
    resync()
    admin = staff_client(app, "admin", "admin")
    answer = upload(admin, real_docx(), "楼院议事规则.docx").get_json()
    editor_page = admin.get("/staff/edit/case/rules").get_data(as_text=True)
    assert 'class="upload-attachment"' in editor_page and 'name="attachments"' in editor_page
    data = {
        **form_of(admin, "/staff/edit/case/rules"),
        "title": "标题 rules",
        "topic": "louyuan",
        "date": "2022-03-01",
        "scope": "local",
        "attachments": answer["line"],
        "body": "正文。",
        "action": "publish",
    }
    assert admin.post("/staff/edit/case/rules", data=data).status_code == 302
    text = (content_dir / "cases" / "rules.md").read_text("utf-8")
    assert f"attachments:\n- file: {answer['path']}\n  title: 楼院议事规则\n" in text
    assert client.get("/downloads/" + answer["path"]).status_code == 200
    # a line naming a file that is not there comes back under the input, everything typed kept
    data["attachments"] = "attachments/2026/ffffffffffffffff.pdf 不存在的附件"
    data |= {**form_of(admin, "/staff/edit/case/rules"), "title": "改过的标题"}
    response = admin.post("/staff/edit/case/rules", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:3000]
    assert "附件文件 media/attachments/2026/ffffffffffffffff.pdf 不存在" in page
    assert "不存在的附件" in page and 'value="改过的标题"' in page


def test_check_reports_a_missing_attachment_file_with_its_line(
    runner: CliRunner, content_dir: Path, write_entry: WriteEntry
) -> None:
    (content_dir / "media" / "here.pdf").write_bytes(real_pdf())
    write_entry(
        "case",
        "missing-file",
        raw="""
        ---
        title: 缺附件
        topic: louyuan
        date: 2022-03-01
        attachments:
          - file: here.pdf
            title: 在
          - file: attachments/2026/gone.docx
            title: 不在
          - file: notes.txt
            title: 不是附件类型
        ---
        正文。
        """,
    )
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert "content/cases/missing-file.md:8: attachments 第 2 项：附件文件 media/attachments/2026/gone.docx 不存在" in (
        result.stdout
    )
    assert (
        "content/cases/missing-file.md:10: attachments 第 3 项：" in result.stdout
        and "pdf、docx、xlsx" in result.stdout
    )


def test_an_attachment_named_in_chinese_downloads(
    app: Flask, client: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    """A file a district drops into media/ with a Chinese name (not an editor upload's hex name) is found
    although the catalog's JSON keeps the name \\u-escaped."""
    media = content_dir / "media" / "attachments"
    media.mkdir(parents=True)
    data = real_docx()
    (media / "议事规则_2024.docx").write_bytes(data)
    write_entry(
        "case",
        "cn-file",
        raw="""
        ---
        title: 议事规则
        topic: louyuan
        date: 2022-03-01
        attachments:
          - file: attachments/议事规则_2024.docx
            title: 议事规则
        ---
        正文。
        """,
    )
    resync()
    response = client.get(f"/downloads/{quote('attachments/议事规则_2024.docx')}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Disposition"].startswith("attachment;")
    # the like-pattern wildcards in a name still match nothing else
    assert client.get(f"/downloads/{quote('attachments/议事规则%2024.docx')}").status_code == 404
