"""glossary.yml and places.yml as rows: separators, per-row problems, clean YAML that reads back the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from casebook.cli import main
from casebook.content import load, load_glossary, load_rules
from casebook.content.glossary import dump_glossary, glossary_rows, parse_glossary_rows, read_glossary
from casebook.content.places import dump_places, parse_places_rows, places_rows, read_places
from casebook.content.wordlists import leading_comments, split_items

SEPARATED = "三无楼院，老旧散楼院、弃管楼院,无物业小区;楼院甲；楼院乙 楼院丙\u3000楼院丁"
EIGHT = ["三无楼院", "老旧散楼院", "弃管楼院", "无物业小区", "楼院甲", "楼院乙", "楼院丙", "楼院丁"]


def test_every_separator_splits_items() -> None:
    assert split_items(SEPARATED) == EIGHT
    assert split_items("  ，、 ") == []


def test_glossary_rows_with_every_separator_round_trip_through_yaml(tmp_path: Path) -> None:
    glossary, errors = parse_glossary_rows([("无主管楼院", SEPARATED), ("", ""), ("网格员", "网格长")])
    assert errors == {}
    assert glossary.groups == (("无主管楼院", *EIGHT), ("网格员", "网格长"))
    text = dump_glossary(glossary, "# 搜索词表\n")
    assert text == (
        "# 搜索词表\n- term: 无主管楼院\n  synonyms: [" + ", ".join(EIGHT) + "]\n- term: 网格员\n  synonyms: [网格长]\n"
    )
    (tmp_path / "glossary.yml").write_text(text, encoding="utf-8")
    again, problems = load_glossary(tmp_path)
    assert problems == [] and again.groups == glossary.groups
    assert glossary_rows(again) == [("无主管楼院", "、".join(EIGHT)), ("网格员", "网格长")]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(
                st.characters(blacklist_categories=["Cs", "Cc", "Zs", "Zl", "Zp"], blacklist_characters="，、,;；"),
                min_size=1,
                max_size=8,
            ),
            min_size=1,
            max_size=4,
        ),
        max_size=5,
    )
)
def test_any_valid_glossary_reads_back_as_written(groups: list[list[str]]) -> None:
    rows = [(words[0], "、".join(words[1:])) for words in groups]
    glossary, errors = parse_glossary_rows(rows)
    if errors:
        return  # repeated words: refused, nothing to write
    again, problems = read_glossary(dump_glossary(glossary), Path("glossary.yml"))
    assert problems == [] and again.groups == glossary.groups


def test_bad_glossary_rows_are_named_by_row() -> None:
    _, errors = parse_glossary_rows(
        [
            ("无主管楼院", "三无楼院"),
            ("", "没有词语的同义词"),
            ("三无楼院", "重复的词"),
            ("两个 词语", ""),
            ("长" * 41, ""),
        ]
    )
    assert set(errors) == {1, 2, 3, 4}
    assert "没有词语" in errors[1][0]
    assert errors[2] == ["“三无楼院”已在第 1 行出现：每个词只能属于一组"]
    assert "只填一个词" in errors[3][0]
    assert "太长" in errors[4][0]


def test_full_width_comma_in_yaml_gives_two_synonyms_and_a_hint(tmp_path: Path) -> None:
    (tmp_path / "glossary.yml").write_text("- term: 物业服务\n  synonyms: [物业退出，物业撤场]\n", encoding="utf-8")
    glossary, problems = load_glossary(tmp_path)
    assert glossary.synonyms("物业服务") == ("物业退出", "物业撤场")
    assert [(p.line, p.level) for p in problems] == [(1, "warning")]
    shown = problems[0].display(tmp_path)
    assert shown.startswith("glossary.yml:1: 提示：“物业退出，物业撤场”中的“，”把它分成了 2 个词")


def test_full_width_comma_hint_reaches_casebook_check(content_dir: Path, runner: CliRunner) -> None:
    (content_dir / "glossary.yml").write_text("- term: 物业服务\n  synonyms: [物业退出，物业撤场]\n", encoding="utf-8")
    result = runner.invoke(main, ["check", str(content_dir)])
    assert result.exit_code == 0  # a hint, not an error
    assert "glossary.yml:1: 提示：" in result.output
    assert runner.invoke(main, ["check", "--strict", str(content_dir)]).exit_code == 1


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("- term: 无主管楼院\n  synonyms: [三无楼院\n", "方括号 [ ] 没有闭合"),
        ("- term: 无主管楼院\n\tsynonyms: [三无楼院]\n", "制表符"),
        ("- term: 无主管楼院\n synonyms: [三无楼院]\n", "没有对齐"),
        ('- term: "无主管楼院\n', "引号没有闭合"),
        ("- term: @楼院\n", "请给这一项加上引号"),
    ],
)
def test_yaml_mistakes_are_told_in_chinese(tmp_path: Path, text: str, told: str) -> None:
    (tmp_path / "glossary.yml").write_text(text, encoding="utf-8")
    _, problems = load_glossary(tmp_path)
    assert len(problems) == 1 and problems[0].message.startswith("YAML 格式错误：")
    assert told in problems[0].message
    assert not any("a" <= c.lower() <= "z" for c in problems[0].message.removeprefix("YAML").replace("Tab", ""))


def test_places_rows_round_trip_and_keep_the_comment_block(tmp_path: Path) -> None:
    places, errors = parse_places_rows([("林山寨街道", "农业银行社区、碧沙岗社区 绿东村社区"), ("秦岭路街道", "")])
    assert errors == {}
    header = leading_comments("# 街道与社区\n# 第二行\n\n林山寨街道: []\n")
    text = dump_places(places, header)
    lines = [
        "# 街道与社区",
        "# 第二行",
        "林山寨街道:",
        "  - 农业银行社区",
        "  - 碧沙岗社区",
        "  - 绿东村社区",
        "秦岭路街道: []",
    ]
    assert text == "\n".join(lines) + "\n"
    (tmp_path / "places.yml").write_text(text, encoding="utf-8")
    (tmp_path / "topics.yml").write_text("- slug: a\n  number: 1\n  title: 甲\n", encoding="utf-8")
    rules, problems = load_rules(tmp_path)
    assert problems == [] and rules.places == places
    assert places_rows(rules.places) == [("林山寨街道", "农业银行社区、碧沙岗社区、绿东村社区"), ("秦岭路街道", "")]


def test_bad_places_rows_are_named_by_row() -> None:
    _, errors = parse_places_rows(
        [
            ("林山寨街道", "农业银行社区"),
            ("", "碧沙岗社区"),
            ("林山寨街道", ""),
            ("建设路街道", "农业银行社区"),
            ("秦岭路 街道", ""),
        ]
    )
    assert set(errors) == {1, 2, 3, 4}
    assert "没有街道" in errors[1][0]
    assert errors[2] == ["街道“林山寨街道”已在第 1 行出现"]
    assert errors[3] == ["社区“农业银行社区”已列在第 1 行的“林山寨街道”下：一个社区只能属于一个街道"]
    assert "只填一个街道" in errors[4][0]
    assert parse_places_rows([("", ""), ("", "")])[1] == {-1: ["至少要有一个街道：条目里的街道和社区都要在这里登记"]}


def test_places_yaml_with_a_community_under_two_streets_or_a_separator(tmp_path: Path) -> None:
    text = "林山寨街道:\n  - 农业银行社区，碧沙岗社区\n建设路街道:\n  - 碧沙岗社区\n"
    places, problems = read_places(text, tmp_path / "places.yml")
    assert places["林山寨街道"] == ("农业银行社区", "碧沙岗社区")
    assert [(p.line, p.level) for p in problems] == [(1, "warning"), (3, "error")]
    assert "同时列在“林山寨街道”和“建设路街道”下" in problems[1].message


def test_library_load_reports_places_problems(content_dir: Path) -> None:
    (content_dir / "places.yml").write_text("林山寨街道: [农业银行社区\n", encoding="utf-8")
    messages = [p.display(content_dir) for p in load(content_dir).problems]
    assert any(m.startswith("places.yml:1: YAML 格式错误：方括号") for m in messages), messages
