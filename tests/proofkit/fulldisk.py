"""Proof 4: a full disk during a staff save and a sync, then space again.

The library lives on a small filesystem of its own — a real ``tmpfs`` where this process may mount
one (CI runs as root in a container), else the ``fullshim`` stand-in (see ``fullshim/sitecustomize.py``:
writes, fsyncs and SQLite commits under the folder fail with ENOSPC / SQLITE_FULL while a switch file
exists). Layout ``both``: content and data folders on it; ``data``: only the data folder, the content
folder has room. With the filesystem full: a save answers 507 with 磁盘空间不足 and the form filled in
(or, where SQLite still had room in its log, saves whole); ``casebook sync`` exits 1 saying 磁盘空间不足
without a traceback; the files parse, ``PRAGMA integrity_check`` says ok, the site still answers.
With space again: the same form saves, sync completes, search finds both changes.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import library
from .procs import PASSWORD, Server, Site
from .web import Browser, form_on

SHIM = Path(__file__).resolve().parent / "fullshim"
SHIM_SWITCH = "CASEBOOK_PROOF_DISK_FULL"
SHIM_UNDER = "CASEBOOK_PROOF_DISK_UNDER"
BIG_BODY = 150_000
"""Characters of the big save and of the synced change: ~450 KB of UTF-8, written several times over
(file, catalog row, rendered HTML, revision), more than SQLite's log keeps from earlier commits."""


@dataclass
class Save:
    """One staff save made while the disk was full, and what became of it."""

    slug: str
    word: str
    status: int = 0
    said_full: bool = False
    kept_text: bool = False
    file_unchanged: bool = False
    status_after: int = 0
    """The answer to the same form sent again once there is space (507 only; else its first answer)."""
    in_file: bool = False
    in_catalog: bool = False
    found: list[str] = field(default_factory=list)


@dataclass
class FullDiskFigures:
    method: str = ""
    layout: str = ""
    saves: list[Save] = field(default_factory=list)
    sync_status: int = 0
    sync_output: str = ""
    pages_while_full: list[int] = field(default_factory=list)
    integrity: str = ""
    check_status: int = 0
    leftovers: list[str] = field(default_factory=list)
    sync_after: int = 0
    sync_after_output: str = ""
    synced_word: str = ""
    synced_found: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        saves = "; ".join(
            f"{s.slug} → {s.status} (磁盘空间不足 shown {s.said_full}, text kept {s.kept_text}, file unchanged "
            f"{s.file_unchanged}), again → {s.status_after}, then in file {s.in_file}, page {s.in_catalog}, "
            f"search {s.found}"
            for s in self.saves
        )
        said = re.sub(r"（/[^）]*）", "", self.sync_output.strip())  # without the folder's path
        return (
            f"{self.method}/{self.layout}: saves on a full disk: {saves}; sync → exit {self.sync_status} "
            f"{said!r}; pages meanwhile {self.pages_while_full}; integrity {self.integrity}, "
            f"check exit {self.check_status}, leftovers {len(self.leftovers)}; space again: sync → exit "
            f"{self.sync_after}, its change found {self.synced_found}; {self.seconds:.0f} s"
        )


def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as in CI's container)."""
    if os.geteuid() != 0:
        return False
    probe = Path(f"/tmp/casebook-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True)
        if done.returncode != 0:
            return False
        subprocess.run(["umount", str(probe)], check=True, capture_output=True)
        return True
    except OSError:
        return False
    finally:
        probe.rmdir()


def shim_switch(where: Path) -> Path:
    """The stand-in's switch file for the folder ``where``: while it exists, that disk is full."""
    return where.parent / f"{where.name}-is-full"


@contextlib.contextmanager
def small_disk(where: Path, method: str, megabytes: int = 24) -> Iterator[Callable[[bool], None]]:
    """A folder on a filesystem of its own; yields ``full(on)`` that fills it (or frees it again)."""
    where.mkdir(parents=True)
    if method == "shim":
        switch = shim_switch(where)
        yield lambda on: switch.touch() if on else switch.unlink(missing_ok=True)
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs", str(where)], check=True)
    filler = where / "filler"

    def full(on: bool) -> None:
        if not on:
            filler.unlink(missing_ok=True)
            return
        with filler.open("ab", buffering=0) as handle:
            for size in (1 << 20, 1 << 16, 1 << 12, 1):
                with contextlib.suppress(OSError):
                    while handle.write(b"\0" * size):
                        pass

    try:
        yield full
    finally:
        filler.unlink(missing_ok=True)
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=True)  # a process still had a file open


def run(root: Path, *, method: str = "tmpfs", layout: str = "both", seed: int = 4) -> FullDiskFigures:
    started = time.monotonic()
    figures = FullDiskFigures(method=method, layout=layout)
    disk = root / "disk"
    with small_disk(disk, method) as full:
        built = library.site(disk if layout == "both" else root)
        site = Site(built.content, disk / "data", root)
        if method == "shim":
            site = _shimmed(site, shim_switch(disk), disk)
        slugs = library.write_cases(site, 6, seed=seed)
        site.add_user("proof-reviewer")
        server = Server(site, root / "serve.log", workers=1, threads=2)
        server.start()
        try:
            _while_full(site, server, slugs, full, figures)
        finally:
            server.stop()
    figures.seconds = time.monotonic() - started
    return figures


def _shimmed(site: Site, switch: Path, under: Path) -> Site:
    """The same site, its processes started with the full-disk stand-in on their path."""

    class Shimmed(Site):
        def env(self, **extra: str) -> dict[str, str]:
            env = super().env(**extra)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SHIM), env.get("PYTHONPATH", "")]))
            return {**env, SHIM_SWITCH: str(switch), SHIM_UNDER: str(under)}

    return Shimmed(site.content, site.data, site.cwd)


def _while_full(
    site: Site, server: Server, slugs: list[str], full: Callable[[bool], None], figures: FullDiskFigures
) -> None:
    browser = Browser(server.base)
    browser.login("proof-reviewer", PASSWORD)
    filler_text = "".join(library.WORDS) * (BIG_BODY // 60)
    # the change sync will meet, written while there is room (on a full disk nobody could write it)
    figures.synced_word = library.marker(0, "zf")
    library.set_body_marker(site, slugs[1], f"{figures.synced_word}\n\n{filler_text}")
    # a big save (it cannot fit) and a small one (SQLite may still have room in its log for it)
    saves = [Save(slugs[0], library.marker(1, "zf")), Save(slugs[3], library.marker(2, "zf"))]
    sent = []
    for save, extra in zip(saves, (filler_text, ""), strict=True):
        form = form_on(browser.get(f"/staff/edit/case/{save.slug}").text, form_id="editor")
        body = f"{form.value('body').rstrip()}\n\n满盘时保存：{save.word}\n\n{extra}".rstrip()
        sent.append((form, body, library.case_path(site, save.slug).read_bytes()))

    full(True)
    replies = []
    for save, (form, body, before) in zip(saves, sent, strict=True):
        reply = browser.post(f"/staff/edit/case/{save.slug}", form.filled(("action", "publish"), body=body))
        replies.append(reply)
        save.status, save.said_full, save.kept_text = (
            reply.status,
            "磁盘空间不足" in reply.text,
            save.word in reply.text,
        )
        save.file_unchanged = library.case_path(site, save.slug).read_bytes() == before
    sync = site.run("sync")
    figures.sync_status, figures.sync_output = sync.returncode, sync.stdout + sync.stderr
    for url in ("/", f"/cases/{slugs[2]}", "/api/search?q=%E6%A5%BC%E9%99%A2", "/healthz"):
        figures.pages_while_full.append(browser.get(url).status)
    with contextlib.closing(sqlite3.connect(f"file:{site.data / 'casebook.sqlite3'}?mode=ro", uri=True)) as db:
        figures.integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    figures.check_status = site.run("check", str(site.content)).returncode
    figures.leftovers = library.leftovers(site.content)

    full(False)
    for save, reply in zip(saves, replies, strict=True):
        save.status_after = reply.status
        if reply.status == 507:  # the person sends the form again as it came back, their text in it
            again = form_on(reply.text, form_id="editor").filled(("action", "publish"))
            save.status_after = browser.post(f"/staff/edit/case/{save.slug}", again).status
    final = site.run("sync")
    figures.sync_after, figures.sync_after_output = final.returncode, final.stdout + final.stderr
    for save in saves:
        save.in_file = save.word in library.case_path(site, save.slug).read_text("utf-8")
        save.in_catalog = save.word in browser.get(f"/api/entries/case/{save.slug}").json()["html"]
        save.found = [hit["slug"] for hit in browser.get("/api/search", q=save.word).json()["results"]]
    figures.synced_found = [hit["slug"] for hit in browser.get("/api/search", q=figures.synced_word).json()["results"]]
    figures.saves = saves
