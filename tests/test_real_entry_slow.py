"""A district's first real entry keeps the whole suite green.

Copies the repository's files (``git ls-files``) to a temporary folder, adds one entry that is not
sample content to its ``content/``, and runs the rest of the suite there — browser tests included,
since they too must not depend on what ``content/`` holds. Marked ``slow``: the default ``pytest``
leaves it out; run it with ``pytest -m slow`` (``.ci/run`` does, as its own step).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from casebook.cli import main

from .browserkit import CHROMIUM

REPO = Path(__file__).resolve().parent.parent
SLUG = "zhenshi-diyi-pian"
REAL_ENTRY = """\
---
title: 本社区第一篇真实案例：楼道里的共享工具箱
topic: {topic}
date: 2024-05-20
summary: 居民把家里闲置的工具集中到楼道的工具箱里，登记借还，小修小补不再求人。
tags: [居民自治]
scope: local
sample: false
---
## 背景

楼里住户换灯泡、修水龙头都要临时去买工具，用一次就闲置了。

## 做法

楼栋长在一楼放了一个带锁的工具箱，居民把闲置工具捐进来，借用时在本子上登记，用完放回。

## 成效

工具箱开放三个月，登记借用六十多次，还有两位退休电工每周六上午在箱子旁边帮邻居做小修理。
"""


def _repository_files() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the slow test copies the repository with git ls-files: CI runs it in a clone")
        pytest.skip("not a git checkout (the copy is made with git ls-files)")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return sorted({name for name in listed.split("\0") if name})


@pytest.mark.slow
def test_suite_passes_with_a_real_entry_in_content(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in _repository_files():
        source = REPO / name
        if source.is_file():  # a file deleted but not yet committed is not copied
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)

    # npm's packages (node_modules/, ignored by git: `npm ci` installs axe-core for test_a11y_browser.py)
    if (REPO / "node_modules").is_dir():
        (copy / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    # the copy is a git checkout too (files staged, nothing committed): tests that copy the repository
    # again (test_add_field.py) list its files the same way
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)

    content = copy / "content"
    topics = yaml.safe_load((content / "topics.yml").read_text("utf-8"))
    entry = content / "cases" / f"{SLUG}.md"
    assert not entry.exists()
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(REAL_ENTRY.format(topic=topics[0]["slug"]), "utf-8")
    checked = CliRunner().invoke(main, ["check", "--strict", str(content)])
    assert checked.exit_code == 0, checked.output  # the added entry is itself clean

    report = tmp_path / "report.xml"
    env = {**os.environ, "PYTHONPATH": str(copy)}
    env.pop("CASEBOOK_SCREENSHOTS", None)  # the copy never refreshes the repository's pictures
    default_run = ["-m", "not slow and not proof"]  # the tests a plain `pytest` runs
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *default_run, "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

    # the copy's own tests ran, and the shipped-content guards saw the real entry and passed
    cases = ET.parse(report).getroot().iter("testcase")
    ran = {(c.get("classname"), c.get("name")) for c in cases if not list(c)}  # no failure, error or skip child
    assert ("tests.test_shipped_content", f"test_every_public_entry_is_served_under_its_own_title[case/{SLUG}]") in ran
    assert ("tests.test_shipped_content", f"test_every_public_entry_is_found_by_its_title[case/{SLUG}]") in ran
    if CHROMIUM is not None or os.environ.get("CI") == "true":
        assert any(classname == "tests.test_browser" for classname, _ in ran), "browser tests ran in the copy"
