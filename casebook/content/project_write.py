"""Writing 民生实事 project files: front matter in the documented order, exact numbers as plain YAML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import yaml

from .project_model import Adjustment, Evaluation, Milestone, Project, Survey, Vote, plain_number
from .schema import PROJECT_FIELDS


class _Dumper(yaml.SafeDumper):
    """Writes ``Decimal`` as a plain YAML number (exact text, no exponent)."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = plain_number(value)
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _represent_decimal)


def _vote(v: Vote) -> dict[str, Any]:
    vote: dict[str, Any] = {"session": v.session} if v.session else {}
    if v.date is not None:
        vote["date"] = v.date
    return vote | {"present": v.present, "for": v.votes_for, "against": v.against, "abstain": v.abstain}


def _milestone(m: Milestone) -> dict[str, Any]:
    date = dt.date.fromisoformat(m.date) if len(m.date) == 10 else m.date
    return {"date": date, "text": m.text, **({"evidence": list(m.evidence)} if m.evidence else {})}


def _evaluation(e: Evaluation) -> dict[str, Any]:
    evaluation = {"date": e.date, "verdict": e.verdict, "score": e.score, "text": e.text}
    return {k: v for k, v in evaluation.items() if v not in (None, "")}


def _adjustment(a: Adjustment) -> dict[str, Any]:
    motion: dict[str, Any] = {
        "date": a.date,
        "moved_by": a.moved_by,
        "reason": a.reason,
        "change": a.change,
        "outcome": a.outcome,
    }
    return motion | ({"vote": _vote(a.vote)} if a.vote is not None else {})


def _survey(s: Survey) -> dict[str, Any]:
    survey: dict[str, Any] = {"date": s.date, "method": s.method}
    survey |= {"satisfied": s.satisfied, "basically": s.basically, "dissatisfied": s.dissatisfied, "note": s.note}
    return {k: v for k, v in survey.items() if v not in (None, "")}


_WRITERS: dict[str, Callable[[Any], Any]] = {
    "vote": _vote,
    "indicators": lambda items: [{k: v for k, v in vars(i).items() if v not in (None, "")} for i in items],
    "milestones": lambda items: [_milestone(m) for m in items],
    "evaluation": _evaluation,
    "adjustments": lambda items: [_adjustment(a) for a in items],
    "survey": _survey,
    "related": list,
    "topics": list,
}
"""How each structured type is written; plain values are written as they are."""


def project_meta(project: Project) -> dict[str, Any]:
    """The front matter of a project: the declared fields in order, only meaningful keys."""
    meta: dict[str, Any] = {}
    for spec in PROJECT_FIELDS:
        value = getattr(project, spec.key)
        if value in (None, "", ()) or (spec.default is not None and value == spec.default):
            continue
        meta[spec.key] = _WRITERS.get(spec.type, lambda v: v)(value)
    return meta


def serialize_project(project: Project) -> str:
    """Markdown text of a project: front matter, then the body."""
    front = yaml.dump(
        project_meta(project),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=1000,
        default_flow_style=False,
    )
    return f"---\n{front}---\n{project.body.strip(chr(10))}\n"
