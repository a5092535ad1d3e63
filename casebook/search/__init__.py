"""Chinese full-text search — exact substring matching, ranked, with facets — on a Whoosh index in the
data folder or in PostgreSQL (``pg.py``), both answered by ``query.search``."""

from .index import IndexBusy, IndexMissing, SearchIndex
from .pg import PgSearchIndex
from .query import FACETS, Hit, SearchResult, search
from .schema import IndexDoc
from .text import ParsedQuery, Term, fold, highlight, parse_query, term_query
from .topics import matching_topics

AnyIndex = SearchIndex | PgSearchIndex
"""The search index of either backend: Whoosh files (default) or PostgreSQL (``CASEBOOK_SEARCH=postgres``)."""

__all__ = [
    "FACETS",
    "AnyIndex",
    "Hit",
    "IndexBusy",
    "IndexDoc",
    "IndexMissing",
    "ParsedQuery",
    "PgSearchIndex",
    "SearchIndex",
    "SearchResult",
    "Term",
    "fold",
    "highlight",
    "matching_topics",
    "parse_query",
    "search",
    "term_query",
]
