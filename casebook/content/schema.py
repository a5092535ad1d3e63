"""The one declaration of every front-matter field, per kind, and of every label shown for them.

Each field is written here once: its type, Chinese label, the kinds that have it, whether it is
required, and where it goes — a filter (facet), the search index, the JSON API, the staff form.
Validation (``validate.py``), the order a file is written in (``files.serialize``), the editor's
form (``staff/kinds.py``), the API and its OpenAPI description (``views/api.py``,
``views/openapi.py``), the catalog row and the index document are derived from these tables, and
``tests/test_schema_roundtrip.py`` walks them. Pure: no Flask, no database, no YAML.

Adding a field to entries: one ``Field`` line in ``ENTRY_FIELDS``, the template that shows it
(``entry.value("key")``), its row in ``docs/content.md``, a test. The catalog keeps a new field in
the row's ``extra`` JSON (no migration); only a field to filter or sort by needs ``catalog="column"``,
a column in ``models.py`` and a migration. ``tests/test_add_field.py`` proves the short list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .limits import MAX_TITLE
from .model import KINDS, SCOPES, STATUSES
from .project_model import ADJUSTMENT_OUTCOMES, PROJECT_KIND, STAGES

FieldType = Literal[
    "text", "line", "date", "list", "choice", "bool", "url", "cover", "chapters", "source", "attachments", "refs"
]
"""How an entry field's value is written, checked and shown:

- ``text``: a string ("" when absent); ``line``: an optional one-line string (None when absent)
- ``date``: ``YYYY-MM-DD``; ``list``: a list of strings; ``choice``: one of ``choices``
- ``bool``: true/false; ``url``: an http(s) address; ``cover``: a file under media/ or an https address
- ``chapters``: video chapters, ``[{at: "03:15", title: …}]``
- ``source``: a small mapping of the field's ``parts`` (出处: ``{name, url, date}``), name required
- ``attachments``: downloadable files under media/, ``[{file: attachments/2026/….docx, title: …}]``
- ``refs``: a list of other entries, each ``kind/slug`` (``case/louyuan-386-yuan``)
"""
Api = Literal["", "list", "full"]
"""Where the JSON API shows a field: every listing (``list``), only the single entry (``full``), never ("")."""
Catalog = Literal["column", "table", "json"]
"""Where the catalog keeps a field: a column of its own (named as the key; needed to filter or sort),
a table of its own (tags), or the row's ``extra`` JSON (the default: a new field needs no migration)."""
IndexRole = Literal["", "title", "meta", "people", "facet"]
"""How the search index uses a field: the title, a metadata line (found like the summary), the
people line (interviewees and participants), or a facet value only."""

WIDGETS: dict[FieldType, str] = {
    "text": "text",
    "line": "text",
    "date": "date",
    "list": "list",
    "choice": "select",
    "bool": "checkbox",
    "url": "text",
    "cover": "cover",
    "chapters": "textarea",  # one chapter per line: 03:15 标题
    "source": "parts",  # one input per part: source-name, source-url, source-date
    "attachments": "attachments",  # one file per line: attachments/2026/….docx 标题, and an upload button
    "refs": "list",  # kind/slug, separated by commas
}
"""The editor's input for each type, unless a field names its own (``topic``, ``street``…)."""


@dataclass(frozen=True)
class Field:
    """One front-matter key of an entry."""

    key: str
    label: str
    type: FieldType
    kinds: tuple[str, ...] = KINDS
    required: bool = False
    fatal: bool = False
    """A bad value makes the whole entry unusable, not just this key."""
    choices: tuple[str, ...] = ()
    default: Any = None
    """The value an absent key means; a file leaves it out (``status: published``) unless ``always``."""
    always: bool = False
    """Written even when empty or at its default, so the file shows where it goes (``tags: []``, a
    case's ``scope``)."""
    filter: str = ""
    """The query parameter that narrows lists and search by it (a facet), or "" for none."""
    index: IndexRole = ""
    catalog: Catalog = "json"
    api: Api = "list"
    form: bool = True
    """Edited in the staff form."""
    widget: str = ""
    """The editor's input when not the type's own (see ``WIDGETS``)."""
    hint: str = ""
    """Shown under the input in the editor."""
    limit: int = 0
    """The most characters a text value may have (0: no limit of its own)."""
    parts: tuple[tuple[str, str], ...] = ()
    """``(key, label)`` of each part of a ``source`` value (the editor's inputs are ``<key>-<part>``)."""

    @property
    def input(self) -> str:
        return self.widget or WIDGETS[self.type]

    def applies_to(self, kind: str) -> bool:
        return kind in self.kinds


# Tables laid out by hand (a field a line where it fits): the formatter leaves them as they are.
# fmt: off
ENTRY_FIELDS: tuple[Field, ...] = (
    Field("title", "标题", "text", required=True, index="title", catalog="column", limit=MAX_TITLE),
    Field("topic", "主题", "text", required=True, filter="topic", index="facet", catalog="column", widget="topic"),
    Field("date", "日期", "date", required=True, filter="year", index="facet", catalog="column"),
    Field(
        "summary", "摘要", "text", default="", index="meta", catalog="column", widget="textarea",
        hint="一两句话，显示在列表和分享卡片上",
    ),
    Field("tags", "标签", "list", filter="tag", index="meta", catalog="table", always=True, hint="用逗号或顿号分隔"),
    Field("street", "街道", "line", filter="street", index="meta", catalog="column", widget="street"),
    Field("community", "社区", "line", index="meta", catalog="column", widget="community"),
    Field(
        "region", "地区", "line", kinds=("case",), index="meta", catalog="column",
        hint="微分享案例所在地，如：四川省成都市",
    ),
    Field(
        "scope", "范围", "choice", kinds=("case",), fatal=True, choices=SCOPES, default="local", always=True,
        filter="scope", index="facet", catalog="column", widget="scope",
    ),
    Field(
        "people", "受访者", "list", kinds=("interview",), index="people", catalog="column", api="full",
        hint="姓名和职务，用逗号分隔",
    ),
    Field(
        "participants", "参与者", "list", kinds=("salon",), index="people", catalog="column", api="full",
        hint="用逗号或换行分隔",
    ),
    Field(
        "video", "视频链接", "url", catalog="column", api="full",
        hint="mp4 地址，或腾讯视频、哔哩哔哩的播放页（直接复制浏览器地址栏）",
    ),
    Field(
        "chapters", "视频章节", "chapters", index="meta", catalog="column", api="full",
        hint="每行一章：时间 标题，如“03:15 老旧楼院怎么管”；显示在视频下方",
    ),
    Field(
        "source", "出处", "source", kinds=("case",), api="full",
        parts=(("name", "发布方"), ("url", "原文链接"), ("date", "发布日期")),
        hint="微分享（全国）案例请填写：发布方（如公众号、报纸名称）、原文链接（http/https）、发布日期",
    ),
    Field("cover", "封面图", "cover", catalog="column", api="full", hint="上传图片，或填写 media/ 下的文件名"),
    Field(
        "attachments", "附件", "attachments", api="full",
        hint="可下载的模板（PDF、Word、Excel）：每行一个，文件路径 空格 标题；用“上传附件”添加",
    ),
    Field(
        "status", "状态", "choice", fatal=True, choices=STATUSES, default="published", catalog="column", api="",
        form=False,
    ),
    Field(
        "sample", "示例内容", "bool", default=False, index="facet", catalog="column",
        hint="虚构的示例，页面上会标注“示例内容”",
    ),
)
"""Every entry field, in the order files are written and the editor shows them."""
# fmt: on

ENTRY_FIELD: Mapping[str, Field] = {f.key: f for f in ENTRY_FIELDS}


def fields_of(kind: str) -> tuple[Field, ...]:
    """The fields an entry of ``kind`` (or a 借鉴 record, ``learning``) has, in order."""
    if kind == LEARNING_KIND:
        return LEARNING_FIELDS
    return tuple(f for f in ENTRY_FIELDS if f.applies_to(kind))


def form_fields(kind: str) -> tuple[Field, ...]:
    """The fields the staff form edits for ``kind``, in order."""
    return tuple(f for f in fields_of(kind) if f.form)


def api_fields(full: bool) -> tuple[Field, ...]:
    """The fields the JSON API shows in listings (``full=False``) or for one entry."""
    shown = ("list", "full") if full else ("list",)
    return tuple(f for f in ENTRY_FIELDS if f.api in shown)


FILTERS: tuple[str, ...] = tuple(f.filter for f in ENTRY_FIELDS if f.filter)
"""The query parameters of the entry lists; facets are shown in this order (the fields' order)."""


def is_default(spec: Field, value: Any) -> bool:
    """Whether ``value`` is what leaving the key out means (so a file does not write it)."""
    if spec.default is not None:
        return bool(value == spec.default)
    return value in (None, "", (), [])


# -- 民生实事 projects ---------------------------------------------------------------------------

# fmt: off
ProjectType = Literal["text", "year", "number", "choice", "bool", "vote", "indicators", "milestones", "evaluation",
                      "adjustments", "survey", "related", "topics"]
# fmt: on


@dataclass(frozen=True)
class ProjectField:
    """One front-matter key of a project; structured ones (``vote``…) declare their parts."""

    key: str
    label: str
    type: ProjectType
    required: bool = False
    fatal: bool = False
    choices: tuple[str, ...] = ()
    """The allowed values of a ``choice``, or of a list item's ``outcome`` (``adjustments``)."""
    parts: tuple[tuple[str, str], ...] = ()
    """``(key, label)`` of each part of a structured value or of each list item."""
    default: Any = None
    limit: int = 0
    """The most characters a text value may have (0: no limit of its own)."""


# fmt: off
VOTE_PARTS: tuple[tuple[str, str], ...] = (
    ("session", "会议"), ("date", "日期"), ("present", "出席"), ("for", "赞成"), ("against", "反对"),
    ("abstain", "弃权"))
"""The parts of a vote: the deputies' vote on the project and the vote on an adjustment motion."""
PROJECT_FIELDS: tuple[ProjectField, ...] = (
    ProjectField("title", "项目名称", "text", required=True, fatal=True, limit=MAX_TITLE),
    ProjectField("year", "年度", "year", required=True, fatal=True),
    ProjectField("number", "序号", "number"),
    ProjectField("lead", "牵头单位", "text", required=True, fatal=True),
    ProjectField("stage", "阶段", "choice", required=True, fatal=True, choices=STAGES),
    ProjectField("vote", "人大代表票决", "vote", parts=VOTE_PARTS),
    ProjectField("indicators", "指标", "indicators", parts=(
        ("name", "指标名称"), ("unit", "单位"), ("planned", "计划"), ("achieved", "完成"), ("note", "备注"))),
    ProjectField("milestones", "进展", "milestones", parts=(("date", "日期"), ("text", "进展"), ("evidence", "佐证"))),
    ProjectField("adjustments", "调整动议", "adjustments", choices=ADJUSTMENT_OUTCOMES, parts=(
        ("date", "日期"), ("moved_by", "提出方"), ("reason", "理由"), ("change", "调整内容"), ("outcome", "结果"),
        ("vote", "表决"))),
    ProjectField("evaluation", "评估", "evaluation", parts=(
        ("date", "日期"), ("verdict", "结论"), ("score", "得分"), ("text", "评语"))),
    ProjectField("survey", "线下问卷", "survey", parts=(
        ("date", "日期"), ("method", "方式"), ("satisfied", "满意"), ("basically", "基本满意"),
        ("dissatisfied", "不满意"), ("note", "说明"))),
    ProjectField("related", "相关案例与沙龙", "related"),
    ProjectField("topics", "相关主题", "topics"),
    ProjectField("status", "状态", "choice", fatal=True, choices=STATUSES, default="published"),
    ProjectField("sample", "示例内容", "bool", default=False),
)
"""Every project field, in the order files are written."""
# fmt: on

PROJECT_FIELD: Mapping[str, ProjectField] = {f.key: f for f in PROJECT_FIELDS}
PROJECT_PARTS: Mapping[str, tuple[str, ...]] = {f.key: tuple(k for k, _ in f.parts) for f in PROJECT_FIELDS if f.parts}
"""The keys allowed inside each structured project field (``vote``) or list item (``indicators``)."""


# -- 借鉴 learning records -----------------------------------------------------------------------

LEARNING_KIND = "learning"
LEARNING_TYPES: tuple[str, ...] = ("参观", "交流", "借鉴落地")
"""What a learning record says happened: a visit, an exchange, or the practice taken up at home."""

# fmt: off
LEARNING_FIELDS: tuple[Field, ...] = (
    Field("title", "标题", "line", kinds=(LEARNING_KIND,), limit=MAX_TITLE, hint="可不填：默认用社区和学习对象"),
    Field("date", "日期", "date", kinds=(LEARNING_KIND,), required=True, fatal=True, catalog="column"),
    Field("street", "街道", "line", kinds=(LEARNING_KIND,), filter="street", catalog="column", widget="street"),
    Field("community", "学习社区", "line", kinds=(LEARNING_KIND,), required=True, fatal=True, catalog="column",
          widget="community", hint="来参观、交流或借鉴的社区，写法同 places.yml"),
    Field("type", "方式", "choice", kinds=(LEARNING_KIND,), required=True, fatal=True, choices=LEARNING_TYPES,
          filter="type", catalog="column"),
    Field("learned_from", "学习对象", "refs", kinds=(LEARNING_KIND,), always=True, index="meta",
          hint="学习的案例或访谈，写成 类型/slug，用逗号分隔，如 case/louyuan-386-yuan"),
    Field("topic", "主题", "line", kinds=(LEARNING_KIND,), filter="topic", catalog="column", widget="topic",
          hint="没有具体案例时填主题；填了案例可不填"),
    Field("status", "状态", "choice", kinds=(LEARNING_KIND,), fatal=True, choices=STATUSES, default="published",
          catalog="column", api="", form=False),
    Field("sample", "示例内容", "bool", kinds=(LEARNING_KIND,), default=False, catalog="column",
          hint="虚构的示例，页面上会标注“示例内容”"),
)
"""Every field of a 借鉴 record (``content/learning/<slug>.md``), in the order files are written;
the body is the short note. At least one of ``learned_from`` and ``topic`` is needed."""
# fmt: on

LEARNING_FIELD: Mapping[str, Field] = {f.key: f for f in LEARNING_FIELDS}
LEARNING_FILTERS: tuple[str, ...] = tuple(f.filter for f in LEARNING_FIELDS if f.filter)
"""The query parameters of the ``/learning/`` table."""
LEARNING_LABELS: dict[str, str] = {f.key: f.label for f in LEARNING_FIELDS}


# -- labels: the one table ----------------------------------------------------------------------

KIND_LABELS: dict[str, str] = {
    "interview": "一谈",
    "salon": "微沙龙",
    "case": "微案例",
    PROJECT_KIND: "民生实事",
    LEARNING_KIND: "借鉴",
}
"""Short name of each kind (badges, search results, the editor's 新建 buttons)."""
KIND_HEADINGS: dict[str, str] = {
    "interview": "社区书记谈治理",
    "salon": "微沙龙",
    "case": "微案例",
    PROJECT_KIND: "民生实事",
    LEARNING_KIND: "借鉴学习",
}
"""Heading of each kind's list page."""
PART_LABELS: dict[str, str] = {"interview": "一谈", "salon": "微沙龙", "local": "微案例", "national": "微分享"}
"""Short name of each part of a topic's loop."""
PART_HEADINGS: dict[str, str] = {
    "interview": "一谈·社区书记谈治理",
    "salon": "微沙龙",
    "local": "微案例",
    "national": "微分享",
}
"""Heading of each part of a topic's loop on its page."""
STATUS_LABELS: dict[str, str] = {"draft": "草稿", "submitted": "待审核", "published": "已发布"}
SCOPE_LABELS: dict[str, str] = {"local": "微案例（本区）", "national": "微分享（全国）"}
VALUE_LABELS: dict[str, dict[str, str]] = {"status": STATUS_LABELS, "scope": SCOPE_LABELS}
"""Labels of a field's values, where the value itself is a code."""
ENTRY_LABELS: dict[str, str] = {f.key: f.label for f in ENTRY_FIELDS}
ENTRY_PART_LABELS: dict[str, dict[str, str]] = {f.key: dict(f.parts) for f in ENTRY_FIELDS if f.parts}
"""Labels of the parts of an entry field written as a small mapping (出处: 发布方, 原文链接, 发布日期)."""
PROJECT_LABELS: dict[str, str] = {f.key: f.label for f in PROJECT_FIELDS}
PROJECT_PART_LABELS: dict[str, dict[str, str]] = {f.key: dict(f.parts) for f in PROJECT_FIELDS if f.parts}
