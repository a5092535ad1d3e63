"""``casebook`` processes for the proofs: commands run to completion or killed, and ``casebook serve``
(gunicorn) started in its own process group so that a SIGKILL takes the whole server down at once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from casebook.crashpoints import ENV as CRASH_AT

from .web import Browser, NoReply

CLI = [sys.executable, "-c", "from casebook.cli import main; main()"]
HOST = "127.0.0.1"
PASSWORD = "社区 治理 password"
"""Every proof account's password (strong enough for the password rules)."""


def free_port() -> int:
    """A port nothing listens on now (bound to 127.0.0.1 only)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Site:
    """A content folder and a data folder, and where commands run (their working directory)."""

    content: Path
    data: Path
    cwd: Path
    settings: tuple[tuple[str, str], ...] = ()
    """Further ``CASEBOOK_*`` variables of this site's commands (e.g. a reader's)."""

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "CASEBOOK_CONTENT_DIR": str(self.content), "CASEBOOK_DATA_DIR": str(self.data)}
        env.setdefault("CASEBOOK_SITE_URL", "http://127.0.0.1")
        env.pop(CRASH_AT, None)
        env.update(self.settings)
        env.update(extra)
        return env

    def run(self, *args: str, stdin: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run ``casebook <args>`` to completion."""
        return subprocess.run(
            [*CLI, *args],
            cwd=self.cwd,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def add_user(self, name: str, role: str = "reviewer") -> None:
        done = self.run("user", "add", name, "--role", role, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """Start ``casebook <args>`` in its own process group; stdout and stderr appended to ``log``."""
        with log.open("ab") as out:
            return subprocess.Popen(
                [*CLI, *args],
                cwd=self.cwd,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything in its group (gunicorn's arbiter and workers), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


class Server:
    """``casebook serve`` on 127.0.0.1:``port`` (its start-up sync first), restartable after a kill."""

    def __init__(self, site: Site, log: Path, *, port: int | None = None, workers: int = 2, threads: int = 2) -> None:
        self.site, self.log = site, log
        self.port = port or free_port()
        self.workers, self.threads = workers, threads
        self.process: subprocess.Popen[bytes] | None = None
        self.base = f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 180) -> None:
        args = ["serve", "--host", HOST, "--port", str(self.port)]
        args += ["--workers", str(self.workers), "--threads", str(self.threads)]
        self.process = self.site.start(*args, log=self.log)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        """Wait until /healthz answers 200 (every worker may not be up yet: gunicorn queues)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        probe = Browser(self.base, timeout=5)
        while True:
            try:
                if probe.get("/healthz").status == 200:
                    return
            except NoReply:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text("utf-8", "replace")[-3000:]
                raise RuntimeError(f"casebook serve on port {self.port} did not start:\n{tail}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole server (arbiter and workers) at once."""
        assert self.process is not None
        kill_group(self.process)
        self.process = None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the group), killing what lingers."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            kill_group(self.process)
        self.process = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
