"""Video URLs as staff copy them → how a page shows them: a ``<video>``, an official player, or a link.

Staff paste whatever their browser shows: a 腾讯视频 or bilibili play page (desktop or phone),
the official player URL from an embed code, or an ``.mp4`` file. Play pages are turned into the
sites' own embeddable players, built from a validated video id (never from the pasted URL's other
parameters), so nothing but the two official players is ever framed. Anything else — short links
(b23.tv), other sites, a 腾讯视频 cover page that names no episode — is shown as a link card, and
``casebook check`` says so (``lint_video``). Pure: no Flask, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

VIDEO = "video"
IFRAME = "iframe"
LINK = "link"

QQ_VID = re.compile(r"^[a-z0-9]{11}$")
"""A 腾讯视频 episode id (vid): 11 lowercase letters and digits, e.g. ``m0012abcd3e``.

Cover (album) ids are 15 characters long, so a page path's last part is a vid only if it fits this."""
BILI_BV = re.compile(r"^BV1[1-9A-HJ-NP-Za-km-z]{9}$")
"""A bilibili BV id: ``BV1`` and nine base58 characters (no 0, O, I or l)."""
BILI_AV = re.compile(r"^(?:av|AV)([1-9][0-9]{0,18})$")
_PAGE = re.compile(r"^[1-9][0-9]{0,3}$")

QQ_HOSTS = frozenset({"v.qq.com", "m.v.qq.com"})
BILI_HOSTS = frozenset({"www.bilibili.com", "bilibili.com", "m.bilibili.com"})
QQ_PLAYER = "https://v.qq.com/txp/iframe/player.html"
BILI_PLAYER = "https://player.bilibili.com/player.html"

SITE_NAMES: tuple[tuple[str, str], ...] = (
    ("v.qq.com", "腾讯视频"),
    ("bilibili.com", "哔哩哔哩"),
    ("b23.tv", "哔哩哔哩"),
    ("channels.weixin.qq.com", "微信视频号"),
    ("mp.weixin.qq.com", "微信公众号"),
    ("youku.com", "优酷"),
    ("iqiyi.com", "爱奇艺"),
    ("douyin.com", "抖音"),
    ("ixigua.com", "西瓜视频"),
    ("kuaishou.com", "快手"),
    ("weibo.com", "微博"),
    ("youtube.com", "YouTube"),
    ("youtu.be", "YouTube"),
)


@dataclass(frozen=True)
class VideoEmbed:
    """How a ``video`` URL is shown.

    ``mode`` is ``video`` (an ``.mp4`` played by the page), ``iframe`` (an official player, ``src``)
    or ``link`` (``src`` is the URL as given). ``page`` is where a reader can watch it on the site
    itself (the play page for players, the URL itself otherwise): the link for 公众号 exports.
    """

    mode: str
    src: str
    site: str = ""
    page: str = ""
    provider: str = ""
    """``qq``, ``bilibili``, ``file`` or empty (a link)."""

    @property
    def seekable(self) -> bool:
        """Chapters can start playback at their time: ``<video>`` (by script) and bilibili (``t=``)."""
        return self.mode == VIDEO or self.provider == "bilibili"

    def at(self, seconds: int) -> str | None:
        """The player URL that starts at ``seconds``, for chapter links; None where the player has none.

        bilibili's player takes ``t`` (seconds). 腾讯视频's ``txp`` player documents no start time,
        so its chapters are plain text.
        """
        if self.provider == "bilibili":
            return self.src.replace("&autoplay=0", "") + f"&t={int(seconds)}&autoplay=1"
        if self.mode == VIDEO:
            return f"{self.src.partition('#')[0]}#t={int(seconds)}"  # the file's own #t= gives way
        return None


def site_name(url: str) -> str:
    """``哔哩哔哩`` for bilibili URLs, ``腾讯视频`` for v.qq.com…; else the host name (``www.`` dropped)."""
    host = (urlsplit(url).hostname or "").lower()
    for domain, name in SITE_NAMES:
        if host == domain or host.endswith("." + domain):
            return name
    return host.removeprefix("www.")


def qq_player(vid: str) -> str:
    """The official 腾讯视频 player for an episode id."""
    return f"{QQ_PLAYER}?{urlencode({'vid': vid})}"


def bili_player(*, bvid: str | None = None, aid: str | None = None, page: int = 1) -> str:
    """The official bilibili player for a BV id or an av number, at part ``page``.

    ``page`` is given twice: the player read ``page`` until 2023 and reads ``p`` now.
    ``autoplay=0``: a reader in WeChat starts the video (and its data use) herself.
    """
    ident = {"bvid": bvid} if bvid else {"aid": aid}
    return f"{BILI_PLAYER}?{urlencode({**ident, 'page': page, 'p': page, 'autoplay': 0})}"


def _query(query: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def _qq(path: str, query: dict[str, str]) -> str | None:
    """The vid of a 腾讯视频 URL: a ``vid`` parameter, or a play page path ending in ``/<vid>.html``."""
    if QQ_VID.match(query.get("vid", "")):
        return query["vid"]
    if path.rstrip("/") == "/txp/iframe/player.html":
        return None
    last = path.rstrip("/").rpartition("/")[2]
    stem = last.removesuffix(".html")
    if last.endswith(".html") and QQ_VID.match(stem):
        return stem
    return None


def _bili(host: str, path: str, query: dict[str, str]) -> tuple[str | None, str | None, int] | None:
    """``(bvid, aid, page)`` of a bilibili play page or player URL, or None."""
    page_text = query.get("p") or query.get("page") or "1"
    if not _PAGE.match(page_text):
        return None
    page = int(page_text)
    if host == "player.bilibili.com":
        if path.rstrip("/") != "/player.html":
            return None
        if BILI_BV.match(query.get("bvid", "")):
            return query["bvid"], None, page
        aid = query.get("aid", "")
        return (None, aid, page) if aid.isdigit() and BILI_AV.match(f"av{aid}") else None
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["s"]:  # the share form: /s/video/BV…
        parts = parts[1:]
    if len(parts) != 2 or parts[0] != "video":
        return None
    ident = parts[1]
    if BILI_BV.match(ident):
        return ident, None, page
    av = BILI_AV.match(ident)
    return (None, av.group(1), page) if av else None


def video_embed(url: str) -> VideoEmbed:
    """Classify a video URL: ``.mp4`` plays inline, 腾讯视频/bilibili pages and players embed, others link."""
    url = url.strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return VideoEmbed(LINK, url, site_name(url), url)
    if parts.path.lower().endswith(".mp4"):
        return VideoEmbed(VIDEO, url, site_name(url), url, "file")
    query = _query(parts.query)
    if host in QQ_HOSTS:
        vid = _qq(parts.path, query)
        if vid:
            return VideoEmbed(IFRAME, qq_player(vid), "腾讯视频", f"https://v.qq.com/x/page/{vid}.html", "qq")
    if host in BILI_HOSTS or host == "player.bilibili.com":
        found = _bili(host, parts.path, query)
        if found:
            bvid, aid, page = found
            watch = f"https://www.bilibili.com/video/{bvid or 'av' + str(aid)}" + (f"?p={page}" if page > 1 else "")
            return VideoEmbed(IFRAME, bili_player(bvid=bvid, aid=aid, page=page), "哔哩哔哩", watch, "bilibili")
    return VideoEmbed(LINK, url, site_name(url), url)


def format_time(seconds: int) -> str:
    """``195`` → ``03:15``; an hour or more → ``1:02:03``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


_TIME = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):(\d{2})$")


def parse_time(text: str) -> int | None:
    """``m:ss``, ``mm:ss`` (also ``95:00``) or ``h:mm:ss`` → seconds; None if it is not a time (``3:75``)."""
    match = _TIME.match(text.strip().replace("：", ":"))
    if not match:
        return None
    hours, minutes, secs = int(match.group(1) or 0), int(match.group(2)), int(match.group(3))
    if secs > 59 or (match.group(1) is not None and minutes > 59):
        return None
    return hours * 3600 + minutes * 60 + secs
