"""Render times of a topic's PDFs (docs/benchmarks.md): the shipped sample's biggest topic and a
made-up topic of 20 long entries, each rendered cold (cache empty) through the app's routes.

    python bench/pdf.py
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from casebook import create_app
from casebook.catalog import sync
from casebook.db import db
from casebook.pagecache import entry_graph

ROOT = Path(__file__).resolve().parent.parent
PARA = "居民代表围绕楼院公共事务反复协商，院委会把议题、意见和结果逐条公开，物业、社区和街道各司其职。" * 6


def timed(client: Any, url: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf", url
    took = time.perf_counter() - start
    return took, len(answer.data), len(PdfReader(io.BytesIO(answer.data)).pages)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        content = Path(shutil.copytree(ROOT / "content", base / "content"))
        slug = "bench-long"
        with (content / "topics.yml").open("a", encoding="utf-8") as f:
            f.write(f"\n- slug: {slug}\n  number: 99\n  title: 二十篇长稿\n  summary: 压力测试用主题。\n")
        folder = content / "cases"
        for i in range(20):
            body = "\n\n".join(f"## 第{j + 1}节\n\n{PARA}" for j in range(12))
            (folder / f"bench-long-{i:02d}.md").write_text(
                f"---\ntitle: 长稿第{i + 1}篇\ntopic: {slug}\ndate: 2023-01-{i + 1:02d}\n---\n{body}\n",
                encoding="utf-8",
            )
        app = create_app({"CONTENT_DIR": content, "DATA_DIR": base / "data", "SITE_URL": "https://example.org"})
        with app.app_context():
            sync(db.session, content)
            db.session.commit()
            loops = entry_graph().loop_ids
            biggest = max((t for t in loops if t != slug), key=lambda t: len(loops[t]))
            print(f"biggest sample topic: {biggest} ({len(loops[biggest])} entries)")
        app.config["CASEBOOK_PAGE_CACHE"] = False  # every request renders
        client = app.test_client()
        for name, topic in (("sample's biggest", biggest), ("20 long entries", slug)):
            for kind, url in (("card", f"/topics/{topic}/card.pdf"), ("booklet", f"/topics/{topic}.pdf")):
                times = [timed(client, url) for _ in range(3)]
                best = min(t[0] for t in times)
                size, pages = times[0][1] / 1024, times[0][2]
                print(f"{name:18} {topic:22} {kind:8} best of 3 {best:6.2f} s  {size:7.0f} KiB {pages:4} pages")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
