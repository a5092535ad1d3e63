"""征集 (proposals) files of a project year: ``projects/<year>/year.yml`` and ``proposals.yml``.

``year.yml`` holds the year's collection window (``proposals: {open, close}``, Beijing days, both
included) and, optionally, the 主题 choices of the form. ``proposals.yml`` lists proposals collected
offline (paper forms, the hotline, deputies' visits) that staff record without personal data; the
sync mirrors them into the proposal table as channel 线下. Pure: text in, values and problems out,
every problem at ``path:line``. Neither file is a project: the project loader reads ``*.md`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .frontmatter import read_source, read_yaml
from .model import Problem
from .project_reader import key_lines
from .values import Invalid, as_date, as_text

YEAR_FILE = "year.yml"
PROPOSALS_FILE = "proposals.yml"
DEFAULT_THEMES = (
    "养老服务",
    "教育托育",
    "医疗健康",
    "道路交通",
    "老旧小区与楼院",
    "环境整治",
    "就业帮扶",
    "文化体育",
    "便民服务",
    "其他",
)
"""The 主题 choices when ``year.yml`` names none: the subjects 民生实事 usually cover."""
STATUSES = ("待处理", "已采纳", "已合并", "未采纳", "已转为项目")
LIMITS = {"title": 60, "problem": 1000, "suggestion": 1000, "street": 40, "community": 40, "theme": 20}
"""Characters per field, for the public form and for ``proposals.yml`` alike."""
MAX_THEMES = 30
YEAR_KEYS = {"proposals", "themes", "sample"}
WINDOW_KEYS = {"open", "close"}
OFFLINE_KEYS = {
    "ref",
    "date",
    "channel",
    "title",
    "problem",
    "street",
    "community",
    "suggestion",
    "theme",
    "status",
    "answer",
    "answer_date",
    "project",
    "sample",
}
OFFLINE_STATUSES = ("待处理", "已采纳", "未采纳", "已转为项目")


@dataclass(frozen=True)
class YearSettings:
    """A year's collection settings, as ``year.yml`` gives them."""

    year: int
    open: dt.date
    close: dt.date
    themes: tuple[str, ...] = DEFAULT_THEMES
    sample: bool = False
    """Invented dates (the shipped sample): pages say 示例内容."""

    def state(self, today: dt.date) -> str:
        """``before``, ``open`` or ``after`` the collection on ``today`` (a Beijing day)."""
        if today < self.open:
            return "before"
        return "open" if today <= self.close else "after"

    def as_json(self) -> dict[str, Any]:
        return {
            "open": self.open.isoformat(),
            "close": self.close.isoformat(),
            "themes": list(self.themes),
            "sample": self.sample,
        }

    @classmethod
    def from_json(cls, year: int, data: dict[str, Any]) -> YearSettings:
        themes = tuple(data.get("themes") or DEFAULT_THEMES)
        opens, closes = dt.date.fromisoformat(data["open"]), dt.date.fromisoformat(data["close"])
        return cls(year, opens, closes, themes, bool(data.get("sample")))


@dataclass(frozen=True)
class OfflineProposal:
    """One proposal of ``proposals.yml`` (no personal data: the file holds none)."""

    ref: str
    date: dt.date
    channel: str
    title: str
    problem: str
    street: str
    community: str
    suggestion: str
    theme: str
    status: str = "待处理"
    answer: str = ""
    answer_date: dt.date | None = None
    project: str = ""
    sample: bool = False


def year_dirs(root: Path) -> Iterator[tuple[int, Path]]:
    """``(year, folder)`` for every four-digit folder under ``projects/``."""
    folder = root / "projects"
    if folder.is_dir():
        for child in sorted(folder.iterdir()):
            if child.is_dir() and len(child.name) == 4 and child.name.isascii() and child.name.isdigit():
                yield int(child.name), child


def read_year(text: str, year: int, path: Path) -> tuple[YearSettings | None, list[Problem]]:
    """The collection settings of ``year.yml``; None (with problems) when there is no usable window."""
    doc, problems = read_yaml(text, path)
    if doc is None:
        return None, problems
    if doc.data is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [*problems, Problem(path, 1, "year.yml 应为“键: 值”的映射，例如 proposals: {open: …, close: …}")]
    lines = key_lines(doc.node, 1, problems, path)
    for key in doc.data:
        if str(key) not in YEAR_KEYS:
            problems.append(
                Problem(
                    path, lines.get((str(key),), 1), f"未知的字段“{key}”，已忽略（可用：proposals、themes、sample）"
                )
            )
    themes = _themes(doc.data.get("themes"), lines, problems, path)
    window = doc.data.get("proposals")
    if window is None:
        return None, problems
    at = lines.get(("proposals",), 1)
    if not isinstance(window, dict):
        problems.append(Problem(path, at, "proposals 应写成 open: YYYY-MM-DD 和 close: YYYY-MM-DD 两行"))
        return None, problems
    for key in window:
        if str(key) not in WINDOW_KEYS:
            where = lines.get(("proposals", str(key)), at)
            problems.append(Problem(path, where, f"proposals 下未知的字段“{key}”，已忽略（可用：open、close）"))
    days: dict[str, dt.date] = {}
    for key in ("open", "close"):
        where = lines.get(("proposals", key), at)
        if key not in window:
            problems.append(Problem(path, at, f"proposals 缺少 {key}（征集{'开始' if key == 'open' else '截止'}日期）"))
            continue
        try:
            days[key] = as_date(window[key])
        except Invalid as exc:
            problems.append(Problem(path, where, f"proposals.{key}：{exc}"))
    if len(days) < 2:
        return None, problems
    if days["close"] < days["open"]:
        where = lines.get(("proposals", "close"), at)
        problems.append(Problem(path, where, f"征集截止日期 {days['close']} 早于开始日期 {days['open']}"))
        return None, problems
    sample = doc.data.get("sample") is True
    return YearSettings(year, days["open"], days["close"], themes, sample), problems


def _themes(value: Any, lines: dict[Any, int], problems: list[Problem], path: Path) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_THEMES
    at = lines.get(("themes",), 1)
    if not isinstance(value, list) or not value:
        problems.append(Problem(path, at, "themes 应为主题名称的列表；已改用默认主题"))
        return DEFAULT_THEMES
    names: list[str] = []
    for index, item in enumerate(value):
        where = lines.get(("themes", index), at)
        try:
            name = as_text(item)
        except Invalid as exc:
            problems.append(Problem(path, where, f"themes：{exc}"))
            continue
        if not name or len(name) > LIMITS["theme"]:
            problems.append(Problem(path, where, f"主题应为 1–{LIMITS['theme']} 个字"))
            continue
        names.append(name)
    if len(names) > MAX_THEMES:
        problems.append(Problem(path, at, f"主题最多 {MAX_THEMES} 个"))
        names = names[:MAX_THEMES]
    return tuple(dict.fromkeys(names)) or DEFAULT_THEMES


def read_offline(
    text: str, year: int, path: Path, places: dict[str, tuple[str, ...]], themes: tuple[str, ...]
) -> tuple[list[OfflineProposal], list[Problem]]:
    """The proposals of ``proposals.yml`` (a list); a bad item is reported and left out."""
    doc, problems = read_yaml(text, path)
    if doc is None or doc.data is None:
        return [], problems
    if not isinstance(doc.data, list):
        return [], [*problems, Problem(path, 1, "proposals.yml 应为建议的列表（每条以 - ref: … 开始）")]
    lines = key_lines(doc.node, 1, problems, path)
    found: list[OfflineProposal] = []
    refs: set[str] = set()
    for index, item in enumerate(doc.data):
        at = lines.get((index,), 1)
        if not isinstance(item, dict):
            problems.append(Problem(path, at, "每条建议应为“键: 值”的映射"))
            continue
        proposal = _offline(item, index, year, path, lines, problems, places, themes)
        if proposal is None:
            continue
        if proposal.ref in refs:
            problems.append(Problem(path, at, f"ref“{proposal.ref}”重复：每条线下建议的编号应不同"))
            continue
        refs.add(proposal.ref)
        found.append(proposal)
    return found, problems


def _offline(
    item: dict[Any, Any],
    index: int,
    year: int,
    path: Path,
    lines: dict[Any, int],
    problems: list[Problem],
    places: dict[str, tuple[str, ...]],
    themes: tuple[str, ...],
) -> OfflineProposal | None:
    at = lines.get((index,), 1)

    def line(key: str) -> int:
        return lines.get((index, key), at)

    for key in item:
        if str(key) not in OFFLINE_KEYS:
            problems.append(Problem(path, line(str(key)), f"未知的字段“{key}”，已忽略"))
    values: dict[str, str] = {}
    for key in ("ref", "channel", "title", "problem", "street", "community", "suggestion", "theme", "status", "answer"):
        try:
            values[key] = as_text(item.get(key))
        except Invalid as exc:
            problems.append(Problem(path, line(key), f"{key}：{exc}"))
            return None
    missing = [key for key in ("ref", "title", "problem", "street", "date") if not item.get(key)]
    if missing:
        problems.append(Problem(path, at, f"这条建议缺少 {'、'.join(missing)}，未收录"))
        return None
    for key, limit in LIMITS.items():
        if len(values.get(key, "")) > limit:
            problems.append(Problem(path, line(key), f"{key} 超过 {limit} 个字，未收录"))
            return None
    try:
        day = as_date(item.get("date"))
        answered = as_date(item["answer_date"]) if item.get("answer_date") else None
    except Invalid as exc:
        problems.append(Problem(path, line("date"), str(exc)))
        return None
    if day.year not in (year, year - 1):
        problems.append(Problem(path, line("date"), f"日期 {day} 不在 {year - 1}–{year} 年内"))
    street, community = values["street"], values["community"]
    if street not in places:
        problems.append(Problem(path, line("street"), f"places.yml 里没有街道“{street}”，未收录"))
        return None
    if community and community not in places[street]:
        problems.append(Problem(path, line("community"), f"{street}下没有社区“{community}”，未收录"))
        return None
    theme = values["theme"] or "其他"
    if theme not in themes and theme != "其他":
        problems.append(Problem(path, line("theme"), f"主题“{theme}”不在本年度的主题里（{'、'.join(themes)}）"))
    status = values["status"] or "待处理"
    if status not in OFFLINE_STATUSES:
        problems.append(Problem(path, line("status"), f"status 应为 {' / '.join(OFFLINE_STATUSES)} 之一，已按 待处理"))
        status = "待处理"
    if status == "未采纳" and not values["answer"]:
        problems.append(Problem(path, line("status"), "未采纳的建议需要写 answer（公开答复），已按 待处理"))
        status = "待处理"
    project = as_text(item.get("project")) if item.get("project") else ""
    if status == "已转为项目" and not project:
        problems.append(Problem(path, line("status"), "已转为项目的建议需要写 project（项目的 slug），已按 已采纳"))
        status = "已采纳"
    sample = item.get("sample") is True
    return OfflineProposal(
        ref=values["ref"][:40],
        date=day,
        channel=(values["channel"] or "线下")[:20],
        title=values["title"],
        problem=values["problem"],
        street=street,
        community=community,
        suggestion=values["suggestion"],
        theme=theme,
        status=status,
        answer=values["answer"][: LIMITS["problem"]],
        answer_date=answered,
        project=project,
        sample=sample,
    )


def load_year_settings(root: Path) -> tuple[dict[int, YearSettings], list[Problem]]:
    """Every year with a usable ``year.yml`` collection window, and the problems of those files."""
    settings: dict[int, YearSettings] = {}
    problems: list[Problem] = []
    for year, folder in year_dirs(root):
        path = folder / YEAR_FILE
        if not path.is_file():
            continue
        found, more = read_year(_read(path, problems), year, path)
        problems += more
        if found is not None:
            settings[year] = found
    return settings, problems


def load_offline(
    root: Path, places: dict[str, tuple[str, ...]], settings: dict[int, YearSettings]
) -> tuple[dict[int, list[OfflineProposal]], list[Problem]]:
    """The offline proposals of every year folder (``proposals.yml``), and their problems."""
    found: dict[int, list[OfflineProposal]] = {}
    problems: list[Problem] = []
    for year, folder in year_dirs(root):
        path = folder / PROPOSALS_FILE
        if not path.is_file():
            continue
        themes = settings[year].themes if year in settings else DEFAULT_THEMES
        found[year], more = read_offline(_read(path, problems), year, path, places, themes)
        problems += more
    return found, problems


def _read(path: Path, problems: list[Problem]) -> str:
    text, found = read_source(path)
    problems += found
    return text or ""
