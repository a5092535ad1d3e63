"""QR codes of share links (segno): error correction M or better, a quiet zone, PNG ≥ 600 px."""

from __future__ import annotations

import io
import math

import segno

BORDER = 4
"""The quiet zone, in modules: the four the QR standard asks for."""
MIN_PNG_PX = 600


def _code(url: str) -> segno.QRCode:
    return segno.make(url, error="m", boost_error=True, micro=False)


def qr_png(url: str, min_px: int = MIN_PNG_PX) -> bytes:
    """A black-on-white PNG at least ``min_px`` wide, scaled by whole pixels per module."""
    code = _code(url)
    modules = code.symbol_size(scale=1, border=BORDER)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=math.ceil(min_px / modules), border=BORDER)
    return buffer.getvalue()


def qr_svg(url: str, title: str | None = None) -> bytes:
    """A scalable SVG (fits its container; ``viewBox`` only)."""
    code = _code(url)
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=1,
        border=BORDER,
        omitsize=True,
        xmldecl=False,
        title=title,
        svgclass=None,
        lineclass=None,
        light="#fff",
        encoding="utf-8",
    )
    return buffer.getvalue()
