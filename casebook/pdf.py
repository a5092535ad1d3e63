"""HTML to PDF with WeasyPrint, reading only local files: pictures and styles, never the network.

Pure: no Flask, no database. The caller gives the HTML, the site's own URL (links in the PDF point
there) and where the files under URL paths come from (``/media/`` → content/media or its database
copies, ``/static/`` → static/). Any other URL a page names — an outside picture, a file: URL, a
path outside those folders — is refused, so a PDF renders the same offline and cannot be made to
fetch or read anything else.

WeasyPrint lays out CJK text with Pango and embeds the subset of the fonts it used (Debian's
fonts-noto-cjk gives the Chinese glyphs). Rendering takes a second or more, so one render runs at a
time per process: a burst of readers queues for ``RENDER_WAIT`` seconds instead of sharing the CPU.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

RENDER_WAIT = 60.0
"""Seconds a render waits for the one running before it gives up (``PdfBusy``)."""
_render_lock = threading.Lock()


class PdfBusy(RuntimeError):
    """Another PDF was still rendering after ``RENDER_WAIT`` seconds."""


class RefusedURL(ValueError):
    """A URL the PDF may not fetch (outside the given folders)."""


Reader = Callable[[str], bytes | None]
"""Reads a file by its path under a URL prefix (``a/b.png`` for ``/media/a/b.png``); None: not there."""
Source = Path | Reader
"""Where the files under one URL prefix come from: a folder, or a reader (e.g. database copies)."""


def _local(url: str, site: str, sources: Mapping[str, Source]) -> tuple[Source, str]:
    """The source and the path under it that ``url`` (absolute on ``site``, or a path) names.

    Raises ``RefusedURL`` for another host or scheme, a prefix not in ``sources``, or a hidden, empty
    or NUL segment."""
    parts = urlsplit(url)
    own = urlsplit(site)
    if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
        raise RefusedURL(url)
    path = unquote(parts.path)
    for prefix, source in sources.items():
        if not path.startswith(prefix):
            continue
        rest = path.removeprefix(prefix)
        segments = rest.split("/")
        if "\x00" in rest or any(not s or s.startswith(".") for s in segments):
            raise RefusedURL(url)
        return source, rest
    raise RefusedURL(url)


def local_file(url: str, site: str, folders: Mapping[str, Path]) -> Path:
    """The file under one of ``folders`` that ``url`` (absolute on ``site``, or a path) names.

    ``folders`` maps URL path prefixes such as ``/media/`` to folders. Raises ``RefusedURL`` for
    another host or scheme, a prefix not in ``folders``, a hidden or NUL segment, a path that leaves
    its folder, or a missing file.
    """
    folder, rest = _local(url, site, folders)
    if not isinstance(folder, Path):  # folders holds paths only
        raise RefusedURL(url)
    return _in_folder(url, folder, rest)


def _in_folder(url: str, folder: Path, rest: str) -> Path:
    root = folder.resolve()
    target = (root / rest).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise RefusedURL(url)
    return target


def local_bytes(url: str, site: str, sources: Mapping[str, Source]) -> bytes:
    """The bytes of the file ``url`` names in ``sources`` (a folder as in ``local_file``, or a reader)."""
    source, rest = _local(url, site, sources)
    data = _in_folder(url, source, rest).read_bytes() if isinstance(source, Path) else source(rest)
    if data is None:
        raise RefusedURL(url)
    return data


def _fetcher(site: str, sources: Mapping[str, Source]) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):  # type: ignore[misc]
        """data: URLs as WeasyPrint reads them; every other URL from ``sources`` only."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            data = local_bytes(url, site, sources)
            mime = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, data, {"Content-Type": mime})

    return LocalFetcher(allowed_protocols=("data", "http", "https"))


def html_to_pdf(html: str, site: str, sources: Mapping[str, Source], wait: float = RENDER_WAIT) -> bytes:
    """The PDF of ``html``; relative URLs resolve against ``site``; files come only from ``sources``.

    A refused or missing picture is left out (WeasyPrint logs it) and the rest renders.
    Raises ``PdfBusy`` when another render held the lock for ``wait`` seconds.
    """
    from PIL import ImageFile
    from weasyprint import HTML  # the import loads Pango: only when a PDF is asked for

    # WeasyPrint's import turns on Pillow's process-wide "accept truncated images"; uploads must keep
    # refusing a half-sent photo (images.py), and the pictures a PDF uses were checked when uploaded.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    if not _render_lock.acquire(timeout=wait):
        raise PdfBusy("another PDF is rendering")
    try:
        document = HTML(string=html, base_url=site.rstrip("/") + "/", url_fetcher=_fetcher(site, sources))
        pdf: bytes = document.write_pdf()
        return pdf
    finally:
        _render_lock.release()
