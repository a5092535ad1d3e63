"""Proof 2: SIGKILL of ``casebook sync`` and ``casebook reindex`` at random points.

A library of a few hundred generated cases, synced, and ``casebook serve`` answering searches from
a client thread the whole time. Each round changes some files (a new marker word each), starts
``casebook sync`` or ``casebook reindex`` and SIGKILLs it after a random delay (some rounds instead
die at the crash point right after the catalog's commit, finding 17's window). After the rounds one
``casebook sync``: every current marker is found in search, every replaced one no longer finds its
case (0 stale), and search answered every query meanwhile (0 errors).
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from casebook.crashpoints import ENV as CRASH_AT

from . import library
from .procs import CLI, Server, Site, kill_group
from .web import Browser, NoReply


@dataclass
class SyncKillFigures:
    entries: int = 0
    rounds: int = 0
    kills: int = 0
    """Processes killed before they finished (random delay or crash point)."""
    finished: int = 0
    """Processes that ended on their own before the kill came."""
    by_command: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    """File changes made (a new marker word in a case)."""
    final_sync: str = ""
    final_status: int = 0
    stale: list[str] = field(default_factory=list)
    """Current markers search did not find, and replaced markers it still found."""
    searches: int = 0
    search_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.entries} entries, {self.rounds} rounds ({self.by_command}), {self.kills} processes killed, "
            f"{self.finished} finished before their kill; {self.changed} file changes; final sync exit "
            f"{self.final_status}; stale in search {len(self.stale)}; {self.searches} searches meanwhile, "
            f"{len(self.search_errors)} errors; {self.seconds:.0f} s"
        )


def run(
    root: Path,
    *,
    entries: int = 300,
    kills: int = 8,
    per_round: int = 10,
    seed: int = 2,
    say: Callable[[str], None] = lambda line: None,
) -> SyncKillFigures:
    started = time.monotonic()
    rng = random.Random(seed)
    site = library.site(root)
    slugs = library.write_cases(site, entries, seed=seed)
    figures = SyncKillFigures(entries=entries)
    current: dict[str, str] = {}  # slug → its marker now
    replaced: dict[str, str] = {}  # an old marker → the slug that had it
    server = Server(site, root / "serve.log", workers=1, threads=2)
    server.start(timeout=600)  # its start-up sync builds the catalog and the index
    counter = iter(range(10**6))
    pool: list[str] = []

    def change() -> None:
        for slug in rng.sample(slugs, per_round):
            word = library.marker(next(counter), "zs")
            if slug in current:
                replaced[current[slug]] = slug
            library.set_body_marker(site, slug, word)
            current[slug] = word
            figures.changed += 1
        pool[:] = current.values()  # what the searching thread picks from (one atomic swap)

    # how long an unkilled run of each command takes here, with a round's changes: the delays cover it
    change()
    lengths = {name: _timed(site.run, name) for name in ("sync", "reindex")}
    say(f"unkilled: sync {lengths['sync']:.1f} s, reindex {lengths['reindex']:.1f} s")
    stop = threading.Event()
    searcher = threading.Thread(target=_search, args=(server.base, pool, figures, stop), daemon=True)
    searcher.start()
    try:
        while figures.kills < kills and figures.rounds < kills * 3:
            figures.rounds += 1
            change()
            command = rng.choice(["sync", "reindex", "sync-crash-point"])
            figures.by_command[command] = figures.by_command.get(command, 0) + 1
            if _round(site, root, command, rng.uniform(0.2, 1.05) * lengths[command.split("-")[0]]):
                figures.kills += 1
            else:
                figures.finished += 1
            say(f"round {figures.rounds}: {command}, kills {figures.kills}")
        final = site.run("sync")
        figures.final_status, figures.final_sync = final.returncode, final.stdout + final.stderr
        time.sleep(0.5)  # the searches of the last moments, against the synced index too
    finally:
        stop.set()
        searcher.join(timeout=120)
        try:
            _verify(server.base, current, replaced, figures)
        finally:
            server.stop()
    figures.seconds = time.monotonic() - started
    return figures


def _timed(run: Callable[..., subprocess.CompletedProcess[str]], name: str) -> float:
    start = time.monotonic()
    done = run(name)
    assert done.returncode == 0, done.stdout + done.stderr
    return time.monotonic() - start


def _round(site: Site, root: Path, command: str, delay: float) -> bool:
    """Run one command and SIGKILL it after ``delay`` seconds; True if it was still running."""
    name, _, crash = command.partition("-")
    env = site.env(**({CRASH_AT: "after-catalog-commit"} if crash else {}))
    with (root / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            [*CLI, name], cwd=site.cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    if crash:
        process.wait(timeout=600)
        return process.returncode < 0  # it killed itself at the crash point
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        kill_group(process)
        return True
    assert process.returncode == 0, f"{name} failed with {process.returncode}: see {root / f'{name}.log'}"
    return False


def _search(base: str, pool: list[str], figures: SyncKillFigures, stop: threading.Event) -> None:
    """Search without pause until stopped: common words and markers; any non-answer is an error."""
    browser = Browser(base, timeout=30)
    rng = random.Random(0)
    while not stop.is_set():
        words = pool[:]
        query = rng.choice(words) if words and rng.random() < 0.5 else rng.choice(library.WORDS)
        figures.searches += 1
        try:
            reply = browser.get("/api/search", q=query)
            if reply.status != 200 or "results" not in reply.json():
                figures.search_errors.append(f"{query}: {reply.status} {reply.text[:200]}")
        except NoReply as exc:
            figures.search_errors.append(f"{query}: {exc}")
        except ValueError as exc:
            figures.search_errors.append(f"{query}: not JSON ({exc})")


def _verify(base: str, current: dict[str, str], replaced: dict[str, str], figures: SyncKillFigures) -> None:
    reader = Browser(base)
    for slug, word in current.items():
        hits = [hit["slug"] for hit in reader.get("/api/search", q=word).json()["results"]]
        if hits != [slug]:
            figures.stale.append(f"{word} ({slug}) found {hits}")
    for word, slug in replaced.items():
        hits = [hit["slug"] for hit in reader.get("/api/search", q=word).json()["results"]]
        if slug in hits:
            figures.stale.append(f"{word} replaced in {slug} still finds it")
