"""The public forms' shared abuse limits (casebook/participation/limits.py) on a real database:
rolling windows per form and source, a refusal saying how long to wait, old posts forgotten after a
day, sources that are keyed hashes (never the address), and the honeypot."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from casebook.db import db
from casebook.participation import limits
from casebook.participation.models import PublicPost

RULES = (limits.Rule(limits.HOUR, 3), limits.Rule(limits.DAY, 5))
T0 = 1_800_000_000.0


def _post(form: str, source: str, at: float) -> limits.Refusal | None:
    refusal = limits.refused(db.session, form, source, RULES, at)
    if refusal is None:
        limits.record(db.session, form, source, at)
        db.session.commit()
    return refusal


def test_posts_are_limited_per_hour_and_per_day_per_form_and_source(app: Flask) -> None:
    with app.app_context():
        assert [_post("proposal", "a", T0 + i) for i in range(3)] == [None, None, None]
        refusal = _post("proposal", "a", T0 + 10)
        assert refusal is not None and refusal.window == limits.HOUR
        assert refusal.retry_after == 3600 - 10  # the first of the three ages out
        assert "分钟后再试" in refusal.message and "没有丢失" in refusal.message
        # another source and another form are counted apart
        assert _post("proposal", "b", T0 + 10) is None
        assert _post("rating", "a", T0 + 10) is None
        # an hour later the hourly rule frees two more, then the daily rule holds
        assert _post("proposal", "a", T0 + 3601) is None
        assert _post("proposal", "a", T0 + 3602) is None
        daily = _post("proposal", "a", T0 + 7300)
        assert daily is not None and daily.window == limits.DAY
        assert daily.retry_after == int(limits.DAY - 7300)
        assert "小时后再试" in daily.message
        # a day after the first post one is free again
        assert _post("proposal", "a", T0 + limits.DAY + 1) is None


def test_rows_older_than_a_day_are_deleted_as_new_ones_arrive(app: Flask) -> None:
    with app.app_context():
        for i in range(4):
            _post("rating", f"s{i}", T0 + i)
        _post("rating", "late", T0 + limits.DAY + 10)
        kept = db.session.scalars(select(PublicPost.source)).all()
        assert kept == ["late"]
        assert db.session.scalar(select(func.count()).select_from(PublicPost)) == 1


def test_the_source_is_a_keyed_hash_of_the_address() -> None:
    one = limits.address_key("secret-one", "198.51.100.7")
    assert len(one) == 64 and "198" not in one
    assert one == limits.address_key(b"secret-one", "198.51.100.7")
    assert one != limits.address_key("secret-two", "198.51.100.7")
    assert one != limits.address_key("secret-one", "198.51.100.8")


def test_honeypot_and_size_limits() -> None:
    assert limits.is_robot({limits.HONEYPOT: "http://spam.example"})
    assert not limits.is_robot({limits.HONEYPOT: "  "}) and not limits.is_robot({})
    assert limits.too_long({"title": "长" * 41, "body": "短"}, {"title": 40, "body": 10}) == ["title"]
