"""Writing 民生实事 project files: front matter in the documented order, exact numbers as plain YAML."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import yaml

from .project_model import Project, plain_number


class _Dumper(yaml.SafeDumper):
    """Writes ``Decimal`` as a plain YAML number (exact text, no exponent)."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = plain_number(value)
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _represent_decimal)


def project_meta(project: Project) -> dict[str, Any]:
    """The front matter of a project, only meaningful keys, in the documented order."""
    meta: dict[str, Any] = {"title": project.title, "year": project.year}
    if project.number is not None:
        meta["number"] = project.number
    meta |= {"lead": project.lead, "stage": project.stage}
    if project.vote is not None:
        v = project.vote
        vote: dict[str, Any] = {"session": v.session} if v.session else {}
        if v.date is not None:
            vote["date"] = v.date
        meta["vote"] = vote | {"present": v.present, "for": v.votes_for, "against": v.against, "abstain": v.abstain}
    if project.indicators:
        meta["indicators"] = [{k: v for k, v in vars(i).items() if v not in (None, "")} for i in project.indicators]
    if project.milestones:
        meta["milestones"] = [
            {
                "date": dt.date.fromisoformat(m.date) if len(m.date) == 10 else m.date,
                "text": m.text,
                **({"evidence": list(m.evidence)} if m.evidence else {}),
            }
            for m in project.milestones
        ]
    if project.evaluation is not None:
        e = project.evaluation
        evaluation = {"date": e.date, "verdict": e.verdict, "score": e.score, "text": e.text}
        meta["evaluation"] = {k: v for k, v in evaluation.items() if v not in (None, "")}
    if project.related:
        meta["related"] = list(project.related)
    if project.status != "published":
        meta["status"] = project.status
    if project.sample:
        meta["sample"] = True
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
