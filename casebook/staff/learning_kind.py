"""The editor's adapter for 借鉴 learning records (``content/learning/<slug>.md``): the form is the
fields of ``schema.LEARNING_FIELDS``, checked exactly as ``casebook check`` checks the files. No Flask here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import catalog, content
from ..content import learning as learning_files
from ..content.schema import LEARNING_KIND, LEARNING_TYPES
from ..db import DbSession
from ..models import EntryRow
from .forms import Errors, errors_by_field, fields_for, meta_from_form, plain_value


class LearningKind:
    """借鉴 records: the schema-declared form (``LEARNING_FIELDS``), checked as ``casebook check`` does."""

    name = LEARNING_KIND

    def locate(self, root: Path, session: DbSession, slug: str, values: Mapping[str, str] | None) -> Path:
        taken = [p for p in learning_files.iter_learning_files(root) if p.stem == slug]
        return taken[0] if taken else learning_files.learning_path(root, slug)

    def build(
        self, root: Path, session: DbSession, slug: str, values: Mapping[str, str], status: str, path: Path
    ) -> tuple[Any | None, str, Errors]:
        meta = meta_from_form(self.name, values, status)
        rules, _ = content.load_rules(root)
        known = {f"{k}/{s}" for k, s in session.execute(select(EntryRow.kind, EntryRow.slug))}
        body = (values.get("body") or "").replace("\r\n", "\n").strip("\n")
        record, problems = learning_files.validate_learning(
            slug, meta, body + "\n" if body else "", rules=rules, path=path, known=known
        )
        errors = errors_by_field(problems, self.name)
        if record is None or errors:
            return None, "", errors or {"": ["内容无法保存"]}
        return record, learning_files.serialize_learning(record), {}

    def front_matter(self, values: Mapping[str, str], status: str) -> dict[str, Any]:
        return meta_from_form(self.name, values, status)

    def parse(self, root: Path, slug: str, text: str, path: Path) -> Any | None:
        rules, _ = content.load_rules(root)
        record, _ = learning_files.parse_learning_text(text, slug, rules=rules, path=path)
        return record

    def refresh(self, session: DbSession, root: Path, path: Path) -> None:
        catalog.refresh(session, root, path)

    def values(self, item: Any) -> dict[str, str]:
        record: learning_files.Learning = item
        values: dict[str, str] = {}
        for spec in fields_for(self.name):
            values[spec.key] = plain_value(getattr(record, spec.key))
        values["body"] = record.body
        return values

    def blank(self, args: Mapping[str, str], today: str) -> dict[str, str]:
        return {"date": today, "type": LEARNING_TYPES[0], "topic": args.get("topic", ""), "body": ""}
