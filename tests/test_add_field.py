"""Adding a field to entries touches the schema line, the template that shows it, and tests.

In a copy of the repository (``git ls-files``) this adds one declared field — a line in
``content/schema.py``, a line in the entry template and a row in the content guide — and nothing
else: no model, migration, validator, form, API or index code. Then the copy's own round-trip test
(which walks every declared field file → catalog → API → index → form → file) and a page check
run there (about ten seconds: part of the default suite).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from .test_real_entry_slow import REPO, _repository_files

FIELD = '    Field("funding", "资金来源", "line", index="meta", hint="如：社区微实事资金"),\n'
TEMPLATE_LINE = (
    "      {% if entry.value('funding') %}<dt>资金来源</dt><dd>{{ entry.value('funding') }}</dd>{% endif %}\n"
)
GUIDE_ROW = "| `funding` | all | | where the money came from |\n"
PAGE_TEST = """
from pathlib import Path

from flask.testing import FlaskClient


def test_the_new_field_reaches_the_page(client: FlaskClient, content_dir: Path, write_entry, resync) -> None:
    write_entry("case", "with-funding", funding="街道党建经费", scope="local")
    resync()
    page = client.get("/cases/with-funding").get_data(as_text=True)
    assert "<dt>资金来源</dt><dd>街道党建经费</dd>" in page
    entry = client.get("/api/entries/case/with-funding").get_json()
    assert entry["funding"] == "街道党建经费"
    found = client.get("/api/search", query_string={"q": "党建经费"}).get_json()
    assert [hit["slug"] for hit in found["results"]] == ["with-funding"]
"""


def _insert_after(path: Path, marker: str, text: str) -> None:
    source = path.read_text("utf-8")
    assert marker in source, f"{marker!r} not in {path}"
    path.write_text(source.replace(marker, marker + text, 1), "utf-8")


def test_a_new_entry_field_needs_its_schema_line_a_template_line_and_a_test(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in _repository_files():
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    # a district's existing library already has the key (unknown until declared), synced before the change
    library, data = tmp_path / "library", tmp_path / "data"
    shutil.copytree(REPO / "tests" / "democontent", library)
    existing = sorted((library / "cases").glob("*.md"))[0]
    text = existing.read_text("utf-8")
    existing.write_text(text.replace("\n---\n", "\nfunding: 区级微实事资金\n---\n", 1), "utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "CASEBOOK_CONTENT_DIR": str(library), "CASEBOOK_DATA_DIR": str(data)}
    cli = [sys.executable, "-c", "from casebook.cli import main; main()"]
    synced = subprocess.run([*cli, "sync"], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    before = subprocess.run([*cli, "check", str(library)], cwd=copy, env=env, capture_output=True, text=True)
    assert "funding" in before.stdout + before.stderr, before.stdout + before.stderr  # 未知字段, so far

    _insert_after(copy / "casebook" / "content" / "schema.py", "ENTRY_FIELDS: tuple[Field, ...] = (\n", FIELD)
    _insert_after(copy / "templates" / "public" / "_article.html", '<dl class="facts">\n', TEMPLATE_LINE)
    _insert_after(copy / "docs" / "content.md", "|---|---|---|---|\n", GUIDE_ROW)
    (copy / "tests" / "test_new_field_page.py").write_text(textwrap.dedent(PAGE_TEST), "utf-8")

    # the next sync (as serve runs at start-up) reads every file again: the unchanged file now has the field
    after = subprocess.run([*cli, "sync"], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert after.returncode == 0 and "未变 0" in after.stdout, after.stdout + after.stderr  # nothing skipped
    checked = subprocess.run([*cli, "check", str(library)], cwd=copy, env=env, capture_output=True, text=True)
    assert "funding" not in checked.stdout + checked.stderr, checked.stdout + checked.stderr
    probe = (
        "from casebook import create_app\n"
        f"page = create_app().test_client().get('/cases/{existing.stem}').get_data(as_text=True)\n"
        "print('<dt>资金来源</dt><dd>区级微实事资金</dd>' in page)\n"
    )
    shown = subprocess.run([sys.executable, "-c", probe], cwd=copy, env=env, capture_output=True, text=True)
    assert shown.stdout.strip().endswith("True"), shown.stdout + shown.stderr

    env = {**os.environ, "PYTHONPATH": str(copy)}
    tests = ["tests/test_schema_roundtrip.py", "tests/test_new_field_page.py", "tests/test_migrations.py"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    code = [name for name in _repository_files() if name.startswith("casebook/") and (REPO / name).is_file()]
    changed = [name for name in code if (REPO / name).read_bytes() != (copy / name).read_bytes()]
    assert changed == ["casebook/content/schema.py"]  # no model, migration, validator, form, API or index code
