"""Whoosh vs PostgreSQL search on kept indexes: the 100k comparison without a 1.5-hour bench run.

``bench/search.py`` builds every setup from scratch each run. At 100,000 entries that is over an
hour before the first query, so this script keeps the two casebook indexes between runs: the Whoosh
index in a folder (``--workdir``) and the PostgreSQL one in a database named after the size
(``casebook_pair_<size>`` on ``CASEBOOK_BENCH_POSTGRES_URL``'s server). Each is built once (the
time is printed), and read again when its layout is current. Then the same corpus and the same 60
queries as ``bench/search.py`` (its generators and seed) are answered by the same
``search(index, q, per_page=20, expand=False)`` on both, in one process and one thread: one untimed
warm-up pass each, then ``--repeat`` timed runs; p50/p95 by query class and the ratios print.
``--updates N`` also times the PostgreSQL one-entry update as the bench does (update, then a
search that must find it; the median of N after one untimed). Drop the kept indexes with
``--drop``.

    python bench/search_pair.py --size 100000 --workdir /var/tmp/pair --repeat 3 --updates 7
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import search as bench  # bench/search.py: the corpus and query generators
from sqlalchemy import create_engine, make_url, text

from casebook.search import PgSearchIndex, SearchIndex, search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="corpus size (entries)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the corpus and query generators")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of every query (after one warm-up run)")
    parser.add_argument("--updates", type=int, default=0, help="PostgreSQL one-entry updates to time (median)")
    parser.add_argument("--workdir", type=Path, required=True, help="where the Whoosh index is kept")
    parser.add_argument("--drop", action="store_true", help="drop the kept indexes and stop")
    args = parser.parse_args()

    admin_url = make_url(os.environ.get("CASEBOOK_BENCH_POSTGRES_URL", bench.PG_ADMIN_URL))
    database = f"casebook_pair_{args.size}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    whoosh_dir = args.workdir / f"whoosh-{args.size}"
    if args.drop:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        shutil.rmtree(whoosh_dir, ignore_errors=True)
        return
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}):
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()

    corpus = bench.make_corpus(args.size, args.seed)
    queries = bench.pick_queries(corpus, args.seed)
    indexes: dict[str, SearchIndex | PgSearchIndex] = {
        "whoosh": SearchIndex(whoosh_dir),
        "postgres": PgSearchIndex(admin_url.set(database=database).render_as_string(hide_password=False)),
    }
    for name, index in indexes.items():
        if not index.usable():
            started = time.perf_counter()
            index.rebuild([bench.CasebookSetup.doc(e) for e in corpus.entries], total=args.size)
            took = time.perf_counter() - started
            bench.log(f"{name}: built in {took:.0f} s ({args.size / took:.0f} entries/s)")

    times: dict[str, dict[str, list[float]]] = {}
    for name, index in indexes.items():
        for query in queries:  # warm-up, untimed
            search(index, query.text, per_page=20, expand=False)
        times[name] = {query.text: [] for query in queries}
        for _ in range(args.repeat):
            for query in queries:
                started = time.perf_counter()
                search(index, query.text, per_page=20, expand=False)
                times[name][query.text].append((time.perf_counter() - started) * 1000)

    with indexes["postgres"].engine.connect() as connection:  # type: ignore[union-attr]
        buffers = connection.scalar(text("SHOW shared_buffers"))
    print(f"{args.size:,} entries, {len(queries)} queries × {args.repeat}; p50/p95 ms (ratio postgres/whoosh); "
          f"PostgreSQL shared_buffers {buffers}")  # fmt: skip
    for cls in [*dict.fromkeys(q.cls for q in queries), "all"]:
        cells = []
        values = {}
        for name in indexes:
            values[name] = [t for q in queries if cls in ("all", q.cls) for t in times[name][q.text]]
            cells.append(f"{name} {_ms(values[name])}")
        p50 = bench.percentile(values["postgres"], 0.5) / bench.percentile(values["whoosh"], 0.5)
        p95 = bench.percentile(values["postgres"], 0.95) / bench.percentile(values["whoosh"], 0.95)
        print(f"  {cls:10} " + "  ".join(cells) + f"  (×{p50:.2f} / ×{p95:.2f})")

    if args.updates:
        rng = random.Random(args.seed + args.size)
        index = indexes["postgres"]
        spent: list[float] = []
        for n in range(args.updates + 1):
            entry = corpus.entries[rng.randrange(args.size)]
            marker = f"pairmark{n}x{rng.randrange(10**6)}"
            started = time.perf_counter()
            index.update([bench.CasebookSetup.doc(bench._with_marker(entry, marker))])
            found = entry.key in {hit.key for hit in search(index, marker, expand=False).hits}
            if n:  # the first loads jieba's model
                spent.append((time.perf_counter() - started) * 1000)
            if not found:
                print(f"  update {n}: not found by the next search")
        print(f"  postgres one-entry update until found: median {statistics.median(spent):.1f} ms "
              f"(min {min(spent):.1f}, max {max(spent):.1f}, {len(spent)} updates)")  # fmt: skip
    for index in indexes.values():
        index.close()


def _ms(values: list[float]) -> str:
    return f"{bench.percentile(values, 0.5):.1f}/{bench.percentile(values, 0.95):.1f}"


if __name__ == "__main__":
    main()
