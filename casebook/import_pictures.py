"""Pictures of an imported document: stored like uploads, remote ones fetched from allowed hosts.

Pure (no Flask). Every picture goes through ``images.store_upload`` (decoded, checked, re-encoded,
phone copy, sidecar with its alt text); a still GIF, BMP or TIFF from a Word file is turned into
PNG first. Remote pictures are fetched by ``fetching.fetch`` a few at a time, at most ``limit``
of them and within ``budget`` seconds altogether; whatever is left out is named in the report.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from .convert import NO_ALT, Conversion, Picture, place_pictures
from .fetching import FetchRefused, fetch
from .images import ImageRejected, StoredImage, store_upload

logger = logging.getLogger(__name__)

MAX_REMOTE_PICTURES = 50
FETCH_THREADS = 4
Fetcher = Callable[[str, Collection[str]], bytes]


@dataclass
class PictureRules:
    """Where pictures may come from: listed hosts, at most ``limit`` fetched, within ``budget`` seconds."""

    hosts: frozenset[str] = frozenset()
    limit: int = MAX_REMOTE_PICTURES
    budget: float | None = None


def _store(picture: Picture, data: bytes, media_dir: Path) -> StoredImage:
    """``store_upload``, with a still GIF, BMP or TIFF from a Word file turned into PNG first."""
    try:
        return store_upload(data, picture.name, media_dir, alt=picture.alt)
    except ImageRejected:
        png = _as_png(data)
        if png is None:
            raise
        return store_upload(png, picture.name, media_dir, alt=picture.alt)


def _as_png(data: bytes) -> bytes | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=["GIF", "BMP", "TIFF"]) as image:
            if image.width * image.height > 50_000_000:
                return None
            out = io.BytesIO()
            image.convert("RGBA").save(out, "PNG")
            return out.getvalue()
    except Exception:
        return None


def _label(picture: Picture) -> str:
    """``第 2 张图片“院内新貌”（640.jpeg，来自 mmbiz.qpic.cn）``: its place in the text, alt, name, source."""
    number = picture.ref.removeprefix("picture-")
    alt = f"“{picture.alt}”" if picture.alt else ""
    host = re.sub(r"^https?://([^/:?#]+).*$", r"\1", picture.url or "") if picture.url else ""
    origin = f"，来自 {host}" if host else ""
    return f"第 {number} 张图片{alt}（{picture.name}{origin}）"


def _why(picture: Picture, reason: str) -> str:
    return f"{_label(picture)}未导入：{reason}"


def _fetch_all(
    pictures: list[Picture], rules: PictureRules, fetcher: Fetcher
) -> tuple[dict[str, bytes], dict[str, str]]:
    """Bytes of the remote pictures that could be fetched; reasons for the others, by ref."""
    got: dict[str, bytes] = {}
    failed: dict[str, str] = {}
    wanted: list[Picture] = []
    for picture in pictures:
        host = re.sub(r"^https?://([^/:?#]+).*$", r"\1", picture.url or "").lower()
        if host not in rules.hosts:
            failed[picture.ref] = f"来源 {host} 不在允许的图片网站之列（CASEBOOK_IMPORT_IMAGE_HOSTS）"
        elif len(wanted) >= rules.limit:
            failed[picture.ref] = f"一个文件最多下载 {rules.limit} 张网络图片"
        else:
            wanted.append(picture)
    if not wanted:
        return got, failed
    pool = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="import-fetch")
    try:
        futures: dict[Future[bytes], Picture] = {pool.submit(fetcher, p.url or "", rules.hosts): p for p in wanted}
        done, _ = wait(futures, timeout=rules.budget)
        for future, picture in futures.items():
            if future not in done:
                failed[picture.ref] = "下载等待超时（这次导入的图片太多或网络太慢），可稍后用“插入图片”上传"
                future.cancel()
            elif isinstance(future.exception(), FetchRefused):
                failed[picture.ref] = str(future.exception())
            elif future.exception() is not None:
                logger.warning("fetching %s failed: %r", picture.url, future.exception())
                failed[picture.ref] = "下载失败"
            else:
                got[picture.ref] = future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return got, failed


def store_pictures(
    conversion: Conversion, media_dir: Path, rules: PictureRules, *, fetcher: Fetcher = fetch
) -> tuple[str, list[str], list[StoredImage]]:
    """The Markdown with pictures stored under ``media/uploads/`` (a picture left out is marked by an
    HTML comment where it was), report lines. ``conversion.report`` is brought up to date: its
    counts and its no-alt-text line then speak of the pictures that got in."""
    remote = [p for p in conversion.pictures if p.data is None and p.url]
    started = time.monotonic()
    fetched, failed = _fetch_all(remote, rules, fetcher)
    targets: dict[str, str | None] = {}
    left_out: dict[str, str] = {}
    stored: list[StoredImage] = []
    reasons: list[str] = []
    kept: list[Picture] = []

    def leave_out(picture: Picture, reason: str) -> None:
        reasons.append(_why(picture, reason))
        targets[picture.ref] = None
        left_out[picture.ref] = f"此处原有{_label(picture)}，未导入：{reason}。可用“插入图片”补上"

    for picture in conversion.pictures:
        data = picture.data if picture.data is not None else fetched.get(picture.ref)
        if data is None:
            leave_out(picture, failed.get(picture.ref, "没有图片内容"))
            continue
        try:
            image = _store(picture, data, media_dir)
        except ImageRejected as exc:
            if picture.name.lower().endswith((".emf", ".wmf")):
                leave_out(picture, "EMF/WMF 矢量图网页无法显示；请在 Word 中把它另存为图片后用“插入图片”上传")
            else:
                leave_out(picture, exc.message)
            continue
        stored.append(image)
        kept.append(picture)
        targets[picture.ref] = f"media/{image.path}"
    logger.info(
        "import pictures: %d stored, %d left out (%.1fs)", len(stored), len(reasons), time.monotonic() - started
    )
    report = [f"{len(stored)} 张图片已保存到 media/uploads/"] if stored else []
    if len(reasons) > 20:
        reasons = [*reasons[:20], f"……另有 {len(reasons) - 20} 张图片未导入"]
    if reasons:
        reasons.append("未导入的图片在正文里留有注释（<!-- 此处原有… -->，不会发布），可在那里用“插入图片”补上")
    _settle(conversion.report, kept)
    return place_pictures(conversion.markdown, targets, left_out), report + reasons, stored


def _settle(report: list[str], kept: list[Picture]) -> None:
    """The converter's report counted every picture of the file: count only those that got in."""
    if report and report[0].startswith("已转换："):
        report[0] = re.sub(r"\d+ 张图片$", f"{len(kept)} 张图片", report[0])
    no_alt = NO_ALT.format(0).removeprefix("0")
    report[:] = [line for line in report if not line.endswith(no_alt)]
    unnamed = sum(1 for p in kept if not p.alt)
    if unnamed:
        report.append(NO_ALT.format(unnamed))
