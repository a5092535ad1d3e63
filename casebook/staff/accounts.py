"""Staff accounts: roles, argon2id password hashes, the login check (throttled and audited by
``throttle``), and the server-side login sessions a browser cookie points at."""

from __future__ import annotations

import datetime as dt
import secrets
import time
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..db import DbSession
from . import passwords, throttle
from .models import StaffSession, User, audit, utcnow

ROLES: tuple[str, ...] = ("editor", "reviewer", "admin")
ROLE_NAMES = {"editor": "编辑", "reviewer": "审核", "admin": "管理员"}
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
SESSION_LIFETIME = dt.timedelta(hours=12)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("casebook: a password nobody has")


class AccountError(ValueError):
    """A refused account change, with a message for the user."""


def name_key(name: str) -> str:
    """The form of a user name used for lookups and the throttle: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", name).strip().casefold()[:100]


def can(role: str, needed: str) -> bool:
    """Whether ``role`` includes ``needed``: admin ⊇ reviewer ⊇ editor."""
    return role in ROLES and needed in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_password(password: str, name: str = "") -> None:
    """Refuse a password that is too short or long, common, or weak (``passwords``; ``name`` is the account's)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"密码不能超过 {MAX_PASSWORD} 个字符")
    problem = passwords.problem(password, [name] if name else [])
    if problem is not None:
        raise AccountError(problem)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"未知角色“{role}”，应为 {' | '.join(ROLES)}")


def find(session: DbSession, name: str) -> User | None:
    return session.scalar(select(User).where(User.name_key == name_key(name)))


def add_user(session: DbSession, name: str, role: str, password: str) -> User:
    clean = unicodedata.normalize("NFKC", name).strip()
    if not clean or len(clean) > 100 or any(c.isspace() for c in clean):
        raise AccountError("用户名不能为空、不能含空格，且不超过 100 个字符")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in clean):  # controls and bidi marks (U+202E…)
        raise AccountError("用户名不能含控制字符或文字方向符号")
    _check_role(role)
    check_password(password, clean)
    if find(session, clean) is not None:
        raise AccountError(f"用户“{clean}”已存在")
    user = User(name=clean, name_key=name_key(clean), role=role, password_hash=_hasher.hash(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same name added at the same moment by someone else
        session.rollback()
        raise AccountError(f"用户“{clean}”已存在") from None
    return user


def get(session: DbSession, name: str) -> User:
    user = find(session, name)
    if user is None:
        raise AccountError(f"没有用户“{name}”")
    return user


def set_password(session: DbSession, name: str, password: str) -> User:
    user = get(session, name)
    check_password(password, user.name)
    user.password_hash = _hasher.hash(password)
    user.session_version += 1
    return user


def set_role(session: DbSession, name: str, role: str) -> User:
    _check_role(role)
    user = get(session, name)
    user.role = role
    return user


def set_active(session: DbSession, name: str, active: bool) -> User:
    user = get(session, name)
    user.active = active
    if not active:
        user.session_version += 1
        session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return user


def session_user(session: DbSession, uid: int, sid: object) -> User | None:
    """The account of a browser session, when both the account and its server-side session exist."""
    user = session.get(User, uid)
    known = isinstance(sid, str) and session.get(StaffSession, sid) is not None
    return user if known else None


def open_session(session: DbSession, user: User) -> str:
    """Record a new server-side session for ``user`` (dropping expired ones); returns its id. Flushes, never commits."""
    sid = secrets.token_urlsafe(32)
    session.add(StaffSession(id=sid, user_id=user.id))
    session.execute(delete(StaffSession).where(StaffSession.created_at < utcnow() - SESSION_LIFETIME))
    return sid


def close_session(session: DbSession, sid: str) -> None:
    """End one server-side session (a logout)."""
    session.execute(delete(StaffSession).where(StaffSession.id == sid))


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    refusal: throttle.Refusal | None = None
    """Set when the attempt was refused by the throttle (name locked, or too many failures from the address)."""


def login(session: DbSession, name: str, password: str, address: str = "", now: float | None = None) -> LoginResult:
    """Check a login from ``address`` and audit it; the caller commits. Throttled before the password
    is looked at (see ``throttle``): by name, and by address over all names.

    A wrong password, an unknown name and a disabled account give the same (empty) result, and
    cost the same argon2 verification.
    """
    now = time.time() if now is None else now
    key = name_key(name) or "<empty>"
    refusal = throttle.refused(session, key, address, now)
    if refusal is not None:
        throttle.audit_refused(session, name, address, refusal, now)
        return LoginResult(refusal=refusal)
    user = session.scalar(select(User).where(User.name_key == key))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    ok: bool
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.active:
        throttle.failed(session, key, address, now)
        throttle.audit_failed(session, name, address, now)
        return LoginResult()
    throttle.succeeded(session, key, address, now)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login = utcnow()
    audit(session, user.name, "login", detail=throttle.source(address))
    return LoginResult(user=user)
