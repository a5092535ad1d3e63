"""Proof 3: two servers and a sync loop on the same folders, with 4 writers.

Two ``casebook serve`` (started together) share one content folder and one data folder; a loop
changes other cases' files and runs ``casebook sync`` without pause; four reviewers save the same
few cases through the editor form of either server, each save sending the ``base`` version its form
gave and appending its own marker word to the body it was shown. Every save that got its success
reply was made on top of all earlier ones, so its marker must be in the final file and page (a lost
update would drop it); a save answered 409 wrote nothing, so its marker must be nowhere. No answer
may be a 500 or a 503 (the busy reply), and "database is locked" may appear in no answer and no log.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import library
from .procs import PASSWORD, Server
from .web import Browser, NoReply, form_on

LOCKED = "database is locked"


@dataclass
class TwoServerFigures:
    saves: int = 0
    acknowledged: int = 0
    conflicts: int = 0
    """Saves answered 409 (their base was stale): nothing written, the form comes back."""
    statuses: Counter[int] = field(default_factory=Counter)
    no_reply: int = 0
    syncs: int = 0
    sync_failures: list[str] = field(default_factory=list)
    lost_updates: list[str] = field(default_factory=list)
    """Acknowledged markers missing from the final file or page."""
    phantom_writes: list[str] = field(default_factory=list)
    """Markers of saves answered 409 (or an error) that reached the file anyway."""
    locked_mentions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        return (
            f"{self.saves} saves by 4 writers through 2 servers, {self.acknowledged} acknowledged, "
            f"{self.conflicts} × 409, answers {dict(self.statuses)}, {self.no_reply} without reply; {self.syncs} "
            f"syncs meanwhile ({len(self.sync_failures)} failed); lost updates {len(self.lost_updates)}, "
            f"phantom writes {len(self.phantom_writes)}, 5xx {self.server_errors}, '{LOCKED}' "
            f"{len(self.locked_mentions)}; {self.seconds:.0f} s"
        )


def run(
    root: Path,
    *,
    saves_per_writer: int = 40,
    writers: int = 4,
    hot: int = 3,
    entries: int = 60,
    seed: int = 3,
    say: Callable[[str], None] = lambda line: None,
) -> TwoServerFigures:
    started = time.monotonic()
    site = library.site(root)
    slugs = library.write_cases(site, entries, seed=seed)
    edited, others = slugs[:hot], slugs[hot:]
    names = [f"writer{n}" for n in range(writers)]
    for name in names:
        site.add_user(name)
    figures = TwoServerFigures()
    servers = [Server(site, root / f"serve{n}.log") for n in range(2)]
    for server in servers:  # started together on a fresh data folder (finding 18)
        server.process = site.start(
            "serve", "--host", "127.0.0.1", "--port", str(server.port), "--workers", "2", "--threads", "2",
            log=server.log,
        )  # fmt: skip
    acked: dict[str, list[str]] = {slug: [] for slug in edited}
    refused: dict[str, list[str]] = {slug: [] for slug in edited}
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        browsers = [Browser(server.base) for server in servers]
        try:
            for browser in browsers:
                browser.login(names[n], PASSWORD)
            for i in range(saves_per_writer):
                slug, browser = rng.choice(edited), rng.choice(browsers)
                word = library.marker(n * 100_000 + i, "zw")
                page = browser.get(f"/staff/edit/case/{slug}")
                assert page.status == 200, f"editor answered {page.status}"
                form = form_on(page.text, form_id="editor")
                body = form.value("body").rstrip() + f"\n\n{names[n]} 第 {i} 次：{word}"
                time.sleep(rng.uniform(0, 0.05))  # someone reading before saving
                try:
                    reply = browser.post(f"/staff/edit/case/{slug}", form.filled(("action", "publish"), body=body))
                except NoReply:
                    with lock:
                        figures.no_reply += 1
                    continue
                with lock:
                    figures.saves += 1
                    figures.statuses[reply.status] += 1
                    if LOCKED in reply.text:
                        figures.locked_mentions.append(f"answer to {names[n]}'s save {i}")
                    if reply.status == 302 and "saved=1" in reply.location:
                        figures.acknowledged += 1
                        acked[slug].append(word)
                    else:
                        figures.conflicts += reply.status == 409
                        refused[slug].append(word)
        except BaseException as exc:
            failures.append(exc)

    def syncer() -> None:
        rng = random.Random(seed)
        count = 0
        while not stop.is_set():
            for slug in rng.sample(others, 5):
                library.set_body_marker(site, slug, library.marker(count, "zy"))
                count += 1
            done = site.run("sync")
            figures.syncs += 1
            output = done.stdout + done.stderr
            if done.returncode != 0:
                figures.sync_failures.append(output[-500:])
            if LOCKED in output:
                figures.locked_mentions.append(f"sync {figures.syncs}: {output[-300:]}")

    try:
        for server in servers:
            server.wait_ready(300)
        say("both servers answer")
        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
        sync_loop = threading.Thread(target=syncer, daemon=True)
        sync_loop.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=1800)
        stop.set()
        sync_loop.join(timeout=600)
        if failures:
            raise failures[0]
        reader = Browser(servers[0].base)
        for slug in edited:
            text = library.case_path(site, slug).read_text("utf-8")
            html = reader.get(f"/api/entries/case/{slug}").json()["html"]
            figures.lost_updates += [f"{slug}:{w}" for w in acked[slug] if w not in text or w not in html]
            figures.phantom_writes += [f"{slug}:{w}" for w in refused[slug] if w in text]
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        log = server.log.read_text("utf-8", "replace")
        figures.locked_mentions += [f"{server.log.name}: {line}" for line in log.splitlines() if LOCKED in line]
    figures.seconds = time.monotonic() - started
    return figures
