"""Slugs from Chinese titles, by pinyin."""

from __future__ import annotations

import re


def slugify(title: str, max_length: int = 60) -> str:
    """``把楼院管起来`` → ``ba-lou-yuan-guan-qi-lai``; empty string when nothing usable remains."""
    from pypinyin import lazy_pinyin  # 50 MB of tables: loaded only by the commands that make slugs

    words = lazy_pinyin(title, errors="default")
    text = "-".join(w.strip() for w in words if w.strip()).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(text) > max_length:
        text = text[:max_length].rsplit("-", 1)[0]
    return text
