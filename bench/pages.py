"""Benchmark ``casebook sync`` and the public pages on a synthetic library.

What it measures, for each library size (default 1,000 and 10,000 entries):

* ``casebook sync`` run as the real CLI in a subprocess: a full first sync into an empty
  database, then a second sync with nothing changed (target: at most 2 s at 10k entries).
  Both figures include interpreter start-up and app creation, as a user would see them, and
  everything ``sync`` does (the catalog and, when the app has one, its search index).
* ``casebook serve`` (gunicorn, 2 workers x 4 threads by default, as README advises) on
  127.0.0.1: requests per second and p50/p95/p99 latency for

  - the hot URLs, one at a time: the home page ``/``, a topic page ``/topics/<slug>``, its share
    page ``/topics/<slug>/share`` (where a 公众号 post sends readers) and an entry page
    ``/cases/<slug>``;
  - a realistic mix (``bench/mixes.py``): every topic, share, list, tag, street, search and entry
    URL of the library, drawn Zipf-like from a seeded ranking (home first): a few hot pages and a
    long tail of cold ones, so most entry pages are not in a process's page cache;
  - a uniform mix over all entry pages: readers spread evenly over the library;
  - ``/media/probe.png``, a file served by the same app whose size equals the entry page's,
    measured first and last in every server run; every other figure is also given as a ratio to
    the mean of those two (target for the hot pages as served: at least 0.40), i.e. the cost of
    rendering compared with sending the same bytes, with the same workers at the same time.

  Everything is measured twice: as served (public pages are cached per process, 512 pages each,
  keyed by the catalog generation in the database) and with ``CASEBOOK_PAGE_CACHE=0``, i.e.
  rendered on every request — the cost of the first view after each change. Targets printed: the
  uniform mix at 1k entries ≥ 400 req/s, the realistic mix at 10k ≥ 500 req/s with p95 < 100 ms.

The library is generated from a seeded random generator (``--seed``, printed): ten topics, a
few streets and communities, and entries spread over interviews, salons and cases (some
local, some national), each with a body of about 1,500 Chinese characters in Markdown.

Keeping the figures honest:

* ``media/probe.png`` exists before the first sync. The catalog's rules fingerprint covers
  the *names* of media files, not their contents, so resizing the probe once the entry page
  has been measured does not make any later sync a full one; and every timed sync runs
  before the server starts anyway.
* The content files were just written, so they are in the page cache: the full sync does
  not include cold-disk reads.
* Every page gets a short untimed warm-up (templates compiled, connections pooled in every
  worker) before its timed run. The load generator shares the machine's CPUs with the
  server; ``wrk`` (used when on PATH) costs far less CPU than the built-in generator
  (threads with persistent ``http.client`` connections), so prefer it.
* The report names the casebook commit (``+changes`` when its code is modified, and a warning
  if that changed during the run) and the 1-min load average before and after: other work on
  the machine lowers every req/s figure, so compare runs only when those match.

Run from the repository root with the virtualenv that has casebook installed::

    python bench/pages.py                       # sizes 1000 and 10000, 5 s per page
    python bench/pages.py --sizes 1000 --duration 3 --loadgen builtin
    python bench/pages.py --sizes 10000 --mixes-only   # the static probe and the two mixes only

The exit status is 0 unless the server failed to start (or a sync crashed); no figure is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mixes as mixes_module
from library import PLACES, TAGS, TOPICS, Library, generate
from mixes import LoadResult, Mix, run_builtin, run_wrk, single
from server import (
    CLI,
    ServerFailed,
    code_version,
    fetch,
    free_port,
    start_server,
    stop_server,
    time_process,
    wait_healthy,
)

DEFAULT_SEED = 20240601
SYNC_TARGET_S = 2.0
SYNC_TARGET_SIZE = 10_000
RATIO_TARGET = 0.40
UNIFORM_TARGET = (1_000, 400)
"""(library size, req/s) for readers spread evenly over the entry pages, as served."""
REALISTIC_TARGET = (10_000, 500, 100)
"""(library size, req/s, p95 ms) for the realistic mix, as served."""


@dataclass
class SyncTiming:
    full_s: float
    nochange_s: float
    startup_s: float
    """A process that only imports casebook and creates the app: the floor under both syncs."""


@dataclass
class PageResult:
    label: str
    path: str
    size: int
    load: LoadResult
    urls: int = 1
    cached: bool = True


@dataclass
class SizeResult:
    size: int
    sync: SyncTiming
    pages: list[PageResult] = field(default_factory=list)


def _env(library: Library, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CASEBOOK_CONTENT_DIR=str(library.root),
        CASEBOOK_DATA_DIR=str(data_dir),
        CASEBOOK_SITE_URL="https://cases.example.org",
    )
    return env


# --- load generators --------------------------------------------------------------------


@dataclass
class LoadGen:
    name: str
    connections: int
    threads: int

    def run(self, port: int, mix: Mix, folder: Path, seconds: int) -> LoadResult:
        if self.name == "wrk":
            return run_wrk(port, mix.write(folder), seconds, self.connections, self.threads)
        return run_builtin(port, mix.paths, seconds, self.connections)

    def describe(self) -> str:
        if self.name == "wrk":
            version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
            label = " ".join(version[:2]) if version else "wrk"
            return f"{label} ({self.threads} threads, {self.connections} connections)"
        return f"built-in http.client ({self.connections} threads, one keep-alive connection each)"


def pick_loadgen(choice: str, connections: int, threads: int) -> LoadGen:
    has_wrk = shutil.which("wrk") is not None
    if choice == "wrk" and not has_wrk:
        print("wrk is not on PATH; using the built-in load generator", file=sys.stderr)
    name = "wrk" if choice in ("auto", "wrk") and has_wrk else "builtin"
    return LoadGen(name, connections, threads)


# --- one size ---------------------------------------------------------------------------


def reused(root: Path, size: int) -> Library:
    """A tree ``generate`` wrote earlier (kept by ``--keep``): the same pages to measure."""
    cases = sorted(p.stem for p in (root / "cases").glob("*.md") if int(p.stem.rsplit("-", 1)[1]) >= size // 2)
    entries = sum(1 for folder in ("interviews", "salons", "cases") for _ in (root / folder).glob("*.md"))
    if entries != size or not cases:
        raise SystemExit(f"--reuse: {root} holds {entries} entries, not a generated library of {size}")
    return Library(root, size, TOPICS[0][0], f"/cases/{min(cases, key=lambda s: s.rsplit('-', 1)[1])}")


def bench_size(size: int, args: argparse.Namespace, loadgen: LoadGen) -> SizeResult:
    work = args.reuse or Path(tempfile.mkdtemp(prefix=f"casebook-bench-{size}-"))
    try:
        started = time.perf_counter()
        if args.reuse:
            library = reused(work / "content", size)
            env = _env(library, work / "data")
            full = float("nan")
            print(f"[{size}] reusing {work}: no full sync timed", flush=True)
        else:
            library = generate(work / "content", size, args.seed)
            print(
                f"[{size}] generated {size} entries in {time.perf_counter() - started:.1f} s under {work}", flush=True
            )
            env = _env(library, work / "data")
            full = time_process([CLI, "sync", "-q"], env, work)
            print(f"[{size}] full sync {full:.2f} s", flush=True)
        nochange = time_process([CLI, "sync", "-q"], env, work)
        print(f"[{size}] no-change sync {nochange:.2f} s", flush=True)
        startup = time_process(["from casebook import create_app; create_app()"], env, work)
        result = SizeResult(size, SyncTiming(full, nochange, startup))

        topics = [slug for slug, _ in TOPICS]
        mixes = [
            mixes_module.realistic(library.root, topics, list(TAGS), list(PLACES), args.seed, args.zipf),
            mixes_module.uniform_entries(library.root, args.seed),
        ]
        for cached in (True, False):
            port = free_port()
            log = work / "server.log"
            mode_env = {**env, "CASEBOOK_PAGE_CACHE": "1" if cached else "0"}
            suffix = "" if cached else " (no cache)"
            proc = start_server(mode_env, work, port, args.workers, args.server_threads, log)
            try:
                wait_healthy(proc, port, log)
                status, page = fetch(port, library.entry_path)
                if status != 200:
                    raise ServerFailed(f"{library.entry_path} answered {status}")
                # Same name as before the syncs, so the rules fingerprint is unchanged.
                probe = random.Random(args.seed).randbytes(len(page))
                (library.root / "media" / "probe.png").write_bytes(probe)
                static = single("static probe", "/media/probe.png")
                targets = [static]
                if not args.mixes_only:
                    targets += [
                        single("home" + suffix, "/"),
                        single("topic" + suffix, f"/topics/{library.topic_slug}"),
                        single("share" + suffix, f"/topics/{library.topic_slug}/share"),
                        single("entry" + suffix, library.entry_path),
                    ]
                targets += [Mix(mix.label + suffix, mix.paths, mix.urls) for mix in mixes]
                targets.append(static)  # before and after: the ratios use the mean of both
                for mix in targets:
                    size_bytes = 0
                    if mix.urls == 1:
                        status, body = fetch(port, mix.paths[0])
                        size_bytes = len(body)
                        if status != 200:
                            print(f"[{size}] warning: {mix.paths[0]} answered {status}", file=sys.stderr)
                    loadgen.run(port, mix, work, 1)  # warm-up, untimed
                    load = loadgen.run(port, mix, work, args.duration)
                    path = mix.paths[0] if mix.urls == 1 else f"{mix.urls:,} URLs"
                    result.pages.append(PageResult(mix.label, path, size_bytes, load, mix.urls, cached))
                    print(
                        f"[{size}] {mix.label} {path}: {load.rate:.1f} req/s, p50/p95/p99 "
                        f"{load.p50_ms:.1f}/{load.p95_ms:.1f}/{load.p99_ms:.1f} ms, {load.errors} errors",
                        flush=True,
                    )
            finally:
                stop_server(proc)
    finally:
        if args.keep or args.reuse:
            print(f"[{size}] kept {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


# --- report -----------------------------------------------------------------------------


def report(
    results: Sequence[SizeResult], args: argparse.Namespace, loadgen: LoadGen, load_before: float, version: str
) -> str:
    now = code_version()
    lines = [
        "",
        f"casebook {version}"
        + (
            ""
            if now == version
            else f" at the start, {now} at the end: the code changed during the run, so the figures mix versions"
        ),
        f"casebook benchmark — seed {args.seed}, {os.cpu_count()} CPUs (1-min load average "
        f"{load_before:.2f} before the run, {os.getloadavg()[0]:.2f} after), server {args.workers} workers "
        f"x {args.server_threads} threads",
        f"load generator: {loadgen.describe()}, {args.duration} s per page after a 1 s warm-up",
        "",
        f"{'size':>6}  {'full sync':>10}  {'entries/s':>9}  {'no-change sync':>14}  {'entries/s':>9}  "
        f"{'start-up':>8}  target",
    ]
    for r in results:
        target = ""
        if r.size >= SYNC_TARGET_SIZE:
            target = f"≤ {SYNC_TARGET_S:g} s: {'met' if r.sync.nochange_s <= SYNC_TARGET_S else 'MISSED'}"
        lines.append(
            f"{r.size:>6}  {r.sync.full_s:>8.2f} s  {r.size / r.sync.full_s:>9.0f}  "
            f"{r.sync.nochange_s:>12.2f} s  {r.size / r.sync.nochange_s:>9.0f}  "
            f"{r.sync.startup_s:>6.2f} s  {target}"
        )
    lines.append("(start-up: a process that only imports casebook and creates the app; both syncs include it)")
    lines += [
        "",
        "as served: the page cache on (each process keeps 512 pages, keyed by the catalog generation); "
        "no cache: CASEBOOK_PAGE_CACHE=0, every page rendered",
        "vs static: req/s over the mean of the static probe's two runs (first and last) in the same server run",
        "",
        f"{'size':>6}  {'page or mix':<44} {'bytes':>7}  {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}  "
        f"{'p99 ms':>7}  {'errors':>6}  {'vs static':>9}  target",
    ]
    for r in results:
        for p in r.pages:
            statics = [q.load.rate for q in r.pages if q.label == "static probe" and q.cached == p.cached]
            static = sum(statics) / len(statics) if statics else 0.0
            ratio = p.load.rate / static if static else 0.0
            lines.append(
                f"{r.size:>6}  {p.label + ' ' + p.path:<44} {p.size or '':>7}  {p.load.rate:>7.1f}  "
                f"{p.load.p50_ms:>7.1f}  {p.load.p95_ms:>7.1f}  {p.load.p99_ms:>7.1f}  {p.load.errors:>6}  "
                f"{ratio:>9.2f}  {verdict(r.size, p, ratio)}"
            )
    return "\n".join(lines)


def verdict(size: int, page: PageResult, ratio: float) -> str:
    """The issue's targets: hot pages as served ≥ 0.40 of static; the uniform and realistic mixes' rates."""
    if page.label == "static probe" or not page.cached:
        return ""
    if page.urls == 1:
        return f"≥ {RATIO_TARGET:.2f}: {'met' if ratio >= RATIO_TARGET else 'MISSED'}"
    if page.label.startswith("uniform") and size == UNIFORM_TARGET[0]:
        return f"≥ {UNIFORM_TARGET[1]} req/s: {'met' if page.load.rate >= UNIFORM_TARGET[1] else 'MISSED'}"
    if page.label.startswith("realistic") and size == REALISTIC_TARGET[0]:
        rate, p95 = REALISTIC_TARGET[1], REALISTIC_TARGET[2]
        met = page.load.rate >= rate and page.load.p95_ms < p95
        return f"≥ {rate} req/s, p95 < {p95} ms: {'met' if met else 'MISSED'}"
    return ""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 10000], help="library sizes (entries) to benchmark"
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the content generator")
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "builtin"),
        default="auto",
        help="wrk if on PATH (auto), or the built-in http.client generator",
    )
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--server-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--keep", action="store_true", help="keep each generated tree and database")
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="measure a library kept by --keep (its content/ and data/; one size) instead of generating one",
    )
    parser.add_argument("--zipf", type=float, default=1.0, help="exponent s of the realistic mix (rank r ~ 1/r^s)")
    parser.add_argument(
        "--mixes-only", action="store_true", help="measure the static probe and the two mixes, not the hot URLs"
    )
    args = parser.parse_args(argv)
    if args.duration < 1:
        parser.error("--duration must be at least 1 second")
    if args.reuse and len(args.sizes) != 1:
        parser.error("--reuse measures one library: give one size")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    loadgen = pick_loadgen(args.loadgen, args.connections, args.wrk_threads)
    load_before = os.getloadavg()[0]
    version = code_version()
    print(
        f"casebook {version}; seed {args.seed}; sizes {args.sizes}; load generator {loadgen.name}; "
        f"1-min load average {load_before:.2f} (other work on this machine skews req/s)",
        flush=True,
    )
    results: list[SizeResult] = []
    try:
        for size in args.sizes:
            results.append(bench_size(size, args, loadgen))
    except ServerFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        if results:
            print(report(results, args, loadgen, load_before, version))
        return 1
    print(report(results, args, loadgen, load_before, version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
