"""Names and types of files under ``content/media/``: what ``/media/`` serves, and upload names.

Pure and light (no Flask, no Pillow), so the renderer and the views can use it. An uploaded
picture is stored as ``uploads/<year>/<16 hex>-<width>w.<ext>``; when it is wider than
``PHONE_WIDTH`` a copy exactly that wide sits beside it as ``…-800w.<ext>``, and ``<16 hex>.json``
holds its metadata. Because the width is in the name, ``srcset`` follows from a path alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

MAX_EDGE = 2560
"""Longest edge of a stored picture, in pixels."""
PHONE_WIDTH = 800
"""Width of the phone copy offered through ``srcset``."""
SIZES = "(max-width: 46rem) 100vw, 46rem"
"""The ``sizes`` attribute that goes with ``srcset``: the reading column is at most 46rem wide."""

MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
"""What ``/media/`` serves, by extension; anything else under ``content/media/`` is not served."""

ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
"""Attachments (downloadable templates) by extension: the exact Content-Type they are sent with."""
ATTACHMENT_LABELS = {"pdf": "PDF", "docx": "Word", "xlsx": "Excel"}
"""How a reader is told an attachment's type."""
ATTACHMENT_FOLDER = "attachments"
"""Where uploaded attachments land under ``content/media/``: ``attachments/<year>/<16 hex>.<ext>``."""


def attachment_type(path: str) -> str | None:
    """The exact Content-Type of an attachment file name (by extension), or None: not an attachment type."""
    return ATTACHMENT_TYPES.get(PurePosixPath(path).suffix.lower().removeprefix("."))


_UPLOAD_RE = re.compile(r"uploads/(\d{4})/([0-9a-f]{16})-([1-9]\d{0,4})w\.(jpg|png|webp)")
_MENTION = re.compile(r"uploads/(\d{4})/([0-9a-f]{16})")


def upload_paths(year: int, stem: str, width: int, ext: str) -> tuple[str, str | None, str]:
    """``(picture, phone copy or None, metadata)`` paths, relative to ``content/media/``."""
    folder = f"uploads/{year:04d}"
    phone = f"{folder}/{stem}-{PHONE_WIDTH}w.{ext}" if width > PHONE_WIDTH else None
    return f"{folder}/{stem}-{width}w.{ext}", phone, f"{folder}/{stem}.json"


def metadata_path(path: str) -> str | None:
    """The sidecar JSON of an uploaded picture's path, or None when the path is not an upload."""
    match = _UPLOAD_RE.fullmatch(path)
    return f"uploads/{match[1]}/{match[2]}.json" if match else None


def phone_variant(path: str) -> tuple[str, int] | None:
    """``(phone copy path, picture width)`` for an uploaded picture wider than the phone copy, else None."""
    match = _UPLOAD_RE.fullmatch(path)
    if match is None or not PHONE_WIDTH < int(match[3]) <= MAX_EDGE:
        return None
    return f"uploads/{match[1]}/{match[2]}-{PHONE_WIDTH}w.{match[4]}", int(match[3])


def srcset_for(path: str, base: str = "/media/") -> str | None:
    """``srcset`` for an uploaded picture (phone copy, then the picture), URLs prefixed by ``base``; else None."""
    variant = phone_variant(path)
    if variant is None:
        return None
    phone, width = variant
    return f"{base}{phone} {PHONE_WIDTH}w, {base}{path} {width}w"


def media_type_for(path: str) -> str | None:
    """The exact Content-Type ``/media/`` sends for a file name (by extension only), or None: not served."""
    return MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())


def upload_key(path: str) -> str | None:
    """``"<year>/<16 hex>"`` of an uploaded picture's path (picture, phone copy or sidecar), else None."""
    match = _MENTION.match(path)
    return f"{match[1]}/{match[2]}" if match else None


def mentioned_uploads(texts: Iterable[str]) -> set[str]:
    """``"<year>/<16 hex>"`` of every upload the texts mention: in Markdown, a cover, anywhere."""
    return {f"{m[1]}/{m[2]}" for text in texts for m in _MENTION.finditer(text)}
