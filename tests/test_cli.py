"""The ``casebook`` command line: check, new, sync, and ``flask --app casebook``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from casebook.cli import main

from .conftest import WriteEntry


def test_check_clean_exits_zero(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("case", "fine")
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_check_prints_path_line_message_relative_to_cwd(
    runner: CliRunner, write_entry: WriteEntry, tmp_path: Path
) -> None:
    write_entry("case", "bad", raw="---\ntitle: 标题\ntopic: nope\ndate: 2022-03-01\n---\n正文\n")
    write_entry("interview", "no-date", raw="---\ntitle: 标题\ntopic: louyuan\n---\n正文\n")
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "content/interviews/no-date.md:1: 缺少必填字段 date",
        "content/cases/bad.md:3: 未知主题“nope”，topics.yml 中没有",
    ]
    result = runner.invoke(main, ["check", str(tmp_path / "content")])
    assert result.exit_code == 1 and "content/cases/bad.md:3:" in result.stdout


def test_check_usage_errors_exit_two(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["check", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(main, ["check", "a", "b"]).exit_code == 2


def test_new_writes_valid_draft_with_pinyin_slug(runner: CliRunner, content_dir: Path) -> None:
    result = runner.invoke(main, ["new", "interview", "--topic", "louyuan", "--title", "把楼院管起来"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path == content_dir / "interviews" / "ba-lou-yuan-guan-qi-lai.md"
    meta = yaml.safe_load(path.read_text("utf-8").split("---")[1])
    assert meta["title"] == "把楼院管起来" and meta["status"] == "draft" and meta["topic"] == "louyuan"
    assert runner.invoke(main, ["check"]).exit_code == 0  # the skeleton is valid
    again = runner.invoke(main, ["new", "interview", "--topic", "louyuan", "--title", "把楼院管起来"])
    assert again.exit_code == 1 and "未覆盖" in again.output
    assert path.read_text("utf-8").count("把楼院管起来") == 1


def test_new_with_slug_and_bad_input(runner: CliRunner, content_dir: Path) -> None:
    ok = runner.invoke(main, ["new", "case", "--topic", "yiqing", "--title", "标题", "--slug", "my-case"])
    assert ok.exit_code == 0 and (content_dir / "cases" / "my-case.md").is_file()
    assert "scope: local" in (content_dir / "cases" / "my-case.md").read_text("utf-8")
    assert runner.invoke(main, ["new", "case", "--topic", "nope", "--title", "x"]).exit_code == 2
    assert runner.invoke(main, ["new", "case", "--topic", "yiqing", "--title", "x", "--slug", "Bad"]).exit_code == 2
    assert runner.invoke(main, ["new", "poem", "--topic", "yiqing", "--title", "x"]).exit_code == 2
    assert runner.invoke(main, ["new", "case", "--topic", "yiqing", "--title", "！！"]).exit_code == 2


def test_sync_reports_counts(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("case", "a")
    write_entry("case", "b", raw="---\ntitle: x\n---\n")
    first = runner.invoke(main, ["sync"])
    assert first.exit_code == 0, first.output
    assert "新增 1" in first.stdout and "无法载入 1" in first.stdout and "问题 2 条" in first.stdout
    second = runner.invoke(main, ["sync"])
    assert "未变 2" in second.stdout


def test_help_lists_commands(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    for command in ("serve", "sync", "check", "new"):
        assert command in result.stdout


def test_flask_app_cli_runs_the_same_commands(content_dir: Path, write_entry: WriteEntry, tmp_path: Path) -> None:
    write_entry("case", "a")
    env = {**os.environ, "CASEBOOK_CONTENT_DIR": str(content_dir), "CASEBOOK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "casebook", "sync"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "新增 1" in result.stdout


def test_sync_builds_the_search_index_and_reindex_rebuilds_it(runner: CliRunner, write_entry: WriteEntry) -> None:
    write_entry("case", "a", body="可以搜索的正文。")
    first = runner.invoke(main, ["sync"])
    assert "搜索索引已重建：1 篇" in first.stdout
    assert "搜索索引已重建" not in runner.invoke(main, ["sync"]).stdout  # incremental afterwards
    again = runner.invoke(main, ["reindex"])
    assert again.exit_code == 0 and "搜索索引已重建：1 篇" in again.stdout


def test_postgresql_without_a_shared_secret_key_is_refused_in_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several servers share a PostgreSQL database: a key each made for itself would log staff out
    at every other server, so the key must be set, and a missing one is said, not a traceback."""
    monkeypatch.setenv("CASEBOOK_DATABASE_URL", "postgresql+psycopg://casebook@127.0.0.1:1/casebook")
    monkeypatch.delenv("CASEBOOK_SECRET_KEY", raising=False)
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 1
    assert "设置有误：CASEBOOK_SECRET_KEY 未设置。数据库是 PostgreSQL 时必须设置它" in result.output
    assert "python3 -c 'import secrets; print(secrets.token_hex(32))'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "instance" / "secret_key").exists()  # no key of its own was made


def test_a_bad_setting_is_said_in_one_line(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOOK_TIMEZONE", "Mars/Olympus")
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 1
    assert "设置有误：CASEBOOK_TIMEZONE='Mars/Olympus' 不是可识别的时区名" in result.output
    assert "Asia/Shanghai" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PROXY_COUNT", "x", "设置有误：CASEBOOK_PROXY_COUNT='x' 应为 0 到 5 的整数（在 nginx 后面一般为 1）"),
        ("PROXY_COUNT", "6", "设置有误：CASEBOOK_PROXY_COUNT='6' 应为 0 到 5 的整数"),
        ("ATTACHMENT_MAX_MB", "0", "设置有误：CASEBOOK_ATTACHMENT_MAX_MB='0' 应为 1 到 200 的整数"),
        ("PROPOSAL_PER_DAY", "二十", "设置有误：CASEBOOK_PROPOSAL_PER_DAY='二十' 应为 1 到 100000 的整数"),
    ],
    ids=["proxies-not-a-number", "too-many-proxies", "attachment-size-zero", "proposals-in-words"],
)
def test_a_number_setting_out_of_range_is_said_with_its_range(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(f"CASEBOOK_{name}", value)
    result = runner.invoke(main, ["sync"])
    assert result.exit_code == 1 and says in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [["db", "current"], ["db", "upgrade"], ["backup", "b.zip"], ["restore", "b.zip"]],
    ids=["db-current", "db-upgrade", "backup", "restore"],
)
def test_commands_without_an_app_say_a_bad_setting_in_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """db, backup and restore read the settings without building the app: the same one line."""
    monkeypatch.setenv("CASEBOOK_TIMEZONE", "Mars/Olympus")
    Path("b.zip").touch()  # restore wants its file to exist (the runner works in tmp_path)
    result = runner.invoke(main, command)
    assert result.exit_code == 1, result.output
    assert "设置有误：CASEBOOK_TIMEZONE='Mars/Olympus' 不是可识别的时区名" in result.output
    assert isinstance(result.exception, SystemExit)  # said by click, not an uncaught SettingError
