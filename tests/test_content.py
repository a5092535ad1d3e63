"""Parsing and validating content files: problems carry path and line, nothing stops a load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from casebook import content
from casebook.content import Entry

from .conftest import WriteEntry


def problems_of(root: Path) -> list[str]:
    return [p.display(relative_to=root) for p in content.load(root).problems]


def test_valid_entry_loads_with_all_fields(content_dir: Path, write_entry: WriteEntry) -> None:
    write_entry(
        "interview",
        "good",
        body="## 小标题\n\n正文内容。",
        tags=["楼院", "自治"],
        street="林山寨街道",
        community="农业银行社区",
        people="王某某（社区党委书记）",
        sample=True,
        summary="摘要",
    )
    library = content.load(content_dir)
    assert library.problems == []
    entry = library.entries["interview/good"]
    assert entry.key == "interview/good"
    assert entry.date == dt.date(2022, 3, 1)
    assert entry.tags == ("楼院", "自治")
    assert entry.people == ("王某某（社区党委书记）",)  # a single string is a one-item list
    assert entry.sample is True and entry.status == "published"
    assert entry.body.startswith("## 小标题")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("---\ntitle: A\ntopic: louyuan\ndate: 2022-03-01\ntags: [a, b\n---\nx\n", "bad.md:5: YAML 格式错误"),
        ("---\ntopic: louyuan\ndate: 2022-03-01\n---\nx\n", "bad.md:1: 缺少必填字段 title"),
        ("---\ntitle: A\ndate: 2022-03-01\n---\nx\n", "bad.md:1: 缺少必填字段 topic"),
        ("---\ntitle: A\ntopic: nope\ndate: 2022-03-01\n---\nx\n", "bad.md:3: 未知主题“nope”"),
        ("---\ntitle: A\ntopic: louyuan\ndate: 2022-3-1\n---\nx\n", "bad.md:4: date：日期“2022-3-1”无效"),
        ("---\ntitle: A\ntopic: louyuan\ndate: 2022-02-30\n---\nx\n", "bad.md:4: date：日期"),
        ("---\ntitle: \ntopic: louyuan\ndate: 2022-03-01\n---\nx\n", "bad.md:2: title：不能为空"),
        ("---\ntitle: A\ntopic: louyuan\ndate: 2022-03-01\nstatus: live\n---\nx\n", "bad.md:5: status：“live”无效"),
        ("no front matter\n", "bad.md:1: 缺少 YAML 前置信息"),
        ("---\n- a\n- b\n---\nx\n", "bad.md:2: 前置信息应为“字段: 值”的映射"),
    ],
)
def test_broken_file_is_reported_with_line_and_skipped(
    content_dir: Path, write_entry: WriteEntry, raw: str, expected: str
) -> None:
    write_entry("case", "bad", raw=raw)
    write_entry("case", "fine")
    library = content.load(content_dir)
    found = [p.display(relative_to=content_dir / "cases") for p in library.problems]
    assert any(p.startswith(expected) for p in found), found
    assert "case/bad" not in library.entries
    assert "case/fine" in library.entries  # the rest keeps working


def test_unknown_keys_and_wrong_kind_keys_are_reported_not_fatal(content_dir: Path, write_entry: WriteEntry) -> None:
    write_entry("salon", "s1", auther="张三", people=["李四"])
    library = content.load(content_dir)
    messages = problems_of(content_dir)
    assert any("salons/s1.md:5: 未知字段“auther”" in m for m in messages), messages
    assert any("salons/s1.md:6: 字段“people”不适用于 salon" in m for m in messages), messages
    assert "salon/s1" in library.entries


def test_places_must_match_places_yml(content_dir: Path, write_entry: WriteEntry) -> None:
    write_entry("case", "a", street="林山寨")
    write_entry("case", "b", community="碧沙岗社区")
    write_entry("case", "c", street="秦岭路街道", community="农业银行社区")
    library = content.load(content_dir)
    messages = problems_of(content_dir)
    assert any("cases/a.md:5: 未知街道“林山寨”" in m and "林山寨街道" in m for m in messages), messages
    assert library.entries["case/a"].street is None  # never splits the street facet
    write_entry("case", "a2", street="林山寨", community="农业银行社区")
    assert content.load(content_dir).entries["case/a2"].street == "林山寨街道"  # the community's street
    assert library.entries["case/b"].street == "林山寨街道"  # a community implies its street
    assert any("cases/c.md:6: 社区“农业银行社区”属于林山寨街道，不属于秦岭路街道" in m for m in messages)
    assert library.entries["case/c"].community is None


def test_duplicate_slug_in_subfolder_is_reported(content_dir: Path, write_entry: WriteEntry) -> None:
    write_entry("case", "same")
    nested = content_dir / "cases" / "2023"
    nested.mkdir()
    (nested / "same.md").write_text((content_dir / "cases" / "same.md").read_text("utf-8"), "utf-8")
    library = content.load(content_dir)
    # sorted path order decides: cases/2023/same.md comes before cases/same.md
    assert any("cases/same.md:1: 重复的 slug：case/same 已由" in m for m in problems_of(content_dir))
    assert len(library.entries) == 1


def test_bad_slug_and_duplicate_yaml_key(content_dir: Path, write_entry: WriteEntry) -> None:
    write_entry("case", "Bad_Name")
    write_entry("case", "dup", raw="---\ntitle: A\ntitle: B\ntopic: louyuan\ndate: 2022-03-01\n---\nx\n")
    messages = problems_of(content_dir)
    assert any("cases/Bad_Name.md:1: 文件名“Bad_Name”不能用作网址" in m for m in messages)
    assert any("cases/dup.md:3: 字段“title”重复出现" in m for m in messages)


def test_topics_and_places_problems(content_dir: Path) -> None:
    (content_dir / "topics.yml").write_text(
        "- slug: a\n  number: 1\n  title: A\n- slug: b\n  number: 1\n  title: B\n- slug: Bad!\n  number: 3\n"
        "  title: C\n- slug: d\n  number: 4\n  title: D\n  colour: red\n",
        "utf-8",
    )
    (content_dir / "places.yml").write_text("街道: [a, b\n", "utf-8")
    library = content.load(content_dir)
    messages = [p.display(relative_to=content_dir) for p in library.problems]
    assert "topics.yml:4: 期号 1 重复" in messages
    assert "topics.yml:7: 主题 slug“Bad!”无效" in messages
    assert "topics.yml:10: 未知字段“colour”，已忽略" in messages
    assert any(m.startswith("places.yml:1: YAML 格式错误") for m in messages), messages
    assert set(library.rules.topics) == {"a", "d"}


def test_cover_must_exist_in_media(content_dir: Path, write_entry: WriteEntry) -> None:
    (content_dir / "media" / "pic.jpg").write_bytes(b"x")
    write_entry("case", "ok", cover="media/pic.jpg")
    write_entry("case", "missing", cover="gone.jpg")
    write_entry("case", "escape", cover="../topics.yml")
    write_entry("case", "remote", cover="https://example.org/a.jpg")
    library = content.load(content_dir)
    assert library.entries["case/ok"].cover == "pic.jpg"
    assert library.entries["case/missing"].cover is None
    assert library.entries["case/escape"].cover is None
    assert library.entries["case/remote"].cover == "https://example.org/a.jpg"
    messages = problems_of(content_dir)
    assert any("cases/missing.md:5: 封面文件 media/gone.jpg 不存在" in m for m in messages)
    assert any("cases/escape.md:5: cover：封面路径" in m for m in messages)


def test_serialize_and_parse_round_trip(content_dir: Path) -> None:
    rules, _ = content.load_rules(content_dir)
    entry = Entry(
        kind="case",
        slug="rt",
        title="标题: 含冒号 #号",
        topic="louyuan",
        date=dt.date(2022, 3, 1),
        body="## 做法\n\n- 一\n- 二\n",
        summary="摘要'引号\"",
        tags=("a", "b c"),
        street="林山寨街道",
        community="碧沙岗社区",
        region=None,
        scope="national",
        video="https://v.qq.com/x.mp4",
        status="draft",
        sample=True,
    )
    text = content.serialize(entry)
    parsed, problems = content.parse_text(text, "case", "rt", rules=rules, path=Path("rt.md"))
    assert [(p.level, p.field) for p in problems] == [("warning", "source")]  # a 微分享 without 出处: a 提示 only
    assert parsed == entry


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "x.md"
    content.write_atomic(target, "一\n")
    content.write_atomic(target, "二\n")
    assert target.read_text("utf-8") == "二\n"
    assert [p.name for p in target.parent.iterdir()] == ["x.md"]  # no temp files left behind


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("把楼院管起来", "ba-lou-yuan-guan-qi-lai"),
        ("陇海西路386号院", "long-hai-xi-lu-386-hao-yuan"),
        ("AED 进社区！", "aed-jin-she-qu"),
        ("！！！", ""),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert content.slugify(title) == slug
