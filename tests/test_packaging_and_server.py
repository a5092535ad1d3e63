"""The installed wheel carries templates and static files; ``casebook serve`` runs a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .conftest import WriteEntry

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_wheel_ships_templates_and_static_and_they_work(tmp_path: Path, content_dir: Path) -> None:
    pytest.importorskip("hatchling")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    wheel = next(wheels.glob("casebook-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "casebook/templates/base.html" in names
    assert "casebook/templates/public/entry.html" in names
    assert "casebook/static/casebook.css" in names
    assert {"casebook/staff/common_passwords.txt", "casebook/staff/common_passwords.md"} <= set(names)
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    script = (
        "from casebook import create_app\n"
        f"app = create_app({{'CONTENT_DIR': {str(content_dir)!r}, 'DATA_DIR': {str(tmp_path / 'd')!r}}})\n"
        "c = app.test_client()\n"
        "assert app.template_folder.startswith({!r}), app.template_folder\n"
        "r = c.get('/nope'); assert r.status_code == 404 and '页面不存在' in r.get_data(as_text=True)\n"
        "assert c.get('/static/casebook.css').status_code == 200\n"
        "from casebook.staff import passwords\n"
        "assert passwords.problem('password') and len(passwords.common()) == 10000\n"
    ).replace("{!r}", repr(str(target)))
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_serve_syncs_then_serves_with_gunicorn(tmp_path: Path, content_dir: Path, write_entry: WriteEntry) -> None:
    write_entry("case", "served", title="真实服务器")
    port = free_port()
    home = tmp_path / "home"
    env = {**os.environ, "CASEBOOK_CONTENT_DIR": str(content_dir), "CASEBOOK_DATA_DIR": str(tmp_path / "data")}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(home / "run"))
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from casebook.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/cases/served", timeout=5) as response:
            assert "真实服务器" in response.read().decode("utf-8")
        assert response.headers["Server"].startswith("gunicorn")
        # no per-user gunicorn control socket: a second casebook on the machine would take it over
        assert not list(home.rglob("*.ctl"))
        # a pasted paragraph (~6,800 bytes encoded) passes gunicorn and gets the app's Chinese 414 page
        pasted = urllib.parse.quote("老旧楼院没有物业，居民自发成立议事会。" * 40)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/search?q={pasted}", timeout=5)
        assert refused.value.code == 414 and "链接太长" in refused.value.read().decode("utf-8")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert "同步完成：新增 1" in output
    assert output.count("Booting worker") == 2
