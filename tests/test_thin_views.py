"""Views stay thin: no view module builds or runs a SQL query itself; services do (issue 12, item 7).

Every module in ``casebook/views/`` is parsed (not imported) and searched for ``select(...)``
(bare, ``db.select``, ``sa.select``), for ``execute``/``scalars``/``scalar``/``query``/``get`` on
``db.session`` or on a name bound to it, and for importing ``select`` from SQLAlchemy. Writes and
transaction control (``add``, ``commit``, ``rollback``) stay allowed: the caller commits once.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWS = Path(__file__).resolve().parent.parent / "casebook" / "views"
STAFF = VIEWS.parent / "staff"
QUERY_METHODS = {"execute", "scalars", "scalar", "query", "get"}
SELECT_OWNERS = {"db", "sa", "sqlalchemy"}
MAX_LINES = 400

ALLOWED_FOR_NOW: set[str] = set()
"""View modules excused from the check (none: every view's queries live in a service)."""


def _is_db_session(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "session"
        and isinstance(node.value, ast.Name)
        and node.value.id == "db"
    )


def query_calls(source: str, filename: str = "<view>") -> list[str]:
    """Where ``source`` builds or runs a query itself, as ``line: what`` strings in line order."""
    tree = ast.parse(source, filename)
    aliases = {  # session = db.session
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_db_session(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found += [f"{node.lineno}: imports select from {node.module}" for a in node.names if a.name == "select"]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "select":
            found.append(f"{node.lineno}: select(...)")
        elif isinstance(func, ast.Attribute):
            owner = func.value
            if func.attr == "select" and isinstance(owner, ast.Name) and owner.id in SELECT_OWNERS:
                found.append(f"{node.lineno}: {owner.id}.select(...)")
            elif func.attr in QUERY_METHODS and _is_db_session(owner):
                found.append(f"{node.lineno}: db.session.{func.attr}(...)")
            elif func.attr in QUERY_METHODS and isinstance(owner, ast.Name) and owner.id in aliases:
                found.append(f"{node.lineno}: {owner.id}.{func.attr}(...) ({owner.id} is db.session)")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def _view_modules() -> list[Path]:
    return sorted(path for path in VIEWS.glob("*.py") if path.name not in ALLOWED_FOR_NOW)


@pytest.mark.parametrize("path", _view_modules(), ids=lambda path: path.name)
def test_a_view_module_runs_no_query_of_its_own(path: Path) -> None:
    found = query_calls(path.read_text(encoding="utf-8"), str(path))
    assert found == [], f"{path.name} queries the database itself (move it to a service):\n" + "\n".join(found)


def test_every_view_module_is_checked_or_named_in_the_allowlist() -> None:
    names = {path.name for path in VIEWS.glob("*.py")}
    assert names >= ALLOWED_FOR_NOW  # a stale allowlist entry would hide nothing but should go
    checked = {path.name for path in _view_modules()}
    assert checked >= {"staff.py", "staff_review.py", "staff_settings.py", "auth.py", "api.py", "meta.py"}


def test_the_check_finds_each_kind_of_inline_query() -> None:
    source = """
from sqlalchemy import func, select
from ..db import db

def view():
    a = db.session.scalars(select(Row))
    b = db.session.get(Row, 1)
    c = db.session.execute(db.select(Row.id))
    d = db.session.scalar(x)
    e = db.session.query(Row)
    session = db.session
    f = session.scalars(y)
    db.session.add(a)
    db.session.commit()
    g = request.args.get("page")
"""
    found = query_calls(source)
    assert [line.split(":")[0] for line in found] == ["2", "6", "6", "7", "8", "8", "9", "10", "12"]
    assert "2: imports select from sqlalchemy" in found
    assert "12: session.scalars(...) (session is db.session)" in found


def test_a_thin_view_passes_the_check() -> None:
    source = """
from ..db import db
from ..staff import queries

def view():
    users = queries.users(db.session)
    db.session.commit()
    return request.args.get("x"), {}.get("y")
"""
    assert query_calls(source) == []


@pytest.mark.parametrize("folder", [VIEWS, STAFF], ids=["views", "staff"])
def test_view_and_staff_service_modules_stay_readable(folder: Path) -> None:
    long = {
        path.name: count
        for path in folder.glob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"
