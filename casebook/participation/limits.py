"""Abuse limits shared by the public forms: per-address rolling windows, a honeypot, size limits.

A public form (a resident's proposal, a rating) asks ``refused`` before it saves and calls
``record`` in the same transaction as the save. Posts are counted per form and per client source —
an HMAC of the address under the site's secret key, so the table never holds an address and the
count cannot be joined with anything else. Rows older than the longest window are deleted as new
ones arrive (``KEEP``): the limits remember nothing for longer than a day.

Community offices and mobile carriers put many people behind one address, so the limits are loose
enough for a meeting where everyone posts (see each form's rules) and are meant to stop floods, not
to count people. Nothing here imports Flask: the caller passes the address, the key and the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select

from ..db import DbSession
from .models import PublicPost

HONEYPOT = "website"
"""A text input hidden from people (off-screen, ``aria-hidden``, ``tabindex=-1``, ``autocomplete=off``)
that form-filling robots fill in. A post with it filled is dropped as if accepted."""
HOUR = 3600.0
DAY = 86400.0
KEEP = DAY
"""No window is longer than this: older rows are deleted."""


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` posts of one form from one source within ``window`` seconds."""

    window: float
    limit: int


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    """Seconds until a post from this source would be accepted again."""
    window: float
    """The window of the rule that refused (``HOUR``, ``DAY`` …), to word the message."""

    @property
    def message(self) -> str:
        """The Chinese sentence shown above the kept form."""
        if self.retry_after <= 90:
            wait = "1 分钟"
        elif self.retry_after < 2 * HOUR:
            wait = f"{math.ceil(self.retry_after / 60)} 分钟"
        else:
            wait = f"{math.ceil(self.retry_after / HOUR)} 小时"
        return (
            f"这个网络地址提交得太频繁了，请 {wait}后再试。您填写的内容都在下面，没有丢失。"
            "同一网络（例如同一间办公室）的人共用这个限制。"
        )


def address_key(secret: str | bytes, address: str) -> str:
    """The source of a post: HMAC-SHA256 of the address under ``secret``, hex, 64 characters."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"public-post\n{address}".encode(), hashlib.sha256).hexdigest()


def refused(session: DbSession, form: str, source: str, rules: Sequence[Rule], now: float) -> Refusal | None:
    """The first rule this source has used up for ``form``, as a refusal; None when a post may go in."""
    if not rules:
        return None
    longest = max(rule.window for rule in rules)
    times = sorted(
        session.scalars(
            select(PublicPost.at).where(
                PublicPost.form == form, PublicPost.source == source, PublicPost.at > now - longest
            )
        )
    )
    worst: Refusal | None = None
    for rule in rules:
        recent = [at for at in times if at > now - rule.window]
        if len(recent) >= rule.limit:
            # free again when all but limit - 1 of them have aged out
            wait = max(1, math.ceil(recent[len(recent) - rule.limit] + rule.window - now))
            if worst is None or wait > worst.retry_after:
                worst = Refusal(wait, rule.window)
    return worst


def record(session: DbSession, form: str, source: str, now: float) -> None:
    """Count an accepted post and forget posts older than ``KEEP`` (the caller commits)."""
    session.execute(delete(PublicPost).where(PublicPost.at < now - KEEP))
    session.add(PublicPost(form=form, source=source, at=now))


def is_robot(form: Mapping[str, str]) -> bool:
    """True when the honeypot field came back filled."""
    return bool(form.get(HONEYPOT, "").strip())


def too_long(values: Mapping[str, str], limits: Mapping[str, int]) -> list[str]:
    """The names of fields longer than their limit (in characters, after stripping)."""
    return [name for name, limit in limits.items() if len(values.get(name, "").strip()) > limit]
