"""Search as the pages use it: filters from request arguments, glossary, misses, suggestions."""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Update, delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .content.glossary import Glossary
from .db import DbSession
from .models import SearchMiss
from .search import FACETS, AnyIndex, SearchResult, fold, search

logger = logging.getLogger(__name__)
MAX_PER_PAGE = 100
MISS_DAYS = 180
"""Days of zero-result searches kept."""
MISS_QUERIES_PER_DAY = 1000
"""Distinct zero-result queries counted per day: beyond this a day's new queries are not recorded."""


@dataclass(frozen=True)
class MissTotal:
    """One query's zero-result searches over the kept days."""

    query: str
    count: int
    last_day: dt.date


def bounded_int(value: str | None, default: int, low: int, high: int) -> int:
    """A number from a request argument, clamped to [low, high]; junk gives the default."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return max(low, min(high, number))


def run(index: AnyIndex, args: Mapping[str, str], glossary: Glossary, any_words: bool = False) -> SearchResult:
    """Search with the request's ``q``, filters, ``page`` and ``per_page`` (all forgiving), the
    glossary's synonyms (``stored_files.glossary``); ``any_words``: entries holding some of the
    words, most first (see ``search.query``)."""
    filters = {name: args.get(name, "").strip()[:100] for name in FACETS if args.get(name, "").strip()}
    page = bounded_int(args.get("page"), 1, 1, 10_000)
    per_page = bounded_int(args.get("per_page"), 20, 1, MAX_PER_PAGE)
    return search(index, args.get("q", ""), filters, page, per_page, glossary, any_words=any_words)


def fallback(index: AnyIndex, result: SearchResult, args: Mapping[str, str], glossary: Glossary) -> SearchResult | None:
    """When several words together found nothing: the entries holding some of them, with each
    word's count (``None`` when the exact answer is not empty or has fewer than two words)."""
    if result.total or len(result.query.positive) < 2:
        return None
    return run(index, args, glossary, any_words=True)


def suggestions(index: AnyIndex, result: SearchResult, glossary: Glossary) -> list[str]:
    """Glossary terms close to a query that found nothing, and that do find something."""
    text = " ".join(t.text for t in result.query.positive)
    if not text:
        return []
    folded = {fold(w): w for w in glossary.words}
    close = difflib.get_close_matches(text, list(folded), n=5, cutoff=0.4)
    close += [f for f in folded if len(text) >= 2 and (text in f or f in text) and f != text]
    found: list[str] = []
    for candidate in dict.fromkeys(close):
        if search(index, candidate, per_page=1, glossary=glossary).total:
            found.append(folded[candidate])
        if len(found) == 3:
            break
    return found


def record_miss(session: DbSession, query: str, zone: str = "Asia/Shanghai") -> None:
    """Count a query that found nothing under today's date in ``zone``; a failure is logged, never shown.

    The first miss of a query on a day adds a row; at most ``MISS_QUERIES_PER_DAY`` queries get a
    row per day (later ones are not counted), and rows older than ``MISS_DAYS`` go when a day's
    first row is added.
    """
    query = query.strip()[:200]
    if not query:
        return
    today = dt.datetime.now(ZoneInfo(zone)).date()
    try:
        bump = (
            update(SearchMiss)
            .where(SearchMiss.day == today, SearchMiss.query == query)
            .values(count=SearchMiss.count + 1)
        )
        if session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
            _add_miss(session, bump, today, query)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logger.exception("could not record a search miss")


def _add_miss(session: DbSession, bump: Update, today: dt.date, query: str) -> None:
    rows_today = session.scalar(select(func.count()).select_from(SearchMiss).where(SearchMiss.day == today)) or 0
    if rows_today >= MISS_QUERIES_PER_DAY:
        return
    if rows_today == 0:
        session.execute(delete(SearchMiss).where(SearchMiss.day < today - dt.timedelta(days=MISS_DAYS)))
    try:
        with session.begin_nested():
            session.add(SearchMiss(day=today, query=query, count=1))
    except IntegrityError:  # another process inserted it first
        session.execute(bump)


def top_misses(session: DbSession, limit: int) -> list[MissTotal]:
    """The queries that found nothing most often over the kept days, with the last day each was seen."""
    total = func.sum(SearchMiss.count).label("total")
    rows = session.execute(
        select(SearchMiss.query, total, func.max(SearchMiss.day))
        .group_by(SearchMiss.query)
        .order_by(total.desc(), SearchMiss.query)
        .limit(limit)
    )
    return [MissTotal(query, int(count), last) for query, count, last in rows]
