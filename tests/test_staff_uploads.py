"""Picture uploads through the HTTP client: POST /staff/upload as a logged-in editor, then /media.

Each test checks what reaches ``content/media/`` (the files themselves, opened with Pillow), what
the user is told, and that nothing ever answers with a 500.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from casebook.db import db
from casebook.staff.models import AuditEvent

from .staffkit import entry_form, form_of, publish_form, staff_client, token

JSON = {"Accept": "application/json"}


@pytest.fixture
def editor(app: Flask, resync: Callable[[], Any]) -> FlaskClient:
    resync()
    client = staff_client(app, "editor1", "editor")
    return client


def stored_files(content_dir: Path) -> list[Path]:
    return sorted(p for p in (content_dir / "media").rglob("*") if p.is_file())


def upload(
    client: FlaskClient,
    data: bytes,
    name: str,
    *,
    alt: str = "",
    csrf: str | None = "auto",
    headers: dict[str, str] | None = None,
) -> TestResponse:
    tok = token(client, "/staff/new/case") if csrf == "auto" else csrf
    sent = {"X-CSRFToken": tok} if tok else {}
    response = client.post(
        "/staff/upload",
        data={"file": (io.BytesIO(data), name), "alt": alt},
        headers={**JSON, **sent, **(headers or {})},
        content_type="multipart/form-data",
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    return response


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def rotated_phone_photo() -> bytes:
    """A 1200×900 landscape sensor image, left half red; EXIF says turn it 90° clockwise; GPS set."""
    image = Image.new("RGB", (1200, 900), "blue")
    image.paste(Image.new("RGB", (600, 900), "red"), (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestPhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (34.0, 45.0, 30.0)
    gps[3], gps[4] = "E", (113.0, 37.0, 12.0)
    return encode(image, "JPEG", exif=exif, quality=90)


def small_jpeg(size: tuple[int, int] = (320, 240), color: str = "green") -> bytes:
    return encode(Image.new("RGB", size, color), "JPEG")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width``×``height`` and carries almost no pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def test_rotated_phone_photo_is_stored_upright_without_metadata_and_served_typed(
    editor: FlaskClient, content_dir: Path, app: Flask
) -> None:
    response = upload(editor, rotated_phone_photo(), "IMG_0001.JPG", alt="楼院议事会现场")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["width"], data["height"]) == (900, 1200)
    assert re.fullmatch(r"uploads/\d{4}/[0-9a-f]{16}-900w\.jpg", data["path"])
    assert data["markdown"] == f"![楼院议事会现场](media/{data['path']})"
    stored = content_dir / "media" / data["path"]
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (900, 1200)
        assert not image.getexif() and "exif" not in image.info
        top_left, top_right = image.getpixel((450, 100)), image.getpixel((450, 1100))
    # turned clockwise: the red left half of the sensor image is now the top half
    assert top_left[0] > 200 and top_left[2] < 60, top_left
    assert top_right[2] > 200 and top_right[0] < 60, top_right
    raw = stored.read_bytes()
    assert b"TestPhoneMaker" not in raw and b"Exif" not in raw
    phone = content_dir / "media" / data["path"].replace("-900w.", "-800w.")
    with Image.open(phone) as image:
        assert image.size[0] == 800 and not image.getexif()
    served = editor.get(data["url"])
    assert served.status_code == 200 and served.data == raw
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    # the public does not, until a published entry uses it (issue 13, finding 9: tests/test_private_uploads.py)
    assert app.test_client().get(data["url"]).status_code == 404


def test_jpeg_with_appended_script_is_stored_without_it(editor: FlaskClient, content_dir: Path) -> None:
    payload = small_jpeg() + b"<script>alert(document.cookie)</script><html><body>x</body></html>"
    response = upload(editor, payload, "photo.jpg")
    assert response.status_code == 200, response.get_json()
    for path in stored_files(content_dir):
        assert b"<script" not in path.read_bytes() and b"<html" not in path.read_bytes()
    stored = content_dir / "media" / response.get_json()["path"]
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
    assert stored.read_bytes().endswith(b"\xff\xd9")


def test_gif_zip_polyglot_is_refused_and_nothing_stored(editor: FlaskClient, content_dir: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.html", "<script>alert(1)</script>")
    payload = encode(Image.new("P", (16, 16)), "GIF") + archive.getvalue()
    response = upload(editor, payload, "picture.jpg")
    assert 400 <= response.status_code < 500
    error = response.get_json()["error"]
    assert "GIF" in error and "JPG" in error
    assert stored_files(content_dir) == []


def test_non_image_renamed_jpg_gets_a_clear_message(editor: FlaskClient, content_dir: Path) -> None:
    response = upload(editor, "会议纪要：楼院议事会第三次会议。\n".encode() * 50, "会议纪要.jpg")
    assert 400 <= response.status_code < 500
    error = response.get_json()["error"]
    assert "会议纪要.jpg" in error and "不是可以识别的图片" in error
    assert stored_files(content_dir) == []


def test_heic_is_refused_with_convert_hint(editor: FlaskClient, content_dir: Path) -> None:
    ftyp = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    response = upload(editor, ftyp + b"\x00" * 2000, "IMG_2024.HEIC")
    assert 400 <= response.status_code < 500
    assert "请转为 JPG 后上传" in response.get_json()["error"]
    assert stored_files(content_dir) == []


def test_more_than_50_megapixels_is_refused(editor: FlaskClient, content_dir: Path) -> None:
    response = upload(editor, png_header_only(8000, 7000), "全景.png")
    assert 400 <= response.status_code < 500
    error = response.get_json()["error"]
    assert "8000×7000" in error and "5000 万像素" in error
    assert stored_files(content_dir) == []


def test_body_over_15_mb_is_refused_with_a_message(editor: FlaskClient, content_dir: Path) -> None:
    payload = small_jpeg() + bytes(16 * 1024 * 1024)  # 16 MB: under the request limit, over the picture limit
    response = upload(editor, payload, "大图.jpg")
    assert 400 <= response.status_code < 500
    assert "15 MB" in response.get_json()["error"]
    assert stored_files(content_dir) == []


def test_request_over_20_mb_is_a_json_413(editor: FlaskClient, content_dir: Path) -> None:
    payload = small_jpeg() + bytes(21 * 1024 * 1024)
    response = upload(editor, payload, "超大.jpg")
    assert response.status_code == 413
    assert response.is_json and "15 MB" in response.get_json()["error"]
    assert stored_files(content_dir) == []
    # without asking for JSON it is still a 413 page, not a crash
    tok = token(editor, "/staff/new/case")
    plain = editor.post(
        "/staff/upload",
        data={"file": (io.BytesIO(payload), "超大.jpg")},
        headers={"X-CSRFToken": tok},
        content_type="multipart/form-data",
    )
    assert plain.status_code == 413
    assert stored_files(content_dir) == []


def test_upload_needs_a_login(app: Flask, content_dir: Path, resync: Callable[[], Any]) -> None:
    resync()
    anonymous = app.test_client()
    response = upload(anonymous, small_jpeg(), "photo.jpg", csrf=token(anonymous, "/login"))
    assert response.status_code == 401 and "重新登录" in response.get_json()["error"]
    assert stored_files(content_dir) == []


def test_upload_needs_a_csrf_token(editor: FlaskClient, content_dir: Path) -> None:
    response = upload(editor, small_jpeg(), "photo.jpg", csrf=None)
    assert response.status_code == 400 and response.is_json and response.get_json()["error"]
    forged = upload(editor, small_jpeg(), "photo.jpg", csrf="not-a-token")
    assert forged.status_code == 400 and forged.is_json
    assert stored_files(content_dir) == []
    # the token may also come as a form field
    tok = token(editor, "/staff/new/case")
    ok = editor.post(
        "/staff/upload",
        data={"file": (io.BytesIO(small_jpeg()), "photo.jpg"), "csrf_token": tok},
        headers=JSON,
        content_type="multipart/form-data",
    )
    assert ok.status_code == 200, ok.get_json()


def test_missing_file_gets_a_message(editor: FlaskClient, content_dir: Path) -> None:
    tok = token(editor, "/staff/new/case")
    response = editor.post("/staff/upload", data={"alt": "x"}, headers={**JSON, "X-CSRFToken": tok})
    assert response.status_code == 400 and "请选择" in response.get_json()["error"]
    empty = upload(editor, b"", "空.jpg")
    assert 400 <= empty.status_code < 500 and "空文件" in empty.get_json()["error"]
    assert stored_files(content_dir) == []


def test_chinese_name_is_kept_for_display_not_on_disk_and_audited(
    editor: FlaskClient, content_dir: Path, app: Flask
) -> None:
    response = upload(editor, small_jpeg(), "../../建设路社区 楼院议事会.jpg", alt="议事会")
    assert response.status_code == 200
    data = response.get_json()
    assert data["name"] == "建设路社区 楼院议事会.jpg"
    for path in stored_files(content_dir):
        assert path.relative_to(content_dir / "media").as_posix().isascii()
        assert path.is_relative_to(content_dir / "media" / "uploads")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "upload")).all()
        assert [(e.user, e.target) for e in events] == [("editor1", data["path"])]
        assert "建设路社区 楼院议事会.jpg" in (events[0].detail or "")


def test_uploaded_picture_as_cover_and_in_body_of_a_published_entry(
    app: Flask, editor: FlaskClient, content_dir: Path, client: FlaskClient
) -> None:
    reviewer = staff_client(app, "reviewer1", "reviewer")
    wide = encode(Image.new("RGB", (1600, 1000), "orange"), "JPEG")
    data = upload(editor, wide, "议事会.jpg", alt="议事会现场").get_json()
    assert data["width"] == 1600
    body = f"## 做法\n\n先成立楼院党小组。\n\n{data['markdown']}\n"
    form = {**form_of(editor, "/staff/new/case"), **entry_form(body=body, cover=data["path"])}
    saved = editor.post("/staff/new/case", data={**form, "slug": "louyuan-tupian", "action": "submit"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    assert client.get("/cases/louyuan-tupian").status_code == 404
    reviewer.post("/staff/status/case/louyuan-tupian", data=publish_form(reviewer, "case", "louyuan-tupian"))
    page = client.get("/cases/louyuan-tupian")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    phone = data["path"].replace("-1600w.", "-800w.")
    srcset = f"/media/{phone} 800w, /media/{data['path']} 1600w"
    cover = re.search(r'<img class="cover"[^>]*>', html)
    assert cover and f'src="/media/{data["path"]}"' in cover.group(0) and srcset in cover.group(0)
    body_img = re.search(r'<img[^>]*alt="议事会现场"[^>]*>', html)
    assert body_img, html
    assert f'src="/media/{data["path"]}"' in body_img.group(0) and srcset in body_img.group(0)
    for url in (f"/media/{data['path']}", f"/media/{phone}"):
        served = client.get(url)
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
