"""The pure layer stays pure: importing it loads no web framework, database or search engine.

Each import runs in a fresh interpreter, so nothing another test imported can hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("flask", "flask_sqlalchemy", "sqlalchemy", "whoosh", "werkzeug")
PURE = (
    "casebook.content",
    "casebook.render",
    "casebook.convert",
    "casebook.video",
    "casebook.wordout",
    "casebook.wechat",
    "casebook.csp",
    "casebook.media",
    "casebook.pdf",
    "casebook.participation.similarity",
)


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_loads_no_flask_database_or_whoosh(module: str) -> None:
    probe = f"import sys, json, {module}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True).stdout)
    assert loaded == [], f"importing {module} loads {loaded}"


def test_the_factory_is_still_at_the_package_root() -> None:
    probe = (
        "import sys, casebook; assert 'flask' not in sys.modules; "
        "factory = casebook.create_app; print('flask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "True"  # loaded on first use, not before
