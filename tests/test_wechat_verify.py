"""The 公众号 domain check file (issue 13, finding 13): ``CASEBOOK_WECHAT_VERIFY_FILE`` is served at
``/<its name>`` with its exact bytes; any other ``MP_verify_*.txt`` is 404; a missing, unreadable or
wrongly named file is a warning at start-up, never a crash."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from casebook import create_app

TOKEN = b"Zx9Qe2LmT0aBcD7f"


def make_app(content_dir: Path, tmp_path: Path, verify: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "CONTENT_DIR": content_dir,
            "DATA_DIR": tmp_path / "instance",
            "WECHAT_VERIFY_FILE": verify,
        }
    )


@pytest.fixture
def verify_file(tmp_path: Path) -> Path:
    path = tmp_path / "wechat" / "MP_verify_Zx9Qe2LmT0aBcD7f.txt"
    path.parent.mkdir()
    path.write_bytes(TOKEN)
    return path


def test_the_configured_file_is_served_with_its_exact_bytes(
    content_dir: Path, tmp_path: Path, verify_file: Path
) -> None:
    client = make_app(content_dir, tmp_path, str(verify_file)).test_client()
    response = client.get("/MP_verify_Zx9Qe2LmT0aBcD7f.txt")
    assert response.status_code == 200
    assert response.data == TOKEN  # no newline added, no HTML around it
    assert response.mimetype == "text/plain"
    verify_file.write_bytes(TOKEN + b"\r\n")  # replaced by a new download: served as it is now
    assert client.get("/MP_verify_Zx9Qe2LmT0aBcD7f.txt").data == TOKEN + b"\r\n"


@pytest.mark.parametrize(
    "url",
    [
        "/MP_verify_Aaaaaaaaaaaaaaaa.txt",
        "/MP_verify_Zx9Qe2LmT0aBcD7f.TXT",
        "/MP_verify_Zx9Qe2LmT0aBcD7f.txt/",
        "/wechat/MP_verify_Zx9Qe2LmT0aBcD7f.txt",
        "/MP_verify_.txt",
    ],
)
def test_any_other_verify_name_is_not_found(content_dir: Path, tmp_path: Path, verify_file: Path, url: str) -> None:
    client = make_app(content_dir, tmp_path, str(verify_file)).test_client()
    assert client.get(url).status_code == 404


def test_without_the_setting_no_verify_file_is_served(client: Any) -> None:
    assert client.get("/MP_verify_Zx9Qe2LmT0aBcD7f.txt").status_code == 404


def test_a_missing_file_is_a_warning_at_start_up_and_a_404(
    content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "MP_verify_Missing123.txt"
    with caplog.at_level(logging.WARNING):
        app = make_app(content_dir, tmp_path, str(missing))
    assert any(
        "CASEBOOK_WECHAT_VERIFY_FILE" in r.getMessage() and str(missing) in r.getMessage() for r in caplog.records
    )
    assert app.test_client().get("/MP_verify_Missing123.txt").status_code == 404
    missing.write_bytes(b"Missing123")  # put in place later: served without a restart
    assert app.test_client().get("/MP_verify_Missing123.txt").data == b"Missing123"


def test_an_unreadable_file_is_a_warning_and_a_404(
    content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unreadable = tmp_path / "MP_verify_Folder1234.txt"
    unreadable.mkdir()  # a folder by that name: reading it fails, as a file without permission would (even as root)
    with caplog.at_level(logging.WARNING):
        app = make_app(content_dir, tmp_path, str(unreadable))
    assert any("CASEBOOK_WECHAT_VERIFY_FILE" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert app.test_client().get(f"/{unreadable.name}").status_code == 404
    assert any(str(unreadable) in r.getMessage() for r in caplog.records)  # and each failed read is logged


@pytest.mark.parametrize("name", ["passwd", "secret_key", "MP_verify_x.html", "mp_verify_a.txt", "MP_verify_a b.txt"])
def test_a_file_not_named_like_a_verify_file_is_refused_with_a_warning(
    content_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    path = tmp_path / "other" / name
    path.parent.mkdir()
    path.write_text("secret")
    with caplog.at_level(logging.WARNING):
        app = make_app(content_dir, tmp_path, str(path))
    assert any("MP_verify_" in r.getMessage() for r in caplog.records)
    assert app.test_client().get(f"/{path.name}").status_code == 404
