"""The adjustment motions (调整动议) in the project form: one repeatable row per motion, its vote
(the same parts as the project's vote) in the row as ``adjustments-<n>-vote_present`` and so on."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..content.project_model import Project
from ..content.schema import PROJECT_PARTS

VOTE_INPUT = "vote_"
COUNTS = ("present", "for", "against", "abstain")
INTEGER = re.compile(r"^\s*\d{1,9}\s*$")


def typed_vote(read: Callable[[str], str]) -> dict[str, Any]:
    """The vote parts typed (``read(part)`` gives an input's text), counts as integers where they are."""
    typed = {k: read(k) for k in PROJECT_PARTS["vote"]}
    return {k: (int(v) if k in COUNTS and INTEGER.match(v) else v) for k, v in typed.items() if v}


def motion_vote(text: Callable[[str], str], row: str, path: str, inputs: dict[str, str]) -> dict[str, Any] | None:
    """The vote typed in the row whose inputs start with ``row`` (``adjustments-3-``), noting under
    ``path`` (``adjustments.0``) which input each part came from; None when nothing was typed."""
    vote = typed_vote(lambda k: text(f"{row}{VOTE_INPUT}{k}"))
    if not vote:
        return None
    inputs[f"{path}.vote"] = f"{row}{VOTE_INPUT}present"
    inputs |= {f"{path}.vote.{k}": f"{row}{VOTE_INPUT}{k}" for k in vote}
    return vote


def motion_values(project: Project) -> dict[str, str]:
    """The form's inputs for a project's motions."""
    values: dict[str, str] = {}
    for n, motion in enumerate(project.adjustments):
        row = f"adjustments-{n}-"
        values |= {f"{row}{k}": str(getattr(motion, k)) for k in ("moved_by", "reason", "change", "outcome")}
        values[f"{row}date"] = motion.date.isoformat()
        if motion.vote is not None:
            v = motion.vote
            parts: dict[str, object] = {"session": v.session, "date": v.date.isoformat() if v.date else ""}
            parts |= {"present": v.present, "for": v.votes_for, "against": v.against, "abstain": v.abstain}
            values |= {f"{row}{VOTE_INPUT}{k}": str(value) for k, value in parts.items()}
    return values
