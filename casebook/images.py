"""Uploaded pictures: check, clean and store JPEG/PNG/WebP under ``content/media/uploads/``.

Pure (no Flask). Nothing about an upload is trusted: its type comes from decoding the bytes with
Pillow (never from the file name or the browser's MIME type), its size and pixel count are checked
before any pixel is decoded, and what is stored is re-encoded from pixels alone, so EXIF (GPS,
camera), XMP, ICC profiles, comments and anything appended after the image (HTML, a ZIP) are gone.

Layout, for an upload in 2026 that is 2560 px wide after orientation and downscaling::

    content/media/uploads/2026/3f9a1c2b7d4e5f60-2560w.jpg   the picture (long edge ≤ 2560 px)
    content/media/uploads/2026/3f9a1c2b7d4e5f60-800w.jpg    its phone copy, 800 px wide (only when wider)
    content/media/uploads/2026/3f9a1c2b7d4e5f60.json        original file name, alt text, sizes

The naming rules live in ``media.py``; the width in the name lets the renderer write ``srcset``
from a path alone (``media.srcset_for``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import json
import logging
import math
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from .content import write_atomic
from .media import MAX_EDGE, PHONE_WIDTH, mentioned_uploads, metadata_path, upload_key, upload_paths

logger = logging.getLogger(__name__)

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000
_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
_ALLOWED_TEXT = "只能上传 JPG、PNG 或 WebP 图片"
HEIC_MESSAGE = "这是 HEIC/HEIF 格式的照片（苹果手机的默认格式），网页不能直接显示，请转为 JPG 后上传。"
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"heif"}
_VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"qt  ", b"M4V ", b"3gp4", b"3gp5", b"avc1"}
_SIGNATURES = [
    (b"GIF87a", "GIF 动图"),
    (b"GIF89a", "GIF 动图"),
    (b"BM", "BMP 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"%PDF", "PDF 文档"),
    (b"PK\x03\x04", "压缩包或 Office 文档"),
]


class ImageRejected(ValueError):
    """An upload that cannot be stored; ``message`` is Chinese text to show the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredImage:
    """One stored upload. Paths are posix, relative to ``content/media/``."""

    path: str
    """The picture: use as an entry's ``cover`` value, or in Markdown as ``media/<path>``."""
    phone_path: str | None
    """The 800 px wide copy, or None when the picture is not wider than that."""
    width: int
    height: int
    media_type: str
    original_name: str
    """The uploaded file's own name (may be Chinese), for display only; never used on disk."""
    alt: str
    bytes: int
    uploaded_at: str
    """UTC, ISO 8601."""
    meta_path: str
    """The sidecar JSON holding all of the above."""

    @property
    def markdown(self) -> str:
        """``![alt](media/uploads/…)``, ready to paste into a body."""
        alt = re.sub(r"([\\\[\]])", r"\\\1", self.alt)
        return f"![{alt}](media/{self.path})"


def store_upload(
    data: bytes, filename: str, media_dir: Path, alt: str = "", *, now: dt.datetime | None = None
) -> StoredImage:
    """Check, clean and store one uploaded picture under ``media_dir/uploads/<year>/``; raise ImageRejected."""
    original = _clean_text(filename.replace("\\", "/").rsplit("/", 1)[-1], 200)
    image, fmt = _decode(data, original)
    try:
        main, phone = _prepare(image, fmt)
        main_bytes = _encode(main, fmt)
        phone_bytes = _encode(phone, fmt) if phone else None
    except Exception as exc:  # decoded but unprocessable (an odd mode, memory): still a message, not a 500
        logger.exception("could not process upload %r", original)
        raise ImageRejected("这张图片无法处理，请用手机或电脑另存为 JPG 后再上传。") from exc
    ext, media_type = _FORMATS[fmt]
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    path, phone_path, meta_path = upload_paths(moment.year, secrets.token_hex(8), main.width, ext)
    stored = StoredImage(
        path=path,
        phone_path=phone_path,
        width=main.width,
        height=main.height,
        media_type=media_type,
        original_name=original,
        alt=_clean_text(alt, 500),
        bytes=len(main_bytes),
        uploaded_at=moment.replace(microsecond=0).isoformat(),
        meta_path=meta_path,
    )
    files = [(stored.path, main_bytes), (stored.meta_path, _meta_json(stored))]
    if stored.phone_path and phone_bytes is not None:
        files.insert(0, (stored.phone_path, phone_bytes))
    _write_all(media_dir, files)
    logger.info("stored upload %r as %s (%d×%d)", original, stored.path, stored.width, stored.height)
    return stored


def load_stored(media_dir: Path, path: str) -> StoredImage | None:
    """The metadata of an uploaded picture (by its ``path``), or None if it is not one or is gone."""
    meta = metadata_path(path)
    if meta is None:
        return None
    try:
        return StoredImage(**json.loads((media_dir / meta).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def list_uploads(media_dir: Path) -> list[StoredImage]:
    """Every uploaded picture with readable metadata, newest first."""
    found = []
    for sidecar in (media_dir / "uploads").glob("[0-9][0-9][0-9][0-9]/*.json"):
        try:
            found.append(StoredImage(**json.loads(sidecar.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            logger.warning("unreadable upload metadata %s", sidecar)
    return sorted(found, key=lambda s: (s.uploaded_at, s.path), reverse=True)


def unused_uploads(media_dir: Path, texts: Iterable[str], uploaded_before: dt.datetime) -> list[StoredImage]:
    """Uploads that none of ``texts`` mentions, uploaded before ``uploaded_before`` (UTC)."""
    used = mentioned_uploads(texts)
    cutoff = uploaded_before.astimezone(dt.UTC)
    unused = []
    for stored in list_uploads(media_dir):
        key = upload_key(stored.path)
        try:
            moment = dt.datetime.fromisoformat(stored.uploaded_at).astimezone(dt.UTC)
        except ValueError:
            continue  # a time we cannot read: keep it
        if key is not None and key not in used and moment < cutoff:
            unused.append(stored)
    return unused


def delete_upload(media_dir: Path, stored: StoredImage) -> int:
    """Remove an upload's picture, phone copy and metadata; return the bytes freed."""
    freed = 0
    for path in (stored.path, stored.phone_path, stored.meta_path):
        if path:
            target = media_dir / path
            with contextlib.suppress(FileNotFoundError):
                freed += target.stat().st_size
                target.unlink()
    return freed


# --- checking -------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> tuple[Image.Image, str]:
    label = f"“{name}”" if name else "这个文件"
    if not data:
        raise ImageRejected(f"{label}是空文件（0 字节），请重新选择图片。")
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"{label}太大（{len(data) / 1024 / 1024:.1f} MB），图片最大 15 MB，请压缩后再上传。")
    refused = _refused_container(data)
    if refused:
        raise ImageRejected(refused if refused == HEIC_MESSAGE else _not_allowed(label, refused))
    try:  # reads the header only; Pillow refuses absurd sizes (DecompressionBombError) by itself
        image = Image.open(io.BytesIO(data), formats=list(_FORMATS))
    except Image.DecompressionBombError:
        raise ImageRejected(f"{label}的像素太多，最多 5000 万像素（例如 8000×6000），请缩小后再上传。") from None
    except Exception:
        kind = _sniff(data)
        if kind:
            raise ImageRejected(_not_allowed(label, kind)) from None
        raise ImageRejected(f"{label}不是可以识别的图片（或文件已损坏），{_ALLOWED_TEXT}。") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRejected(
            f"{label}的尺寸是 {width}×{height}（约 {width * height / 1e6:.0f} 百万像素），"
            "最多 5000 万像素，请缩小后再上传。"
        )
    fmt = "JPEG" if image.format == "MPO" else image.format or ""  # MPO: a phone JPEG with extra frames
    if fmt == "JPEG" and max(width, height) > MAX_EDGE:
        # libjpeg can decode at 1/2, 1/4, 1/8 scale: no need to hold 50 megapixels to keep 2560 px.
        scale = MAX_EDGE / max(width, height)
        image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
    try:
        image.load()
    except Exception:
        raise ImageRejected(f"{label}不完整或已损坏，无法读取，请重新导出后再上传。") from None
    return image, fmt


def _not_allowed(label: str, kind: str) -> str:
    space = " " if kind[0].isascii() else ""
    return f"{label}是{space}{kind}，{_ALLOWED_TEXT}。"


def _refused_container(data: bytes) -> str | None:
    """HEIC/HEIF, AVIF and phone videos share the ISO-BMFF ``ftyp`` box; name what it is."""
    if data[4:8] != b"ftyp" or len(data) < 12:
        return None
    size = int.from_bytes(data[:4], "big")
    end = min(size if size >= 16 else 16, len(data), 4096)
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, end - 3, 4)}
    if data[8:12] in (b"avif", b"avis"):
        return "AVIF 图片"
    if brands & _HEIF_BRANDS:
        return HEIC_MESSAGE
    if brands & _VIDEO_BRANDS:
        return "视频文件"
    return None


def _sniff(data: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    head = data[:1024].lower()
    if b"<svg" in head:
        return "SVG 矢量图"
    if b"<html" in head or b"<!doctype html" in head or b"<script" in head:
        return "网页文件"
    return None


# --- cleaning -------------------------------------------------------------------------------


def _prepare(image: Image.Image, fmt: str) -> tuple[Image.Image, Image.Image | None]:
    """Upright, sRGB, output-ready mode, long edge ≤ MAX_EDGE, no metadata; plus the phone copy."""
    icc = image.info.get("icc_profile")
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block must not cost the picture: keep it as decoded
        logger.info("ignoring unreadable EXIF orientation")
        upright = image
    pixels = _normalise_mode(_to_srgb(upright, icc), fmt)
    pixels = _fit(pixels, MAX_EDGE)
    pixels.info = {}  # re-encoding copies some info (JPEG comments, PNG ICC) unless it is cleared
    phone = None
    if pixels.width > PHONE_WIDTH:
        phone = pixels.resize(
            (PHONE_WIDTH, max(1, round(pixels.height * PHONE_WIDTH / pixels.width))),
            Image.Resampling.LANCZOS,
        )
        phone.info = {}
    return pixels, phone


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode=out_mode)
            if converted is not None:
                return converted
        except Exception:  # an unusable profile: the pixels are taken as sRGB
            logger.info("ignoring unusable ICC profile")
    return image


def _normalise_mode(image: Image.Image, fmt: str) -> Image.Image:
    mode = image.mode
    if mode.startswith("I"):  # 16- or 32-bit grey (PNG): scale to 8 bits rather than clip
        image, mode = image.convert("I").point(lambda v: v * (1 / 256)).convert("L"), "L"
    elif mode in ("F", "1"):
        image, mode = image.convert("L"), "L"
    elif mode in ("P", "PA"):
        alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if alpha else "RGB")
        mode = image.mode
    allowed = {"JPEG": ("RGB", "L"), "PNG": ("RGB", "RGBA", "L", "LA"), "WEBP": ("RGB", "RGBA")}[fmt]
    if mode in allowed:
        return image
    has_alpha = mode in ("RGBA", "LA", "RGBa", "La") and fmt != "JPEG"
    return image.convert("RGBA" if has_alpha else "RGB")


def _fit(image: Image.Image, edge: int) -> Image.Image:
    width, height = image.size
    if max(width, height) <= edge:
        return image.copy()
    scale = edge / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "PNG":
        image.save(out, "PNG", compress_level=6)
    else:
        image.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


def _clean_text(text: str, limit: int) -> str:
    """NFC, no control or format characters (bidi overrides), whitespace collapsed, at most ``limit``."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return re.sub(r"\s+", " ", text).strip()[:limit]


# --- storing --------------------------------------------------------------------------------


def _meta_json(stored: StoredImage) -> bytes:
    return (json.dumps(asdict(stored), ensure_ascii=False, indent=2) + "\n").encode()


def _write_all(media_dir: Path, files: list[tuple[str, bytes]]) -> None:
    """Write each file atomically, sidecar last; on failure remove what was written."""
    written: list[Path] = []
    try:
        for rel, payload in files:
            target = media_dir / rel
            write_atomic(target, payload)
            written.append(target)
    except OSError as exc:
        logger.exception("could not store upload under %s", media_dir)
        for path in written:
            path.unlink(missing_ok=True)
        raise ImageRejected("服务器保存图片失败（磁盘错误），请稍后再试或联系管理员。") from exc
