"""Reading the parts of a 民生实事 project file: exact numbers, nested key lines, structured values.

``ExactLoader`` turns every YAML number into an exact ``Decimal`` (never through a binary float);
``key_lines`` keeps the line of every nested key; ``Reader`` collects problems at those lines while
the ``read_*`` functions validate indicators, the vote, milestones and the evaluation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .frontmatter import Loader
from .model import KINDS, SLUG_RE, Problem
from .project_model import Adjustment, Evaluation, Indicator, Milestone, Survey, Vote
from .schema import PROJECT_FIELD, PROJECT_PARTS
from .values import Invalid, as_date, as_text, as_url

Where = tuple[str | int, ...]
MAX_DIGITS = 30
_PLAIN_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")
_DIGITS = re.compile(r"^[-+]?[0-9]+$")
RATE_MESSAGE = "完成率不要填写：它总是由完成数 ÷ 计划数自动算出，请删除 rate"


class ExactLoader(Loader):
    """The content loader, but YAML floats become ``Decimal`` read from their text."""


def _construct_decimal(loader: Any, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node))
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text  # e.g. sexagesimal 1:30.5; the validator reports it as not a number
    return value if value.is_finite() else text


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    """Digits are read in base 10: YAML 1.1 would read ``0100`` as octal 64."""
    text = str(loader.construct_scalar(node)).replace("_", "")
    if _DIGITS.match(text):
        return int(text)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
ExactLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def key_lines(node: Any, first_line: int, problems: list[Problem], path: Path) -> dict[Where, int]:
    """The line of every key and list item below the root, by its path of keys and indexes."""
    lines: dict[Where, int] = {}

    def walk(current: Any, where: Where) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value)
                line = first_line + key_node.start_mark.line
                if key in seen and where:
                    problems.append(Problem(path, line, f"字段“{key}”重复出现，只保留最后一个"))
                seen.add(key)
                lines[(*where, key)] = line
                walk(value_node, (*where, key))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                lines[(*where, index)] = first_line + item.start_mark.line
                walk(item, (*where, index))

    if node is not None:
        walk(node, ())
    return lines


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid("应为数字")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):  # only from callers passing Python values; YAML gives Decimal
        number = Decimal(repr(value))
    elif isinstance(value, str) and _PLAIN_NUMBER.match(value.strip()):
        number = Decimal(value.strip())
    else:
        raise Invalid(f"“{value}”不是数字（写成 19500 或 1.5，不加单位和千位分隔符）")
    if not number.is_finite():
        raise Invalid("应为有限的数字")
    if number < 0:
        raise Invalid("不能为负数")
    if len(number.as_tuple().digits) > MAX_DIGITS:
        raise Invalid(f"数字超过 {MAX_DIGITS} 位")
    return number


def _count(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("应为整数")
    if value < 0:
        raise Invalid("不能为负数")
    return value


def _milestone_date(value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else as_text(value)
    if _MONTH.match(text):
        try:
            dt.date.fromisoformat(f"{text}-01")
        except ValueError:
            pass
        else:
            return text
    return as_date(text).isoformat()


def _link(value: Any) -> str:
    text = as_text(value)
    if "/" in text and text.split("/", 1)[0] in KINDS:
        return text
    url = as_url(text)
    if url is None:
        raise Invalid("链接不能为空")
    return url


class Reader:
    """Validation of one file: values by path, problems with the line of the offending key."""

    def __init__(
        self,
        path: Path,
        lines: Mapping[Where, int],
        known: Collection[str] | None,
        topics: Collection[str] | None = None,
    ) -> None:
        self.path, self.lines, self.known, self.topics = path, lines, known, topics
        self.problems: list[Problem] = []

    def line(self, where: Where) -> int:
        while where and where not in self.lines:
            where = where[:-1]
        return self.lines.get(where, 1)

    def report(self, where: Where, message: str) -> None:
        self.problems.append(Problem(self.path, self.line(where), message, field=".".join(map(str, where))))

    def value(self, where: Where, raw: Any, normalize: Callable[[Any], Any], label: str) -> Any:
        """``normalize(raw)``, or None after reporting why it cannot be used."""
        try:
            return normalize(raw)
        except Invalid as exc:
            self.report(where, f"{label}：{exc}")
            return None

    def mapping(self, where: Where, raw: Any, allowed: tuple[str, ...], label: str) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.report(where, f"{label}应为“字段: 值”的映射")
            return None
        for key in raw:
            if str(key) == "rate":
                self.report((*where, "rate"), RATE_MESSAGE)
            elif str(key) not in allowed:
                self.report((*where, str(key)), f"{label}中的未知字段“{key}”，已忽略（可用：{', '.join(allowed)}）")
        return {str(k): v for k, v in raw.items()}

    def items(self, where: Where, raw: Any, label: str) -> list[tuple[Where, Any]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.report(where, f"{label}应为列表（每项以“- ”开头）")
            return []
        return [((*where, index), item) for index, item in enumerate(raw)]

    def related_key(self, where: Where, raw: Any, label: str) -> str | None:
        text = self.value(where, raw, as_text, label)
        if not text:
            return None
        kind, _, slug = text.partition("/")
        if kind not in KINDS or not SLUG_RE.match(slug):
            kinds = " | ".join(KINDS)
            self.report(where, f"{label}：“{text}”应写成 类型/slug，类型为 {kinds}，例如 case/louyuan-386-yuan")
            return None
        if self.known is not None and text not in self.known:
            self.report(where, f"{label}：没有条目“{text}”，已忽略")
            return None
        return str(text)

    def topic_slug(self, where: Where, raw: Any) -> str | None:
        """A topic slug from ``topics.yml`` (unchecked when the reader knows no topics)."""
        text = self.value(where, raw, as_text, "topics")
        if not text:
            return None
        if not SLUG_RE.match(text):
            self.report(where, f"topics：“{text}”应为 topics.yml 中主题的 slug，例如 jujia-yanglao")
            return None
        if self.topics is not None and text not in self.topics:
            listed = "、".join(sorted(self.topics)) or "（topics.yml 中没有主题）"
            self.report(where, f"topics：没有主题“{text}”，已忽略（topics.yml 中的主题：{listed}）")
            return None
        return str(text)


_INDICATOR_KEYS = PROJECT_PARTS["indicators"]


def read_indicator(r: Reader, where: Where, raw: Any) -> Indicator | None:
    data = r.mapping(where, raw, _INDICATOR_KEYS, "指标")
    if data is None:
        return None
    name = r.value((*where, "name"), data.get("name"), as_text, "指标名称")
    if not name:
        r.report(where, "指标缺少 name，已忽略")
        return None
    planned = None
    if data.get("planned") is not None:
        planned = r.value((*where, "planned"), data["planned"], _number, f"{name} 的 planned（计划数）")
        if planned == 0:
            r.report((*where, "planned"), f"{name} 的计划数为 0，无法计算完成率：没有计划请删除 planned")
            planned = None
    achieved = None
    if data.get("achieved") is not None:
        achieved = r.value((*where, "achieved"), data["achieved"], _number, f"{name} 的 achieved（完成数）")
    if "planned" not in data and "achieved" not in data:
        r.report(where, f"指标“{name}”既没有 planned（计划数）也没有 achieved（完成数）")
    unit = r.value((*where, "unit"), data.get("unit"), as_text, f"{name} 的 unit") or ""
    note = r.value((*where, "note"), data.get("note"), as_text, f"{name} 的 note") or ""
    return Indicator(name=name, unit=unit, planned=planned, achieved=achieved, note=note)


_VOTE_KEYS = PROJECT_PARTS["vote"]


def read_vote(r: Reader, raw: Any, where: Where = ("vote",)) -> Vote | None:
    """The deputies' vote (at ``vote``) or a motion's vote (at ``adjustments.N.vote``): the same parts and rules."""
    name = ".".join(map(str, where))
    data = r.mapping(where, raw, _VOTE_KEYS, f"{name}（票决）")
    if data is None:
        return None
    counts: dict[str, int] = {}
    for key in ("present", "for", "against", "abstain"):
        if data.get(key) is None:
            if key in ("present", "for"):
                r.report(where, f"{name} 缺少 {key}，票决结果不显示")
                return None
            counts[key] = 0
            continue
        number = r.value((*where, key), data[key], _count, f"{name} 的 {key}")
        if number is None:
            return None
        counts[key] = number
    cast = counts["for"] + counts["against"] + counts["abstain"]
    if cast > counts["present"]:
        r.report(
            (*where, "present"),
            f"票决数字不一致：赞成 {counts['for']} + 反对 {counts['against']} + 弃权 {counts['abstain']}"
            f" = {cast}，超过出席代表 {counts['present']} 人；票决结果不显示",
        )
        return None
    date = r.value((*where, "date"), data["date"], as_date, f"{name} 的 date") if data.get("date") else None
    session = r.value((*where, "session"), data.get("session"), as_text, f"{name} 的 session") or ""
    return Vote(session, date, counts["present"], counts["for"], counts["against"], counts["abstain"])


def read_milestone(r: Reader, where: Where, raw: Any) -> Milestone | None:
    data = r.mapping(where, raw, PROJECT_PARTS["milestones"], "进展")
    if data is None:
        return None
    date = r.value((*where, "date"), data.get("date"), _milestone_date, "进展的 date")
    text = r.value((*where, "text"), data.get("text"), as_text, "进展的 text")
    if not date or not text:
        r.report(where, "每条进展都要有 date 和 text，已忽略这一条")
        return None
    evidence: list[str] = []
    for at, item in r.items((*where, "evidence"), data.get("evidence"), "evidence"):
        link = r.value(at, item, _link, "evidence")
        if link and "://" not in link:
            link = r.related_key(at, link, "evidence")
        if link and link not in evidence:
            evidence.append(link)
    return Milestone(date, text, tuple(evidence))


_ADJUSTMENT_KEYS = PROJECT_PARTS["adjustments"]
ADJUSTMENT_REQUIRED = ("date", "moved_by", "reason", "change", "outcome")


def read_adjustment(r: Reader, where: Where, raw: Any, vote: Vote | None) -> Adjustment | None:
    """One motion; ``vote`` is the project's own vote, which a motion cannot come before."""
    data = r.mapping(where, raw, _ADJUSTMENT_KEYS, "调整动议")
    if data is None:
        return None
    date = r.value((*where, "date"), data.get("date"), as_date, "调整动议的 date") if data.get("date") else None
    texts = {
        key: r.value((*where, key), data.get(key), as_text, f"调整动议的 {key}") or ""
        for key in ("moved_by", "reason", "change", "outcome")
    }
    missing = [key for key in ADJUSTMENT_REQUIRED if not (date if key == "date" else texts[key])]
    if missing:
        r.report(
            where, f"调整动议缺少 {'、'.join(missing)}（每条都要有 {'、'.join(ADJUSTMENT_REQUIRED)}），已忽略这一条"
        )
        return None
    assert date is not None
    outcomes = PROJECT_FIELD["adjustments"].choices
    if texts["outcome"] not in outcomes:
        r.report(
            (*where, "outcome"),
            f"调整动议的 outcome“{texts['outcome']}”不可用（可用：{' | '.join(outcomes)}），已忽略这一条",
        )
        return None
    if vote is not None and vote.date is not None and date < vote.date:
        r.report(
            (*where, "date"),
            f"调整动议的日期 {date.isoformat()} 早于项目的代表票决（{vote.date.isoformat()}）："
            "还没有票决的项目无从调整，请核对日期",
        )
    motion_vote = read_vote(r, data["vote"], (*where, "vote")) if data.get("vote") is not None else None
    return Adjustment(date, texts["moved_by"], texts["reason"], texts["change"], texts["outcome"], motion_vote)


def read_evaluation(r: Reader, raw: Any) -> Evaluation | None:
    where: Where = ("evaluation",)
    data = r.mapping(where, raw, PROJECT_PARTS["evaluation"], "evaluation（评估）")
    if data is None:
        return None
    score = None
    if data.get("score") is not None:
        score = r.value((*where, "score"), data["score"], _number, "evaluation 的 score")
        if score is not None and score > 100:
            r.report((*where, "score"), "evaluation 的 score 是百分制，不能超过 100")
            score = None
    verdict = r.value((*where, "verdict"), data.get("verdict"), as_text, "evaluation 的 verdict") or ""
    if not verdict and score is None:
        r.report(where, "evaluation 需要 verdict（评议结论）或 score（得分）")
        return None
    date = r.value((*where, "date"), data["date"], as_date, "evaluation 的 date") if data.get("date") else None
    text = r.value((*where, "text"), data.get("text"), as_text, "evaluation 的 text") or ""
    return Evaluation(date, verdict, score, text)


SURVEY_COUNTS = ("satisfied", "basically", "dissatisfied")
SURVEY_MAX = 10_000_000
"""More answers than this in one survey is a typing mistake."""


def read_survey(r: Reader, raw: Any) -> Survey | None:
    """``survey:`` — an offline questionnaire: date, method and the count of each answer."""
    where: Where = ("survey",)
    data = r.mapping(where, raw, PROJECT_PARTS["survey"], "survey（线下问卷）")
    if data is None:
        return None
    counts: dict[str, int] = {}
    for key in SURVEY_COUNTS:
        if data.get(key) is None:
            counts[key] = 0
            continue
        number = r.value((*where, key), data[key], _count, f"survey 的 {key}")
        if number is None:
            return None
        if number > SURVEY_MAX:
            r.report((*where, key), f"survey 的 {key} 超过 {SURVEY_MAX}，请检查；问卷结果不显示")
            return None
        counts[key] = number
    if not sum(counts.values()):
        r.report(where, "survey 需要 satisfied（满意）、basically（基本满意）或 dissatisfied（不满意）的人数")
        return None
    method = r.value((*where, "method"), data.get("method"), as_text, "survey 的 method") or ""
    if not method:
        r.report((*where, "method"), "survey 缺少 method（方式，如：入户问卷）")
        return None
    date = r.value((*where, "date"), data["date"], as_date, "survey 的 date") if data.get("date") else None
    note = r.value((*where, "note"), data.get("note"), as_text, "survey 的 note") or ""
    return Survey(date, method, counts["satisfied"], counts["basically"], counts["dissatisfied"], note)


def as_positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid("应为正整数")
    return value


def as_year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2999:
        raise Invalid("应为四位年份，例如 2021")
    return value
