"""Content files: the source of truth. Parsing, validation and atomic writes; no Flask here."""

from .files import (
    SECTION_HINTS,
    Library,
    entry_path,
    iter_entry_files,
    list_media,
    load,
    load_places,
    load_rules,
    parse_file,
    parse_text,
    replacing,
    serialize,
    skeleton,
    write_atomic,
)
from .glossary import Glossary, load_glossary
from .model import (
    KIND_DIRS,
    KINDS,
    LOOP_PARTS,
    SCOPES,
    SLUG_RE,
    STATUSES,
    Entry,
    Problem,
    Rules,
    Topic,
    loop_part,
)
from .schema import ENTRY_FIELDS, KIND_LABELS
from .slugs import slugify
from .validate import FIELDS, validate_entry
from .writes import sweep_leftovers

__all__ = [
    "ENTRY_FIELDS",
    "FIELDS",
    "KINDS",
    "KIND_DIRS",
    "KIND_LABELS",
    "LOOP_PARTS",
    "SCOPES",
    "SECTION_HINTS",
    "SLUG_RE",
    "STATUSES",
    "Entry",
    "Glossary",
    "Library",
    "Problem",
    "Rules",
    "Topic",
    "entry_path",
    "iter_entry_files",
    "list_media",
    "load",
    "load_glossary",
    "load_places",
    "load_rules",
    "loop_part",
    "parse_file",
    "parse_text",
    "replacing",
    "serialize",
    "skeleton",
    "slugify",
    "sweep_leftovers",
    "validate_entry",
    "write_atomic",
]
