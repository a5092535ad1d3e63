"""Guards the real content under ``content/``: every file loads, and the sample library reads like one."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from casebook import content, create_app
from casebook.catalog import sync
from casebook.db import db

ROOT = Path(__file__).resolve().parent.parent / "content"
LIBRARY = content.load(ROOT)
FILES = sorted(p for _, p in content.iter_entry_files(ROOT))
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_shipped_content_has_no_problems() -> None:
    assert [p.display(ROOT) for p in LIBRARY.problems] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_file_loads(path: Path) -> None:
    kind = next(k for k, d in content.KIND_DIRS.items() if path.relative_to(ROOT).parts[0] == d)
    entry, problems = content.parse_file(path, kind, LIBRARY.rules)
    assert problems == [] and entry is not None
    assert entry.is_public
    if entry.sample:
        assert len(CJK.findall(entry.body)) >= 500, "a sample body has at least 500 Chinese characters"


def test_topics_and_places() -> None:
    topics = sorted(LIBRARY.rules.topics.values(), key=lambda t: t.number)
    assert [t.number for t in topics] == list(range(1, 11))
    named = {
        "无主管楼院治理",
        "疫情防控",
        "社区社会组织培育及作用发挥",
        "党群服务中心规范化创建",
        "亲民化改造及作用发挥",
        "社区发展治理项目化管理",
        "辖区资源整合",
    }
    assert named <= {t.title for t in topics}
    assert sum(t.example for t in topics) == 3
    assert all(t.example for t in topics if t.title not in named)
    assert "农业银行社区" in LIBRARY.rules.places["林山寨街道"]


def test_topic_one_is_a_complete_loop() -> None:
    first = next(t for t in LIBRARY.rules.topics.values() if t.number == 1)
    entries = [e for e in LIBRARY.entries.values() if e.topic == first.slug]
    interview = [e for e in entries if e.kind == "interview"]
    assert len(interview) == 1
    assert (interview[0].street, interview[0].community) == ("林山寨街道", "农业银行社区")
    assert "陇海西路386号院" in interview[0].body
    assert len([e for e in entries if e.kind == "salon"]) >= 1
    assert len([e for e in entries if e.kind == "case" and e.scope == "local"]) >= 1
    regions = sorted(e.region or "" for e in entries if e.kind == "case" and e.scope == "national")
    assert len(regions) == 2 and any("成都" in r for r in regions) and any("重庆" in r for r in regions)


def test_library_size_and_coverage() -> None:
    assert len(LIBRARY.entries) >= 20
    kinds_per_topic: dict[str, set[str]] = {}
    for entry in LIBRARY.entries.values():
        kinds_per_topic.setdefault(entry.topic, set()).add(entry.kind)
    full = [t for t, kinds in kinds_per_topic.items() if kinds == set(content.KINDS)]
    assert len(full) >= 4  # topic 1 plus three more with every kind


def test_invented_content_is_marked_and_people_are_invented() -> None:
    article = ROOT.parent.parent / "shared" / "domain" / "source-article.txt"
    real_names = ["鲁燕", "蔡青", "宋少康"]
    for entry in LIBRARY.entries.values():
        assert entry.sample, f"{entry.key}: invented details must be marked sample: true"
        for name in real_names:
            assert name not in entry.body and all(name not in p for p in entry.people + entry.participants)
    if article.is_file():  # never copy the source article's sentences
        source = article.read_text("utf-8")
        runs = {source[i : i + 30] for i in range(len(source) - 29)}
        for entry in LIBRARY.entries.values():
            assert not any(entry.body[i : i + 30] in runs for i in range(len(entry.body) - 29)), entry.key


def test_no_thirty_character_run_is_shared_between_entries() -> None:
    windows = {key: {e.body[i : i + 30] for i in range(len(e.body) - 29)} for key, e in LIBRARY.entries.items()}
    shared = [(a, b) for a, b in combinations(sorted(windows), 2) if windows[a] & windows[b]]
    assert shared == []


def test_every_shipped_page_renders_with_sample_notice(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "CONTENT_DIR": ROOT, "DATA_DIR": tmp_path, "SITE_URL": "https://x.example"})
    with app.app_context():
        sync(db.session, ROOT)
        db.session.commit()
    client: FlaskClient = app.test_client()
    for entry in LIBRARY.entries.values():
        url = f"/{content.KIND_DIRS[entry.kind]}/{entry.slug}"
        page = client.get(url).get_data(as_text=True)
        assert entry.title in page, url
        assert "示例内容" in page, url
    for topic in LIBRARY.rules.topics:
        assert client.get(f"/topics/{topic}").status_code == 200


def test_shipped_library_is_searchable(tmp_path: Path) -> None:
    from casebook import indexing

    app = create_app({"TESTING": True, "CONTENT_DIR": ROOT, "DATA_DIR": tmp_path, "SITE_URL": "https://x.example"})
    with app.app_context():
        sync(db.session, ROOT)
        db.session.commit()
        indexing.rebuild(db.session, app.extensions["casebook.search"], ROOT)
    client = app.test_client()
    found = client.get("/api/search?q=陇海西路386号院").json
    assert "interview/louyuan-nongyeyinhang" in {f"{r['kind']}/{r['slug']}" for r in found["results"]}
    assert client.get("/api/search?q=三无楼院").json["total"] >= 5  # the glossary's synonym for 无主管楼院
