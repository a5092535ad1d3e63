"""Benchmark the importer's converter on generated documents of growing length.

For each size it builds, from ``random.Random(--seed)``, a transcript the way staff bring one in:
a title, fact lines, ``一、`` sections, ``（一）`` subsections, numbered and bulleted lists and
问/答/张书记 lines (about 40 characters each), as plain text, as the HTML a Word paste carries and
as a .docx (python-docx). It times, in this one process, one after the other, with the same warm-up:

* ``from_text``, ``from_html``, ``from_docx`` and ``tidy`` (the 整理格式 button) on that document;
* the baseline: ``render.render_markdown`` (Python-Markdown + nh3, what every save and sync already
  does) on the converter's own output, so each figure is also a ratio to work the app does anyway.

Printed per size: paragraphs, characters, seconds per call (median of ``--repeat``) and the ratio
to the baseline. The point is the shape: time must grow linearly with the length (a 40,000-line
transcript must not take minutes inside a request). Run: ``python bench/convert.py``.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import time
from collections.abc import Callable

import docx

from casebook.convert import from_docx, from_html, from_text, tidy
from casebook.render import render_markdown

WORDS = ("楼院", "居民", "党小组", "议事会", "物业", "停车", "加装电梯", "志愿者", "网格员", "社区书记", "台账", "公约")


def lines(count: int, rng: random.Random) -> list[str]:
    out = ["社区书记谈治理：楼院议事会", "访谈时间：2022年3月1日", "受访者：张书记（农业银行社区党委书记）"]
    section = 0
    while len(out) < count:
        section += 1
        out.append(f"{'一二三四五六七八九十'[(section - 1) % 10]}、第{section}部分")
        for sub in range(1, 4):
            out.append(f"（{'一二三'[sub - 1]}）小节{sub}")
            for n in range(1, 4):
                out.append(f"{n}.{''.join(rng.choices(WORDS, k=6))}。")
            out.append("●" + "".join(rng.choices(WORDS, k=5)))
            for speaker in ("问", "答", "张书记"):
                out.append(f"{speaker}：{''.join(rng.choices(WORDS, k=10))}。")
    return out[:count]


def as_docx(text_lines: list[str]) -> bytes:
    document = docx.Document()
    for line in text_lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def timed(call: Callable[[], object], repeat: int) -> float:
    call()  # warm-up: imports, regex caches
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 40_000], help="lines per document")
    parser.add_argument("--seed", type=int, default=20241203)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"casebook {commit or '?'}; seed {args.seed}; 1-min load {os.getloadavg()[0]:.2f}; one process, one thread")
    print("| lines | characters | step | seconds | × baseline |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        run_size(size, args.seed, args.repeat)


def run_size(size: int, seed: int, repeat: int) -> None:
    text_lines = lines(size, random.Random(seed))
    text = "\n".join(text_lines)
    html = "".join(f"<p class=MsoNormal>{line}</p>" for line in text_lines)
    data = as_docx(text_lines)
    markdown = from_text(text).markdown
    baseline = timed(lambda: render_markdown(markdown), repeat)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("from_text", lambda: from_text(text)),
        ("from_html (Word paste)", lambda: from_html(html)),
        ("from_docx", lambda: from_docx(data)),
        ("tidy (整理格式)", lambda: tidy(markdown)),
    ]
    print(f"| {size:,} | {len(text):,} | baseline: render_markdown | {baseline:.3f} | 1.0 |")
    for label, call in steps:
        seconds = timed(call, repeat)
        print(f"| {size:,} | {len(text):,} | {label} | {seconds:.3f} | {seconds / baseline:.1f} |")


if __name__ == "__main__":
    main()
