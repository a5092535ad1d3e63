"""Proof 1: SIGKILL of the whole server during a loop of staff saves.

A reviewer saves (and publishes) cases through the editor form over HTTP, one save after another,
each appending a new marker word to the body it was given. Meanwhile the whole ``casebook serve``
process group (gunicorn's arbiter and workers) is SIGKILLed at random moments and started again.
Afterwards, for every save that got its success reply (302): its marker is in the file, in the
catalog (``/api/entries``, after the last restart) and in search (``/api/search``); the content
folder holds no temporary or kept copy, and ``casebook check`` finds every file whole.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import library
from .procs import PASSWORD, Server
from .web import Browser, NoReply, form_on

USER = "proof-reviewer"


@dataclass
class CrashFigures:
    saves: int = 0
    """Saves sent."""
    acknowledged: int = 0
    """Saves answered 302 (success)."""
    unanswered: int = 0
    """Saves whose connection the kill cut: they may or may not have happened."""
    refused: dict[int, int] = field(default_factory=dict)
    """Other answers by status (none expected)."""
    kills: int = 0
    lost_on_disk: list[str] = field(default_factory=list)
    lost_in_catalog: list[str] = field(default_factory=list)
    lost_in_search: list[str] = field(default_factory=list)
    cut_but_saved: int = 0
    """Saves cut by a kill whose text had reached the file (the reply was lost, not the save)."""
    disagreeing: list[str] = field(default_factory=list)
    """Saves cut by a kill that are in some of file, page and search but not all (none expected)."""
    leftovers: list[str] = field(default_factory=list)
    check_output: str = ""
    check_status: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.saves} saves sent, {self.acknowledged} acknowledged, {self.unanswered} cut by a kill, "
            f"other answers {self.refused or 'none'}; {self.kills} kills of the whole server; acknowledged "
            f"saves lost: on disk {len(self.lost_on_disk)}, in the catalog {len(self.lost_in_catalog)}, in search "
            f"{len(self.lost_in_search)}; saves cut by a kill that had reached the file {self.cut_but_saved}, "
            f"file/page/search disagreeing {len(self.disagreeing)}; leftover files {len(self.leftovers)}; check exit "
            f"{self.check_status}; "
            f"{self.seconds:.0f} s"
        )


def run(
    root: Path,
    *,
    saves: int = 200,
    kills: int = 10,
    entries: int = 12,
    seed: int = 1,
    say: Callable[[str], None] = lambda line: None,
) -> CrashFigures:
    started = time.monotonic()
    rng, kill_rng = random.Random(seed), random.Random(seed + 1)
    site = library.site(root)
    slugs = library.write_cases(site, entries, seed=seed, sentences=6)
    site.add_user(USER)
    figures = CrashFigures()
    sent: dict[str, dict[str, bool]] = {slug: {} for slug in slugs}  # slug → marker → acknowledged
    server = Server(site, root / "serve.log")
    server.start()
    done = threading.Event()
    hold, held = threading.Event(), threading.Event()  # the saver stops while a restart is checked
    progress = [0]
    in_flight: list[tuple[str, str]] = []  # (slug, marker) of each save posted, the last one last
    failure: list[BaseException] = []

    def wait_if_held() -> None:
        if hold.is_set():
            held.set()
            while hold.is_set():
                time.sleep(0.01)
            held.clear()

    def saver() -> None:
        browser = Browser(server.base, timeout=60)
        try:
            for n in range(saves):
                slug = rng.choice(slugs)
                word = library.marker(n)
                while True:  # until the form is had (the server may be down or restarting)
                    wait_if_held()
                    try:
                        page = browser.get(f"/staff/edit/case/{slug}")
                        if page.status != 200:
                            browser.login(USER, PASSWORD)
                            continue
                        break
                    except NoReply:
                        time.sleep(0.05)
                form = form_on(page.text, form_id="editor")
                body = form.value("body").rstrip() + f"\n\n保存 {n}：{word}"
                figures.saves += 1
                sent[slug][word] = False
                in_flight.append((slug, word))
                try:
                    reply = browser.post(f"/staff/edit/case/{slug}", form.filled(("action", "publish"), body=body))
                except NoReply:
                    figures.unanswered += 1
                else:
                    if reply.status == 302 and "saved=1" in reply.location:
                        figures.acknowledged += 1
                        sent[slug][word] = True
                    else:
                        figures.refused[reply.status] = figures.refused.get(reply.status, 0) + 1
                progress[0] = n + 1
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
        finally:
            held.set()
            done.set()

    thread = threading.Thread(target=saver, daemon=True)
    thread.start()
    try:
        restarted_at = 0
        for k in range(kills):
            # spread over the loop, and never two kills without a few saves between them
            target = max(saves * (k + 1) // (kills + 1), restarted_at + 3)
            while progress[0] < target and not done.is_set():
                time.sleep(0.02)
            if done.is_set():
                break
            time.sleep(kill_rng.uniform(0, 0.4))  # a random moment among the next saves
            server.kill()
            hold.set()
            figures.kills += 1
            say(f"kill {figures.kills} after save {progress[0]}")
            time.sleep(kill_rng.uniform(0, 0.3))
            server.start()
            # before anything else touches it: the save the kill cut is in file, page and search, or in none
            held.wait(timeout=120)
            if in_flight and not sent[in_flight[-1][0]][in_flight[-1][1]]:
                _agree(server.base, site.content, *in_flight[-1], figures)
            hold.clear()
            restarted_at = progress[0]
        thread.join(timeout=1800)
        if failure:
            raise failure[0]
        # the last restart: what a fresh server shows
        server.kill()
        server.start()
        _verify(server.base, site.content, sent, figures)
    finally:
        hold.clear()
        server.stop()
    check = site.run("check", str(site.content))
    figures.check_status, figures.check_output = check.returncode, check.stdout + check.stderr
    figures.leftovers = library.leftovers(site.content)
    figures.seconds = time.monotonic() - started
    return figures


def _verify(base: str, content: Path, sent: dict[str, dict[str, bool]], figures: CrashFigures) -> None:
    """Every acknowledged save in the file, the page and search; every save cut by a kill in all
    three or in none."""
    for slug, words in sent.items():
        for word, acknowledged in words.items():
            in_file, in_page, in_search = _where(base, content, slug, word)
            if acknowledged:
                if not in_file:
                    figures.lost_on_disk.append(f"{slug}:{word}")
                if not in_page:
                    figures.lost_in_catalog.append(f"{slug}:{word}")
                if not in_search:
                    figures.lost_in_search.append(f"{slug}:{word}")
            else:
                figures.cut_but_saved += in_file
                if not in_file == in_page == in_search:
                    figures.disagreeing.append(
                        f"{slug}:{word} at the end: file/page/search {in_file, in_page, in_search}"
                    )


def _agree(base: str, content: Path, slug: str, word: str, figures: CrashFigures) -> None:
    """Right after a restart: the save the kill cut is in file, page and search alike."""
    in_file, in_page, in_search = _where(base, content, slug, word)
    if not in_file == in_page == in_search:
        figures.disagreeing.append(f"{slug}:{word} after a restart: file/page/search {in_file, in_page, in_search}")


def _where(base: str, content: Path, slug: str, word: str) -> tuple[bool, bool, bool]:
    """Whether ``word`` is in the case's file, its page (the API's HTML) and search."""
    reader = Browser(base)
    text = library.case_path_in(content, slug).read_text("utf-8")
    html = reader.get(f"/api/entries/case/{slug}").json()["html"]
    hits = [hit["slug"] for hit in reader.get("/api/search", q=word).json()["results"]]
    return word in text, word in html, hits == [slug]
