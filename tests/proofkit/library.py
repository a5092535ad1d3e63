"""Generated libraries for the proofs: a few topics and places, published cases with Chinese prose,
and marker words — made-up Latin-letter words that occur nowhere else, so that finding one in
search, a page or a file proves that one save or edit arrived there."""

from __future__ import annotations

import random
import string
from pathlib import Path

from ..conftest import PLACES, TOPICS
from .procs import Site

WORDS = (
    "社区", "居民", "楼院", "楼栋长", "党员", "志愿者", "议事会", "物业", "网格员", "老年人",
    "协商", "改造", "服务", "自治", "共建", "调解", "停车", "加装电梯", "垃圾分类", "文化活动",
)  # fmt: skip
TOPIC_SLUGS = ("louyuan", "yiqing", "extra")


def site(root: Path) -> Site:
    """An empty library under ``root``: content/ (topics, places, kind folders) and data/."""
    content = root / "content"
    for folder in ("interviews", "salons", "cases", "media"):
        (content / folder).mkdir(parents=True, exist_ok=True)
    (content / "topics.yml").write_text(TOPICS, encoding="utf-8")
    (content / "places.yml").write_text(PLACES, encoding="utf-8")
    return Site(content, root / "data", root)


def marker(n: int, prefix: str = "zq") -> str:
    """The ``n``-th marker word: ``prefix`` and letters only (the analyzer splits words at digits),
    ending in ``x`` so that no stemmer shortens it."""
    letters = ""
    for _ in range(5):
        n, digit = divmod(n, 26)
        letters = string.ascii_lowercase[digit] + letters
    return f"{prefix}{letters}x"


def prose(rng: random.Random, sentences: int) -> str:
    return "".join("".join(rng.choices(WORDS, k=rng.randint(4, 9))) + "。" for _ in range(sentences))


def entry_text(title: str, body: str, topic: str = "louyuan", extra: str = "") -> str:
    return f"---\ntitle: {title}\ntopic: {topic}\ndate: 2023-05-01\nscope: local\n{extra}---\n{body}\n"


def case_path(site: Site, slug: str) -> Path:
    return case_path_in(site.content, slug)


def case_path_in(content: Path, slug: str) -> Path:
    return content / "cases" / f"{slug}.md"


def write_cases(site: Site, count: int, seed: int = 13, sentences: int = 12) -> list[str]:
    """``count`` published cases ``p0000``…, each with a few paragraphs; their slugs."""
    rng = random.Random(seed)
    slugs = [f"p{n:04d}" for n in range(count)]
    for n, slug in enumerate(slugs):
        body = "\n\n".join(prose(rng, sentences // 3) for _ in range(3))
        text = entry_text(f"案例{n}：{''.join(rng.choices(WORDS, k=3))}", body, TOPIC_SLUGS[n % 3])
        case_path(site, slug).write_text(text, encoding="utf-8")
    return slugs


def set_body_marker(site: Site, slug: str, word: str) -> None:
    """Rewrite a case's last line to carry ``word`` (replacing an earlier marker line), atomically."""
    path = case_path(site, slug)
    lines = path.read_text("utf-8").rstrip("\n").split("\n")
    if lines[-1].startswith("标记词"):
        lines.pop()
    lines.append(f"标记词 {word}")
    tmp = path.with_name(f"{path.name}.proof-new")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def leftovers(content: Path) -> list[str]:
    """Temporary or kept copies a write left in the content folder (``.<name>.*.tmp`` / ``.keep``)."""
    return sorted(
        p.relative_to(content).as_posix()
        for p in content.rglob(".*")
        if p.is_file() and (p.name.endswith(".tmp") or p.name.endswith(".keep"))
    )
