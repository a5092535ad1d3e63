"""What a sync did: counts and the keys whose rows changed (for the search index)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SyncReport:
    """What a sync did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: int = 0
    full: bool = False
    changed: set[str] = field(default_factory=set)
    """Keys whose row was added or updated."""
    gone: set[str] = field(default_factory=set)
    """Keys whose row was removed."""

    def summary(self) -> str:
        return (
            f"新增 {self.added}，更新 {self.updated}，删除 {self.removed}，未变 {self.unchanged}，"
            f"无法载入 {self.invalid}；问题 {self.problems} 条"
        )
