"""The login throttle: failed logins counted per name and per client address, shared by every
server process through the database, and the audit of each failed or refused attempt.

Only failures are recorded (``login_attempt``: name, address, time); a success does not count and
starts the name's count afresh. A name with ``NAME_LIMIT`` failures within ``NAME_WINDOW`` from one
address is locked *at that address* for ``LOCKOUT``: the next attempt from there is refused and
starts the lock; the account's owner elsewhere still logs in, so a guesser cannot keep an account
(the only admin) locked by guessing again whenever a lock ends. Attempts while a lock holds are
refused without being recorded, so they neither extend it nor count toward the next one. A name
with ``NAME_TOTAL_LIMIT`` failures within ``NAME_TOTAL_WINDOW`` from all addresses together is
locked everywhere (guessing spread over many addresses).

An address with ``ADDRESS_LIMIT`` failures within ``ADDRESS_WINDOW``, over all names, is refused
until the oldest of them is older than the window. Community offices share one NAT address, so the
address limit is never the stricter one: it allows six names' worth of failures (an office where
everyone mistypes is still stopped per name first), and only failures count.

No Flask: the caller passes the address (``request.remote_addr``) and commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text

from ..db import DbSession
from ..turns import advisory_number
from .models import AuditEvent, LoginAttempt, LoginLock

NAME_WINDOW = 60.0
"""Failures of a name from one address are counted over this many seconds …"""
NAME_LIMIT = 5
"""… and the attempt after this many within the window is refused …"""
LOCKOUT = 300.0
"""… as is every attempt for this name from that address for this many seconds after it."""
NAME_TOTAL_WINDOW = 900.0
"""Failures of a name from all addresses are counted over 15 minutes …"""
NAME_TOTAL_LIMIT = 30
"""… and from this many on, the name is locked for everyone for ``LOCKOUT`` (guessing spread over
many addresses)."""
ADDRESS_WINDOW = 900.0
"""Failures from one address are counted over 15 minutes …"""
ADDRESS_LIMIT = 30
"""… and from this many on, every attempt from it is refused until the oldest ages out."""
KEEP = max(NAME_WINDOW + LOCKOUT, NAME_TOTAL_WINDOW, ADDRESS_WINDOW)
AUDIT_MERGE = dt.timedelta(minutes=1)
"""Refused attempts from one address within this time are one audit event, counted (``times``)."""
MANY_NAMES = "（多个用户名）"


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    """Seconds until an attempt may be made again."""
    by: str
    """``name`` (the name is locked) or ``address`` (too many failures from the address)."""


def refused(session: DbSession, key: str, address: str, now: float) -> Refusal | None:
    """Whether an attempt for name ``key`` from ``address`` is refused now (check before the password).

    Attempts are serialized from here to the caller's commit, so two processes cannot both slip
    under a limit: on SQLite the first statement writes, taking the database's write lock; on
    PostgreSQL (several servers, one database) transaction-scoped advisory locks on the name and on
    the address make every attempt for the same name or from the same address wait for the one
    before it to commit.
    """
    _take_turns(session, key, address)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    session.execute(delete(LoginLock).where(LoginLock.until < now - KEEP))  # counts nothing any more
    for lock_key, window, limit, from_address in (
        (_pair(key, address), NAME_WINDOW, NAME_LIMIT, True),  # this name from this address
        (key, NAME_TOTAL_WINDOW, NAME_TOTAL_LIMIT, False),  # this name from everywhere
    ):
        lock = session.get(LoginLock, lock_key)
        if lock is not None and lock.until > now:
            return Refusal(_seconds(lock.until - now), "name")
        counted = select(func.count()).select_from(LoginAttempt)
        counted = counted.where(LoginAttempt.name_key == key, LoginAttempt.at > now - window)
        if from_address:
            counted = counted.where(LoginAttempt.address == address)
        if lock is not None:  # the end of the last lock, or the last success: nothing before it counts
            counted = counted.where(LoginAttempt.at >= lock.until)
        if (session.scalar(counted) or 0) >= limit:
            if lock is None:
                session.add(LoginLock(name_key=lock_key, until=now + LOCKOUT))
            else:
                lock.until = now + LOCKOUT
            return Refusal(_seconds(LOCKOUT), "name")
    recent = list(
        session.scalars(
            select(LoginAttempt.at)
            .where(LoginAttempt.address == address, LoginAttempt.at > now - ADDRESS_WINDOW)
            .order_by(LoginAttempt.at)
        )
    )
    if len(recent) >= ADDRESS_LIMIT:  # allowed again when all but ADDRESS_LIMIT - 1 have aged out
        return Refusal(_seconds(recent[len(recent) - ADDRESS_LIMIT] + ADDRESS_WINDOW - now), "address")
    return None


def _take_turns(session: DbSession, key: str, address: str) -> None:
    """PostgreSQL: hold ``pg_advisory_xact_lock`` for the name and for the address until commit.
    Taken in one order (by number), so two attempts never wait for each other in a circle."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for number in sorted(
        {advisory_number("casebook-login", "name", key), advisory_number("casebook-login", "address", address)}
    ):
        session.execute(text("SELECT pg_advisory_xact_lock(:number)"), {"number": number})


def failed(session: DbSession, key: str, address: str, now: float) -> None:
    """Count a failed attempt (wrong password, unknown name, disabled account)."""
    session.add(LoginAttempt(name_key=key, address=address, at=now))


def succeeded(session: DbSession, key: str, address: str, now: float) -> None:
    """A successful login: the name's failures so far no longer count, from this address or at all."""
    for lock_key in (key, _pair(key, address)):
        lock = session.get(LoginLock, lock_key)
        if lock is None:
            session.add(LoginLock(name_key=lock_key, until=now))
        elif lock.until < now:
            lock.until = now


def _pair(key: str, address: str) -> str:
    """The lock row of a name at one address (a digest: the column holds a name's length)."""
    return "@" + hashlib.sha256(f"{key}\n{address}".encode()).hexdigest()[:40]


def audit_failed(session: DbSession, name: str, address: str, now: float) -> None:
    """One audit event per failed attempt (at most ``ADDRESS_LIMIT`` per address and window)."""
    session.add(AuditEvent(at=_utc(now), user=_shown(name), action="login-failed", detail=source(address)))


def audit_refused(session: DbSession, name: str, address: str, refusal: Refusal, now: float) -> None:
    """Audit a refused attempt. Refusals are cheap to ask for (no password check), so those from one
    address within a minute — for one locked name, or for any name when the address is refused — are
    one event whose ``times`` counts them."""
    why = "该用户名已锁定" if refusal.by == "name" else "该地址失败次数过多"
    detail, user = f"{source(address)}；{why}", _shown(name)
    query = (
        select(AuditEvent)
        .where(AuditEvent.action == "login-throttled", AuditEvent.detail == detail)
        .where(AuditEvent.at >= _utc(now) - AUDIT_MERGE)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if refusal.by == "name":
        query = query.where(AuditEvent.user == user)
    event = session.scalar(query)
    if event is None:
        session.add(AuditEvent(at=_utc(now), user=user, action="login-throttled", detail=detail))
        return
    event.times += 1
    if event.user != user:
        event.user = MANY_NAMES


def source(address: str) -> str:
    """How an address is shown in the audit log."""
    return f"来源地址 {address or '未知'}"


def _shown(name: str) -> str:
    return name.strip()[:100] or "（空）"


def _utc(now: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(now, dt.UTC).replace(tzinfo=None)


def _seconds(delta: float) -> int:
    return max(1, math.ceil(delta))
