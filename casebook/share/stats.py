"""Reading the view counts back, and drawing them as a small server-side SVG bar chart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape

from sqlalchemy import func, select

from ..db import DbSession
from .counter import ALL_SOURCES, SOURCE_LABELS
from .models import ViewCount

COLORS = {
    "gzh": "#1f7a3a",
    "group": "#2f6fb3",
    "qr": "#b5462a",
    "singlemessage": "#6a4fb3",
    "groupmessage": "#2a9d8f",
    "timeline": "#c08a12",
    "other": "#8a8a8a",
    "direct": "#c9c9c9",
}


@dataclass
class Series:
    """Views of one page per day and source over a range of days (inclusive)."""

    start: dt.date
    end: dt.date
    days: dict[dt.date, dict[str, int]] = field(default_factory=dict)

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def total(self) -> int:
        return sum(sum(v.values()) for v in self.days.values())

    def by_source(self) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for per_source in self.days.values():
            for source, count in per_source.items():
                sums[source] += count
        return {s: sums[s] for s in ALL_SOURCES if sums.get(s)}


def series(session: DbSession, kind: str, slug: str, end: dt.date, days: int = 30) -> Series:
    """The last ``days`` days up to ``end`` for one page (``kind``/``slug``)."""
    start = end - dt.timedelta(days=days - 1)
    rows = session.execute(
        select(ViewCount.day, ViewCount.source, ViewCount.count).where(
            ViewCount.kind == kind, ViewCount.slug == slug, ViewCount.day >= start, ViewCount.day <= end
        )
    )
    result = Series(start, end)
    for day, source, count in rows:
        result.days.setdefault(day, {})[source] = result.days.get(day, {}).get(source, 0) + count
    return result


def most_viewed(session: DbSession, since: dt.date, limit: int = 50) -> list[tuple[str, str, int]]:
    """(kind, slug, views) of the most viewed topics and entries since ``since``."""
    total = func.sum(ViewCount.count).label("views")
    rows = session.execute(
        select(ViewCount.kind, ViewCount.slug, total)
        .where(ViewCount.day >= since, ViewCount.kind != "page")
        .group_by(ViewCount.kind, ViewCount.slug)
        .order_by(total.desc(), ViewCount.kind, ViewCount.slug)
        .limit(limit)
    )
    return [(kind, slug, int(views)) for kind, slug, views in rows]


def chart_svg(data: Series, title: str, width: int = 640, height: int = 260) -> str:
    """Stacked bars: one per day, one colour per source, with a legend; accessible title."""
    dates = data.dates
    left, right, top, bottom = 36, 8, 24, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([sum(data.days.get(d, {}).values()) for d in dates] + [1])
    step = _nice_step(peak)
    ceiling = step * -(-peak // step)
    bar_w = plot_w / max(len(dates), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for value in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * value / ceiling
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{value}</text>')
    for i, day in enumerate(dates):
        x = left + i * bar_w
        y = top + plot_h
        for source in ALL_SOURCES:
            count = data.days.get(day, {}).get(source, 0)
            if not count:
                continue
            h = plot_h * count / ceiling
            y -= h
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{COLORS[source]}"><title>{day.isoformat()} {SOURCE_LABELS[source]} {count}</title></rect>'
            )
        last = len(dates) - 1
        if i == last or (i % 7 == 0 and last - i >= 4):  # weekly labels, never crowding the last day's
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="#555">'
                f"{day.month}/{day.day}</text>"
            )
    legend_y = height - 24
    x = float(left)
    for source in ALL_SOURCES:
        label = SOURCE_LABELS[source]
        parts.append(f'<rect x="{x:.0f}" y="{legend_y}" width="10" height="10" fill="{COLORS[source]}"/>')
        parts.append(f'<text x="{x + 13:.0f}" y="{legend_y + 9}" fill="#333">{label}</text>')
        x += 18 + 12 * len(label)
        if x > width - 80:
            x, legend_y = float(left), legend_y + 14
    parts.append("</svg>")
    return "".join(parts)


def _nice_step(peak: int) -> int:
    """A gridline step giving at most ~5 lines: 1, 2, 5, 10, 20, 50…"""
    step = 1
    while peak / step > 5:
        for factor in (2, 5 / 2, 2):
            step = int(step * factor)
            if peak / step <= 5:
                break
    return step
