"""The 借鉴 records adapter: ``content/learning/<slug>.md`` → ``learning`` rows.

A record's ``learned_from`` keys are checked against the catalog's entries, and its topics and
default title come from them, so when an entry key, topic or title changes every record is read
again (there are a few dozen at most).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import content
from ..content.learning import LEARNING_DIR, Learning, iter_learning_files, parse_learning_file
from ..db import DbSession as Session
from ..learning_rows import LearningRow
from ..models import EntryRow
from ..render import excerpt, plain_text, render_markdown
from .adapter import Prepared

PREFIX = f"{LEARNING_DIR}/"
SOURCES_KEY = "learning_known_entries"
"""Hash of the entries (key, topic, title) that records may name."""


def record_title(record: Learning, titles: Mapping[str, str], topic_titles: Mapping[str, str]) -> str:
    """The record's own title, else ``<community><type>：<what it learned from>``."""
    if record.title:
        return record.title
    subject = next((titles[k] for k in record.learned_from if k in titles), None)
    if subject is None and record.topic:
        subject = topic_titles.get(record.topic, record.topic)
    return f"{record.community}{record.type}：{subject}" if subject else f"{record.community}{record.type}"


def record_topics(record: Learning, topics_of: Mapping[str, str]) -> list[str]:
    """The topic the record names, then those of the entries it names; each once."""
    found = [record.topic] if record.topic else []
    found += [topics_of[k] for k in record.learned_from if k in topics_of]
    return list(dict.fromkeys(found))


class LearningAdapter:
    """Learning records as the generic sync sees them; ``entries`` maps each entry key to its topic
    and title, ``topic_titles`` each topic slug to its title."""

    name = "learning"

    def __init__(
        self, rules: content.Rules, entries: Mapping[str, tuple[str, str, bool]], topic_titles: Mapping[str, str]
    ):
        self.rules, self.entries, self.topic_titles = rules, entries, topic_titles

    @classmethod
    def open(cls, session: Session, rules: content.Rules) -> tuple[LearningAdapter, dict[str, str]]:
        """The adapter for one run (after the entries), and its stamp: the entries it may name."""
        session.flush()
        rows = session.execute(select(EntryRow.kind, EntryRow.slug, EntryRow.topic, EntryRow.title, EntryRow.status))
        # every entry may be named (a draft case may be published later), but only published ones give
        # a record its title, topics and links; the stamp changes when an entry is published
        entries = {f"{kind}/{slug}": (topic, title, status == "published") for kind, slug, topic, title, status in rows}
        topic_titles = {t.slug: t.title for t in rules.topics.values()}
        digest = hashlib.sha256(repr(sorted(entries.items())).encode()).hexdigest()
        return cls(rules, entries, topic_titles), {SOURCES_KEY: digest}

    @staticmethod
    def owns(rel: str) -> bool:
        return rel.startswith(PREFIX)

    def files(self, root: Path) -> Mapping[str, Path]:
        return {path.relative_to(root).as_posix(): path for path in iter_learning_files(root)}

    def key_of(self, rel: str) -> str:
        return Path(rel).stem

    def duplicate(self, path: Path, key: str, first: str) -> content.Problem:
        return content.Problem(path, 1, f"重复的借鉴记录 slug：{key} 已由 {first} 使用")

    def prepare(self, root: Path, rel: str, path: Path) -> Prepared:
        record, problems = parse_learning_file(path, self.rules, set(self.entries))
        html = render_markdown(record.body, "/media/") if record is not None else None
        return Prepared(record, problems, html)

    def row_at(self, session: Session, rel: str) -> Any:
        return session.scalars(select(LearningRow).where(LearningRow.path == rel)).one_or_none()

    def upsert(self, session: Session, prepared: Prepared, rel: str) -> str:
        return upsert_learning(session, prepared.item, rel, self, prepared.extra).key


def upsert_learning(
    session: Session, record: Learning, rel: str, adapter: LearningAdapter, body_html: str | None = None
) -> LearningRow:
    """Insert or update the row of ``record`` (looked up by slug)."""
    row = session.scalars(select(LearningRow).where(LearningRow.slug == record.slug)).one_or_none()
    if row is None:
        row = LearningRow(slug=record.slug)
        session.add(row)
    if body_html is None:
        body_html = render_markdown(record.body, "/media/")
    public = {key: (topic, title) for key, (topic, title, published) in adapter.entries.items() if published}
    titles = {key: title for key, (_, title) in public.items()}
    topics_of = {key: topic for key, (topic, _) in public.items()}
    row.path, row.date, row.type = rel, record.date, record.type
    row.community, row.street, row.topic = record.community, record.street, record.topic
    row.title = record_title(record, titles, adapter.topic_titles)
    row.sources = [key for key in record.learned_from if key in public]  # a draft's key stays out of sight
    row.topics = record_topics(record, topics_of)
    row.status, row.sample = record.status, record.sample
    row.body, row.body_html, row.excerpt = record.body, body_html, excerpt(plain_text(body_html))
    return row
