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

With ``--readers-postgres [ADMIN_URL]``, each size also gets two readers on PostgreSQL against one
SQLite server: the library is synced by a writer (``casebook sync``, ``CASEBOOK_SEARCH=postgres``)
into a database made for the run on that server (dropped at the end unless ``--keep``); then one
SQLite + Whoosh server with 2 x ``--reader-workers`` workers and two readers
(``CASEBOOK_INSTANCE=reader``, no content folder, no data folder) with ``--reader-workers`` each, all
with ``--reader-threads`` threads, serve the realistic mix as served. A sample of the mix's URLs
must answer 200 on every server before anything is timed. Both sides are driven by the built-in
generator (every latency sample is needed to merge the two readers' percentiles), the same
connections pinned alternately to the two readers, ``--readers-rounds`` runs each in A B, B A order,
merged: req/s, p50/p95/p99 side by side and their ratio. PostgreSQL shares the machine's CPUs with
the app servers and the load generator.

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
    python bench/pages.py --sizes 1000 --readers-postgres --readers-only   # two readers vs SQLite only

The exit status is 0 unless the server failed to start (or a sync crashed); no figure is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mixes as mixes_module
from library import PLACES, TAGS, TOPICS, Library, generate
from mixes import LoadResult, Mix, merged, run_builtin, run_builtin_spread, run_wrk, single
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
PG_ADMIN_URL = "postgresql+psycopg://casebook:casebook@127.0.0.1:5432/postgres"
"""``--readers-postgres`` without a URL: ``CASEBOOK_BENCH_POSTGRES_URL`` if set, else this (as bench/search.py)."""
READERS = 2
"""Reader servers in the PostgreSQL side of ``--readers-postgres``."""
CHECK_URLS = 60
"""Distinct URLs of the mix fetched on every server before timing: each must answer 200."""


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
class Side:
    """One side of the readers comparison: its servers and its timed runs of the realistic mix."""

    label: str
    servers: int
    workers: int
    threads: int
    runs: list[LoadResult] = field(default_factory=list)

    @property
    def total(self) -> LoadResult:
        return merged(self.runs)

    def describe(self) -> str:
        servers = f"{self.servers} servers" if self.servers > 1 else "1 server"
        each = " each" if self.servers > 1 else ""
        return f"{servers}, {self.workers} worker(s) x {self.threads} threads{each}"


@dataclass
class ReadersResult:
    sqlite: Side
    postgres: Side
    pg_sync_s: float
    pg_version: str
    checked: int
    load_before: float
    load_after: float


@dataclass
class SizeResult:
    size: int
    sync: SyncTiming
    pages: list[PageResult] = field(default_factory=list)
    readers: ReadersResult | None = None


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
        for cached in (True, False) if not args.readers_only else ():
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
        if args.readers_postgres:
            result.readers = bench_readers(size, library, env, work, mixes[0], args)
    finally:
        if args.keep or args.reuse:
            print(f"[{size}] kept {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


# --- two readers on PostgreSQL vs one SQLite server -------------------------------------


def create_database(admin_url: str) -> tuple[str, str]:
    """A new, empty database on the server of ``admin_url`` (a role that may create databases):
    its URL and the server's version."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import SQLAlchemyError

    admin = make_url(admin_url)
    name = f"casebook_bench_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            version = str(connection.scalar(text("SHOW server_version")))
    except SQLAlchemyError as exc:
        shown = admin.render_as_string(hide_password=True)
        raise ServerFailed(f"--readers-postgres: cannot create a database on {shown}: {exc}") from exc
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False), version


def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def sample_urls(mix: Mix, seed: int, count: int = CHECK_URLS) -> list[str]:
    """Distinct URLs of ``mix`` to check before timing: the hottest of every kind (home, topic,
    share, list, tag, street, search, entry), then the hottest overall, then seeded draws from the
    tail."""
    ranked = [path for path, _ in Counter(mix.paths).most_common()]

    def kind(path: str) -> str:
        parts = path.split("?", 1)[0].strip("/").split("/")
        return f"{parts[0]}:{len(parts)}:{parts[-1] == 'share'}:{'?' in path}"

    chosen: dict[str, None] = {}
    for path in ranked:
        if kind(path) not in {kind(p) for p in chosen}:
            chosen[path] = None
    for path in ranked[: count // 2]:
        chosen[path] = None
    tail = [path for path in ranked if path not in chosen]
    for path in random.Random(seed).sample(tail, min(len(tail), max(0, count - len(chosen)))):
        chosen[path] = None
    return list(chosen)


def check_servers(size: int, ports: dict[str, int], urls: list[str]) -> None:
    """Every URL answers 200 on every server: a wrong setup must not time fast 404s."""
    failures = []
    for name, port in ports.items():
        for path in urls:
            status, _ = fetch(port, path)
            if status != 200:
                failures.append(f"{name} {path}: {status}")
    if failures:
        raise ServerFailed(f"[{size}] before timing, not every mix URL answered 200:\n" + "\n".join(failures[:20]))
    print(f"[{size}] {len(urls)} distinct mix URLs answered 200 on {', '.join(ports)}", flush=True)


def bench_readers(
    size: int, library: Library, env: dict[str, str], work: Path, mix: Mix, args: argparse.Namespace
) -> ReadersResult:
    """The realistic mix, as served, on one SQLite server (SQLite + Whoosh, the library synced above)
    and on two readers sharing one PostgreSQL database (CASEBOOK_SEARCH=postgres) that a writer's
    ``casebook sync`` filled from the same library; both sides with the same workers x threads in
    all, the same built-in load generator and connections, alternating A B B A … by rounds."""
    url, pg_version = create_database(args.readers_postgres)
    print(f"[{size}] readers: database {url.rsplit('/', 1)[1]} on PostgreSQL {pg_version}", flush=True)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        shared = {
            "CASEBOOK_DATABASE_URL": url,
            "CASEBOOK_SEARCH": "postgres",
            "CASEBOOK_SECRET_KEY": secrets.token_hex(32),
            "CASEBOOK_PAGE_CACHE": "1",
        }
        writer_env = {**env, **shared, "CASEBOOK_DATA_DIR": str(work / "pg-writer-data")}
        pg_sync = time_process([CLI, "sync", "-q"], writer_env, work)
        print(f"[{size}] readers: full sync into PostgreSQL (writer) {pg_sync:.2f} s", flush=True)

        sqlite = Side("SQLite + Whoosh, one server", 1, READERS * args.reader_workers, args.reader_threads)
        postgres = Side(f"PostgreSQL, {READERS} readers", READERS, args.reader_workers, args.reader_threads)
        sqlite_port = free_port()
        procs.append(
            start_server(
                {**env, "CASEBOOK_PAGE_CACHE": "1"},
                work,
                sqlite_port,
                sqlite.workers,
                sqlite.threads,
                work / "sqlite-server.log",
            )
        )
        wait_healthy(procs[-1], sqlite_port, work / "sqlite-server.log")
        reader_ports = []
        for n in range(READERS):
            reader_env = {
                **env,
                **shared,
                "CASEBOOK_INSTANCE": "reader",
                "CASEBOOK_CONTENT_DIR": str(work / "no-content"),  # does not exist: a reader needs none
                "CASEBOOK_DATA_DIR": str(work / f"no-data-{n}"),  # nor a data folder
            }
            port = free_port()
            log = work / f"reader-{n}.log"
            procs.append(start_server(reader_env, work, port, postgres.workers, postgres.threads, log))
            wait_healthy(procs[-1], port, log)
            reader_ports.append(port)
        for folder in ("no-content", *(f"no-data-{n}" for n in range(READERS))):
            if (work / folder).exists():
                raise ServerFailed(f"a reader made {work / folder}: it must keep no content or data folder")

        urls = sample_urls(mix, args.seed)
        check_servers(size, {"sqlite": sqlite_port, **{f"reader {n + 1}": p for n, p in enumerate(reader_ports)}}, urls)

        load_before = os.getloadavg()[0]
        sides = {"sqlite": (sqlite, [sqlite_port]), "postgres": (postgres, reader_ports)}
        for round_ in range(args.readers_rounds):
            order = ("sqlite", "postgres") if round_ % 2 == 0 else ("postgres", "sqlite")
            for key in order:
                side, ports = sides[key]
                run_builtin_spread(ports, mix.paths, 1, args.connections)  # warm-up, untimed
                load = run_builtin_spread(ports, mix.paths, args.duration, args.connections)
                side.runs.append(load)
                print(
                    f"[{size}] readers round {round_ + 1}: {side.label}: {load.rate:.1f} req/s, p50/p95/p99 "
                    f"{load.p50_ms:.1f}/{load.p95_ms:.1f}/{load.p99_ms:.1f} ms, {load.errors} errors "
                    f"(1-min load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
        return ReadersResult(sqlite, postgres, pg_sync, pg_version, len(urls), load_before, os.getloadavg()[0])
    finally:
        for proc in procs:
            stop_server(proc)
        if args.keep:
            print(f"[{size}] kept database {url}", flush=True)
        else:
            drop_database(args.readers_postgres, url)


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
    if not any(r.pages for r in results):  # --readers-only
        return "\n".join(lines + readers_report(results, args))
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
    if any(r.readers for r in results):
        lines += readers_report(results, args)
    return "\n".join(lines)


def readers_report(results: Sequence[SizeResult], args: argparse.Namespace) -> list[str]:
    first = next((r.readers for r in results if r.readers), None)
    if first is None:
        return []
    lines = [
        "",
        f"two readers on PostgreSQL vs one SQLite server: the realistic mix (Zipf s={args.zipf:g}), as served, "
        f"same seed and URLs on both sides",
        f"  SQLite: {first.sqlite.describe()} (SQLite + Whoosh); PostgreSQL {first.pg_version}: "
        f"{first.postgres.describe()} (CASEBOOK_INSTANCE=reader, CASEBOOK_SEARCH=postgres, no content or data "
        "folder), the database filled by a writer's casebook sync",
        f"  load generator: built-in http.client, {args.connections} threads with one keep-alive connection each "
        f"(pinned alternately to the {READERS} readers), {args.duration} s per run after a 1 s warm-up, "
        f"{args.readers_rounds} round(s) alternating the order (A B, B A, …), runs merged",
        f"  all on this one machine ({os.cpu_count()} CPUs): PostgreSQL shares them with the app servers and the load "
        "generator; the 1-min load average is given per size",
        "",
        f"{'size':>6}  {'side':<34} {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  {'errors':>6}  "
        f"{'rounds req/s':<20}",
    ]
    for r in results:
        if r.readers is None:
            continue
        pair = r.readers
        for side in (pair.sqlite, pair.postgres):
            load = side.total
            rounds = ", ".join(f"{run.rate:.0f}" for run in side.runs)
            lines.append(
                f"{r.size:>6}  {side.label:<34} {load.rate:>7.1f}  {load.p50_ms:>7.1f}  {load.p95_ms:>7.1f}  "
                f"{load.p99_ms:>7.1f}  {load.errors:>6}  {rounds:<20}"
            )
        a, b = pair.sqlite.total, pair.postgres.total
        lines.append(
            f"{r.size:>6}  {'PostgreSQL / SQLite':<34} {times(b.rate, a.rate):>7}  {times(b.p50_ms, a.p50_ms):>7}  "
            f"{times(b.p95_ms, a.p95_ms):>7}  {times(b.p99_ms, a.p99_ms):>7}"
        )
        lines.append(
            f"{'':>6}  ({pair.checked} distinct mix URLs checked 200 on every server before timing; full sync into "
            f"PostgreSQL {pair.pg_sync_s:.2f} s; 1-min load average {pair.load_before:.2f} before the timed runs, "
            f"{pair.load_after:.2f} after)"
        )
    return lines


def times(value: float, base: float) -> str:
    return f"x{value / base:.2f}" if base else "-"


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
    parser.add_argument(
        "--readers-postgres",
        nargs="?",
        const=os.environ.get("CASEBOOK_BENCH_POSTGRES_URL", PG_ADMIN_URL),
        default=None,
        metavar="ADMIN_URL",
        help="also measure the realistic mix on two readers sharing a PostgreSQL database made for the run "
        "on this server (a role that may create databases; without a URL: CASEBOOK_BENCH_POSTGRES_URL, else "
        f"{PG_ADMIN_URL.replace('casebook:casebook', 'casebook:***')}) against one SQLite server with the same "
        "workers x threads in all; the database is dropped at the end unless --keep",
    )
    parser.add_argument("--reader-workers", type=int, default=1, help="gunicorn workers of each reader")
    parser.add_argument(
        "--reader-threads",
        type=int,
        default=4,
        help="threads per worker, readers and their SQLite baseline (which gets 2 x --reader-workers workers)",
    )
    parser.add_argument(
        "--readers-rounds", type=int, default=2, help="timed runs of each side, alternating which goes first"
    )
    parser.add_argument(
        "--readers-only",
        action="store_true",
        help="with --readers-postgres: skip the one-server page and mix runs (the syncs are still timed)",
    )
    args = parser.parse_args(argv)
    if args.duration < 1:
        parser.error("--duration must be at least 1 second")
    if args.readers_only and not args.readers_postgres:
        parser.error("--readers-only needs --readers-postgres")
    if min(args.reader_workers, args.reader_threads, args.readers_rounds) < 1:
        parser.error("--reader-workers, --reader-threads and --readers-rounds must be at least 1")
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
