"""The settings files staff edit as tables: the search glossary and the streets/communities.

Rows of a file, the file text of rows (keeping its comment block), and which names a new places
file drops while entries still use them. No Flask; the views write the file under the content lock.
"""

from __future__ import annotations

from pathlib import Path

from .. import content
from ..content.glossary import dump_glossary, glossary_rows, parse_glossary_rows, read_glossary
from ..content.places import dump_places, parse_places_rows, places_rows, read_places
from ..db import DbSession
from . import queries

Rows = list[tuple[str, str]]
PLACE_WORDS = {"street": "街道", "community": "社区"}


def read_rows(name: str, text: str, path: Path) -> tuple[Rows, list[content.Problem]]:
    """The form rows of a settings file's text (``name``: glossary or places), and the file's problems."""
    if name == "glossary":
        glossary, problems = read_glossary(text, path)
        return glossary_rows(glossary), problems
    places, problems = read_places(text, path)
    return places_rows(places), problems


def render_rows(name: str, rows: Rows, header: str) -> tuple[str, dict[int, list[str]]]:
    """The file text the rows describe (with the file's comment block), or problems by row."""
    if name == "glossary":
        glossary, errors = parse_glossary_rows(rows)
        return dump_glossary(glossary, header), errors
    places, errors = parse_places_rows(rows)
    return dump_places(places, header), errors


def removed_in_use(session: DbSession, path: Path, old: str, new: str) -> list[str]:
    """Streets or communities the new places file drops while entries still name them, as staff read them."""
    before, after = read_places(old, path)[0], read_places(new, path)[0]
    gone_streets = set(before) - set(after)
    gone_communities = {c for cs in before.values() for c in cs} - {c for cs in after.values() for c in cs}
    usage = queries.place_usage(session, gone_streets, gone_communities)
    return sorted(f"{PLACE_WORDS[what]}“{value}”：{count} 篇条目" for what, value, count in usage)
