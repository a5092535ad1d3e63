"""Longer runs of the proofs (``tests/test_proofs.py``): the same scenarios (``tests/proofkit``) at
sizes of your choosing, their figures printed.

    python bench/proofs.py crash --saves 1000 --kills 50        # SIGKILL of the whole server during saves
    python bench/proofs.py synckill --entries 1000 --kills 20   # sync and reindex killed at random points
    python bench/proofs.py twoservers --saves-per-writer 150    # two servers + a sync loop, 4 writers
    python bench/proofs.py fulldisk                             # every method (tmpfs where allowed, shim) × layout
    python bench/proofs.py fuzz --content 2000 --public 3000 --posts 3000 --scripts 500 --random
    python bench/proofs.py all                                  # each of the above at these sizes

Exit status 1 when a figure shows a loss (an acknowledged save missing, a stale entry, a lost
update, a 500, a file neither published nor reported); a fuzzing failure prints Hypothesis's
smallest failing example. ``--keep`` keeps the work folder (logs of every server and command).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server import code_version  # noqa: E402  (bench/server.py)

from tests.proofkit import crash, fulldisk, fuzz, synckill, twoservers  # noqa: E402


def run_crash(work: Path, args: argparse.Namespace) -> bool:
    figures = crash.run(work, saves=args.saves, kills=args.kills, entries=args.entries, seed=args.seed, say=say)
    print(f"server kills: {figures.summary()}")
    lost = figures.lost_on_disk + figures.lost_in_catalog + figures.lost_in_search
    print_some("lost", lost)
    print_some("left over", figures.leftovers)
    return not lost and not figures.leftovers and not figures.refused and figures.check_status == 0


def run_synckill(work: Path, args: argparse.Namespace) -> bool:
    figures = synckill.run(
        work, entries=args.entries, kills=args.kills, per_round=args.per_round, seed=args.seed, say=say
    )
    print(f"sync/reindex kills: {figures.summary()}")
    print_some("stale", figures.stale)
    print_some("search errors", figures.search_errors)
    return figures.final_status == 0 and not figures.stale and not figures.search_errors


def run_twoservers(work: Path, args: argparse.Namespace) -> bool:
    figures = twoservers.run(
        work, saves_per_writer=args.saves_per_writer, writers=args.writers, hot=args.hot, seed=args.seed, say=say
    )
    print(f"two servers: {figures.summary()}")
    for name in ("lost_updates", "phantom_writes", "locked_mentions", "sync_failures"):
        print_some(name.replace("_", " "), getattr(figures, name))
    return (
        not figures.lost_updates
        and not figures.phantom_writes
        and not figures.locked_mentions
        and figures.server_errors == 0
        and not figures.sync_failures
    )


def run_fulldisk(work: Path, args: argparse.Namespace) -> bool:
    methods = [args.method] if args.method else (["tmpfs", "shim"] if fulldisk.can_mount() else ["shim"])
    layouts = [args.layout] if args.layout else ["both", "data"]
    ok = True
    for method in methods:
        for layout in layouts:
            figures = fulldisk.run(work / f"{method}-{layout}", method=method, layout=layout)
            print(f"full disk: {figures.summary()}")
            ok &= all(s.status_after == 302 and s.in_file and s.found == [s.slug] for s in figures.saves)
            ok &= figures.sync_status == 1 and figures.integrity == "ok" and figures.sync_after == 0
    return ok


def run_fuzz(work: Path, args: argparse.Namespace) -> bool:
    content = fuzz.run_content(work / "content-fuzz", examples=args.content, derandomize=not args.random)
    print(f"content fuzz: {content.summary()}")
    print_some("neither published nor reported", content.unaccounted)
    web = fuzz.run_web(
        work / "web-fuzz", public=args.public, posts=args.posts, scripts=args.scripts, derandomize=not args.random
    )
    print(f"web fuzz: {web.summary()}")
    return not content.unaccounted and not content.unreported_in_catalog and not content.good_missing and not web.errors


def say(line: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {line}", flush=True)


def print_some(label: str, items: Sequence[str], limit: int = 10) -> None:
    if items:
        print(f"  {label} ({len(items)}): " + "; ".join(items[:limit]) + (" …" if len(items) > limit else ""))


RUNS: dict[str, Callable[[Path, argparse.Namespace], bool]] = {
    "crash": run_crash,
    "synckill": run_synckill,
    "twoservers": run_twoservers,
    "fulldisk": run_fulldisk,
    "fuzz": run_fuzz,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("proof", choices=[*RUNS, "all"])
    parser.add_argument("--saves", type=int, default=1000, help="crash: saves (default 1000)")
    parser.add_argument("--kills", type=int, default=None, help="crash: 50, synckill: 20")
    parser.add_argument("--entries", type=int, default=None, help="crash: 20, synckill: 1000")
    parser.add_argument("--per-round", type=int, default=25, help="synckill: files changed per round")
    parser.add_argument("--saves-per-writer", type=int, default=150, help="twoservers (default 150)")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--hot", type=int, default=3, help="twoservers: entries all writers edit")
    parser.add_argument("--method", choices=["tmpfs", "shim"], help="fulldisk: one method only")
    parser.add_argument("--layout", choices=["both", "data"], help="fulldisk: one layout only")
    parser.add_argument("--content", type=int, default=2000, help="fuzz: content examples")
    parser.add_argument("--public", type=int, default=3000, help="fuzz: public GET examples")
    parser.add_argument("--posts", type=int, default=3000, help="fuzz: staff form examples")
    parser.add_argument("--scripts", type=int, default=500, help="fuzz: script endpoint examples")
    parser.add_argument("--random", action="store_true", help="fuzz: new examples each run (default: the same)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder and its logs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="casebook-proofs-"))
    load = os.getloadavg()[0]
    print(f"casebook {code_version()}; {os.cpu_count()} cores; 1-min load {load:.2f}; work folder {work}")
    ok = True
    try:
        for name in RUNS if args.proof == "all" else [args.proof]:
            sized = argparse.Namespace(**vars(args))
            sized.kills = args.kills or {"crash": 50, "synckill": 20}.get(name)
            sized.entries = args.entries or {"crash": 20, "synckill": 1000}.get(name)
            start = time.monotonic()
            passed = RUNS[name](work / name, sized)
            print(f"{name}: {'ok' if passed else 'FAILED'} in {time.monotonic() - start:.0f} s", flush=True)
            ok &= passed
    finally:
        print(f"1-min load after: {os.getloadavg()[0]:.2f}")
        if args.keep or not ok:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
