"""Front matter guessed from what a document says near its top.

The title (Word's Title style, else a first heading or a short bold or centred first line),
``label：value`` fact lines (``访谈时间：2022年3月1日``, ``受访者：张三（书记）、李四``, and the
lines casebook's own Word export writes after the title), and the street and community, matched
against the known places. Pure fact lines are taken out of the body; nothing else is.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .model import Block, Heading, Para
from .rules import speaker, visible

TITLE_MAX = 40
_FACT = re.compile(r"^([^：:\s]{1,6})\s*[：:]\s*(.+)$")
_DATE = re.compile(r"(\d{4})\s*[年\-./／]\s*(\d{1,2})\s*[月\-./／]\s*(\d{1,2})")
_URL = re.compile(r"https?://\S+")
_SEPARATORS = "、，,;；/／"
_SCAN = 15
_SERIES = re.compile(r"第\s*[一二三四五六七八九十百零〇\d]+\s*期")
_COLUMN = re.compile(r"^(?:【([^】]{1,10})】|([^｜|【】]{1,8}?)\s*[｜|])\s*(?=\S)")


def strip_column(title: str) -> tuple[str, str | None]:
    """A title without its column name (``微案例｜让楼院有人管``, ``【社区书记谈治理】…``)."""
    match = _COLUMN.match(title)
    if not match:
        return title, None
    return title[match.end() :].strip(), (match.group(1) or match.group(2) or "").strip()


def parse_date(text: str) -> dt.date | None:
    """``2022年3月1日``, ``2022-03-01``, ``2022.3.1`` (full-width digits too) → a date."""
    match = _DATE.search(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def split_names(text: str) -> list[str]:
    """``张三（党委书记、主任）、李四`` → two names: separators inside brackets do not split."""
    names, depth, current = [], 0, ""
    for char in text:
        if char in "（(【[":
            depth += 1
        elif char in "）)】]":
            depth = max(0, depth - 1)
        if char in _SEPARATORS and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [n.strip(" 。.") for n in names if n.strip(" 。.")]


def _video(value: str) -> str | None:
    match = _URL.search(value)
    return match.group(0).rstrip("。，；、）)】>\"'") if match else None


FACT_LABELS: dict[str, tuple[str, Callable[[str], Any]]] = {
    **{label: ("date", parse_date) for label in ("访谈时间", "采访时间", "时间", "日期", "活动时间", "沙龙时间")},
    **{label: ("people", split_names) for label in ("受访者", "受访人", "访谈对象", "采访对象")},
    **{label: ("participants", split_names) for label in ("参与者", "参与人员", "参会人员", "嘉宾")},
    **{label: ("tags", split_names) for label in ("标签", "关键词")},
    "街道": ("street", str.strip),
    "社区": ("community", str.strip),
    "地区": ("region", str.strip),
    "视频": ("video", _video),
    "摘要": ("summary", str.strip),
    "主题": ("", str.strip),
}
"""Label → (front-matter key, parser). ``主题`` is read and dropped: the topic is chosen on import."""


def _fact(text: str) -> tuple[str, Any, bool] | None:
    """``(key, value, pure)`` for a fact line; ``pure`` when the whole line is that one fact."""
    shown = visible(text)
    match = _FACT.match(shown)
    if not match or match.group(1) not in FACT_LABELS:
        return None
    key, parse = FACT_LABELS[match.group(1)]
    value = parse(match.group(2).strip())
    if value in (None, "", []):
        return None
    pure = not re.search(r"\s[^\s：:]{1,6}[：:]", match.group(2))  # 时间：… 地点：… is two facts
    if key == "date":  # 2022年3月1日至3月5日每天下午: the date is read, the line stays for the rest
        rest = _DATE.sub("", unicodedata.normalize("NFKC", match.group(2)), count=1)
        pure = pure and not re.sub(r"[\s日号（）()星期周一二三四五六日天。.,，]", "", rest)
    return key, value, pure


def _shown_line(text: str) -> str:
    shown = visible(text)
    return shown if len(shown) <= 40 else shown[:40] + "…"


def _title_candidate(block: Block, plain: bool) -> str | None:
    if isinstance(block, Heading):
        return None if block.numbered else visible(block.text)
    if not isinstance(block, Para) or block.picture:
        return None
    shown = visible(block.text)
    if not shown or len(shown) > TITLE_MAX or _fact(block.text) or speaker(block.text):
        return None
    if plain:
        return shown if shown[-1] not in "。！？；，：:,.;!?" else None
    return shown if (block.bold or block.centred) else None


def take_meta(
    blocks: list[Block], places: Mapping[str, Sequence[str]], *, plain: bool = False, title_known: bool = False
) -> tuple[list[Block], dict[str, Any], list[str]]:
    """The blocks without the title and pure fact lines, the front matter found, report lines.

    ``plain`` is for text without formatting: a short first line with no closing punctuation,
    followed by more text, is taken for the title. ``title_known``: the title is known already (a
    page's own title), so no line of the text is taken for it."""
    meta: dict[str, Any] = {}
    report: list[str] = []
    blocks = list(blocks)
    titled = [n for n, b in enumerate(blocks) if isinstance(b, Heading) and b.title]
    if titled:
        first = blocks[titled[0]]
        assert isinstance(first, Heading)
        meta["title"] = visible(first.text)
        del blocks[titled[0]]
        for n in titled[1:]:  # another paragraph in the Title style: kept, as a heading
            later = blocks[n - 1]
            assert isinstance(later, Heading)
            later.title, later.level = False, 2
        if titled[1:]:
            report.append(f"另有 {len(titled) - 1} 段使用了“标题”样式，已作为小标题保留在正文中")
    elif len(blocks) > 1 and not title_known:
        candidate = _title_candidate(blocks[0], plain)
        second = _title_candidate(blocks[1], plain) if candidate and len(blocks) > 2 else None
        if candidate and second and second.lstrip().startswith(("—", "－", "--")):  # a subtitle: ——某社区访谈
            meta["title"] = f"{candidate}{second.strip()}"
            del blocks[:2]
        elif candidate and second and _SERIES.search(candidate) and not _SERIES.search(second):
            meta["title"] = second  # 社区书记谈治理（第一期） above the real title
            report.append(f"第一行“{candidate}”是栏目和期数，没有用作标题，也不放进正文")
            del blocks[:2]
        elif candidate:
            meta["title"] = candidate
            del blocks[0]
    kept: list[Block] = []
    before_sections = True
    for n, block in enumerate(blocks):
        fact = _fact(block.text) if isinstance(block, Para) and n < _SCAN else None
        if fact is None or not before_sections:
            before_sections = before_sections and not isinstance(block, Heading)
            kept.append(block)
            continue
        key, value, pure = fact
        if key and key not in meta:
            meta[key] = value
        if not key and isinstance(block, Para):
            report.append(f"“{_shown_line(block.text)}”一行未导入：主题在导入时选择")
        if not pure:
            kept.append(block)
    _places(meta, kept, places, report)
    return kept, meta, report


def _places(meta: dict[str, Any], blocks: list[Block], places: Mapping[str, Sequence[str]], report: list[str]) -> None:
    """Street and community: a named one that places.yml knows, else the one the text mentions most."""
    owner = {c: street for street, cs in places.items() for c in cs}
    for key, known in (("street", places), ("community", owner)):
        if key in meta and meta[key] not in known:
            report.append(f"{'街道' if key == 'street' else '社区'}“{meta.pop(key)}”不在街道与社区设置中，未填写")
    if "community" in meta:
        meta.setdefault("street", owner[meta["community"]])
        return
    said = [meta.get("title", ""), *meta.get("people", []), *meta.get("participants", [])]  # 张三（…社区书记）
    text = "\n".join(said + [visible(b.text) for b in blocks if isinstance(b, Para | Heading)])
    found = _most_mentioned(text, [c for c in owner if not meta.get("street") or owner[c] == meta["street"]])
    if found:
        meta["community"] = found
        meta["street"] = owner[found]
        report.append(f"按正文提到的地名填写了社区：{found}（{owner[found]}），请核对")
    elif "street" not in meta:
        street = _most_mentioned(text, list(places))
        if street:
            meta["street"] = street
            report.append(f"按正文提到的地名填写了街道：{street}，请核对")


def _most_mentioned(text: str, names: Sequence[str]) -> str | None:
    counts = {name: text.count(name) for name in names if name and name in text}
    if not counts:
        return None
    return max(counts, key=lambda name: (counts[name], -text.index(name)))
