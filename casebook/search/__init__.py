"""Chinese full-text search on Whoosh: exact substring matching, ranked, with facets."""

from .index import IndexBusy, IndexMissing, SearchIndex
from .query import FACETS, Hit, SearchResult, search
from .schema import IndexDoc
from .text import ParsedQuery, Term, fold, highlight, parse_query, term_query
from .topics import matching_topics

__all__ = [
    "FACETS",
    "Hit",
    "IndexBusy",
    "IndexDoc",
    "IndexMissing",
    "ParsedQuery",
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
