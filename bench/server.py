"""Running ``casebook`` for ``bench/pages.py``: timed CLI processes, ``casebook serve`` and the commit measured."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
CLI = "from casebook.cli import main; main()"


class ServerFailed(RuntimeError):
    """``casebook serve`` did not answer /healthz."""


def time_process(args: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall-clock seconds of one ``python -c ...`` subprocess, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", *args], env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def start_server(
    env: dict[str, str], cwd: Path, port: int, workers: int, threads: int, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``casebook serve``; gunicorn's access log (stdout) is discarded, stderr kept in ``log``."""
    command = [
        sys.executable,
        "-c",
        CLI,
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    with log.open("wb") as err:
        return subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )


def wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            status, _ = fetch(port, "/healthz", timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
    raise ServerFailed(f"casebook serve did not become healthy on port {port}:\n{tail}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the gunicorn arbiter (graceful); SIGKILL its process group if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    proc.wait(timeout=5)


def code_version() -> str:
    """The git commit of the casebook being measured, ``+changes`` if its code is modified."""
    spec = importlib.util.find_spec("casebook")
    if spec is None or spec.origin is None:
        return "unknown"
    checkout = Path(spec.origin).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(checkout), "status", "--porcelain", "--", "casebook", "templates", "static"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("+changes" if dirty.strip() else "")
