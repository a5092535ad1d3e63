"""URL mixes for ``bench/pages.py``, and load generators that report latency percentiles.

A mix is a fixed, seeded sequence of paths that every load generator walks in order, each of its
connections (built-in) or threads (wrk) starting at its own offset and wrapping around:

* ``realistic``: every topic, share, list, tag, street, search and entry URL of the library,
  drawn Zipf-like (the URL at rank r is asked for in proportion to 1/r^s, s = 1 by default) from a
  seeded random ranking with the home page first: a few hot pages, a long tail of cold ones;
* ``uniform entries``: every entry page once, shuffled — readers spread evenly over the library;
* a single path (the hot-URL figures and the static probe) is a mix of one.

wrk gets the sequence through a small Lua script (written next to the sequence file) that also
prints the 50th, 95th and 99th latency percentiles; the built-in generator times every request.
"""

from __future__ import annotations

import http.client
import random
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

HOST = "127.0.0.1"
DRAWS = 50_000
"""Length of the realistic sequence: far more requests than one run makes at these rates."""
SEARCH_TERMS = ("楼院", "物业", "加装电梯", "议事会", "居民公约", "志愿者", "停车难题", "助餐点", "网格员", "维修资金")
SEARCH_PAIRS = ("楼院 自治", "物业 业委会", "老年人 助餐点", "党员 志愿者", "环境卫生 积分制度")

WRK_SCRIPT = """-- GET the paths listed (one a line) in the file $PATHS, in order, each thread from its own offset
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local paths = {}
local index = 1
function init(args)
  for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
  index = (id * 7919) % #paths + 1
end
function request()
  local path = paths[index]
  index = index % #paths + 1
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  io.write(string.format("LATENCY %d %d %d\\n", latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class Mix:
    """A named sequence of paths, and how many distinct URLs it covers."""

    label: str
    paths: list[str]
    urls: int

    def write(self, folder: Path) -> Path:
        name = re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-") or "mix"
        target = folder / f"mix-{name}.txt"
        target.write_text("\n".join(self.paths) + "\n", encoding="utf-8")
        return target


def single(label: str, path: str) -> Mix:
    return Mix(label, [path], 1)


def entry_paths(root: Path) -> list[str]:
    """Every entry page of the generated library (``/cases/<slug>`` …), in file order."""
    return [
        f"/{folder}/{path.stem}"
        for folder in ("interviews", "salons", "cases")
        for path in sorted((root / folder).glob("*.md"))
    ]


def site_paths(root: Path, topics: list[str], tags: list[str], streets: list[str]) -> list[str]:
    """Every reader-facing URL of the library except the home page: topics, shares, lists, tags, streets,
    searches and entries."""
    paths = [f"/topics/{slug}" for slug in topics] + [f"/topics/{slug}/share" for slug in topics]
    for folder in ("interviews", "salons", "cases"):
        paths += [f"/{folder}/"] + [f"/{folder}/?page={page}" for page in (2, 3)]
    paths += [f"/tags/{quote(tag)}" for tag in tags] + [f"/streets/{quote(street)}" for street in streets]
    paths += [f"/search?q={quote(term)}" for term in (*SEARCH_TERMS, *SEARCH_PAIRS)]
    return paths + entry_paths(root)


def realistic(root: Path, topics: list[str], tags: list[str], streets: list[str], seed: int, s: float = 1.0) -> Mix:
    """Zipf-like draws over every URL of the library, the home page the hottest."""
    rng = random.Random(seed)
    ranked = site_paths(root, topics, tags, streets)
    rng.shuffle(ranked)
    ranked.insert(0, "/")
    weights = [1 / (rank**s) for rank in range(1, len(ranked) + 1)]
    return Mix(f"realistic mix (Zipf s={s:g})", rng.choices(ranked, weights=weights, k=DRAWS), len(ranked))


def uniform_entries(root: Path, seed: int) -> Mix:
    """Every entry page once, shuffled."""
    paths = entry_paths(root)
    random.Random(seed).shuffle(paths)
    return Mix("uniform over entries", paths, len(paths))


# --- load generators --------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    samples: list[float] = field(default_factory=list, repr=False)
    """Every request's latency in ms (built-in generator only; wrk reports percentiles)."""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def run_wrk(port: int, paths_file: Path, seconds: int, connections: int, threads: int) -> LoadResult:
    script = paths_file.parent / "mix.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT, encoding="utf-8")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script)]
    out = subprocess.run(
        [*command, f"http://{HOST}:{port}"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
        env={"PATHS": str(paths_file), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    latency = re.search(r"LATENCY (\d+) (\d+) (\d+)", out)
    if total is None or latency is None:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    requests = int(total.group(1))
    p50, p95, p99 = (int(v) / 1000 for v in latency.groups())
    return LoadResult(max(0, requests - errors), errors, float(total.group(2)) * scale, p50, p95, p99)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_builtin(port: int, paths: list[str], seconds: float, connections: int) -> LoadResult:
    """``connections`` threads, each walking ``paths`` from its own offset over one keep-alive connection."""
    return run_builtin_spread([port], paths, seconds, connections)


def run_builtin_spread(ports: list[int], paths: list[str], seconds: float, connections: int) -> LoadResult:
    """As ``run_builtin``, connection ``i`` pinned to server ``ports[i % len(ports)]``: the load spread
    evenly over several servers, one req/s for all of them and the percentiles of every request's
    latency together (the samples are kept in the result, so runs can be merged)."""
    ok = [0] * connections
    bad = [0] * connections
    times: list[list[float]] = [[] for _ in range(connections)]
    ready = threading.Barrier(connections + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(HOST, ports[index % len(ports)], timeout=30)
        position = index * 7919 % len(paths)
        ready.wait()
        while (started := time.perf_counter()) < deadline[0]:
            path = paths[position]
            position = (position + 1) % len(paths)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                times[index].append((time.perf_counter() - started) * 1000)
                if response.status == 200:
                    ok[index] += 1
                else:
                    bad[index] += 1
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                bad[index] += 1
                conn.close()
        conn.close()

    workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(connections)]
    for worker in workers:
        worker.start()
    start = time.perf_counter()
    deadline[0] = start + seconds
    ready.wait()
    for worker in workers:
        worker.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - start
    latencies = [t for per_thread in times for t in per_thread]
    return LoadResult(
        sum(ok),
        sum(bad),
        elapsed,
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(latencies, 99),
        latencies,
    )


def merged(results: list[LoadResult]) -> LoadResult:
    """Several timed runs of the built-in generator as one: requests and seconds summed (req/s is
    their ratio), percentiles over every run's samples together."""
    samples = [t for result in results for t in result.samples]
    return LoadResult(
        sum(r.requests for r in results),
        sum(r.errors for r in results),
        sum(r.seconds for r in results),
        percentile(samples, 50),
        percentile(samples, 95),
        percentile(samples, 99),
        samples,
    )
