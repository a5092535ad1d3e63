"""The OpenAPI 3.1 description of the read-only JSON API."""

from __future__ import annotations

from typing import Any

from ..content import KINDS
from ..content.schema import FILTERS, LEARNING_FIELDS, LEARNING_FILTERS, Field, api_fields

_FILTERS = ["kind", *FILTERS]
"""The query parameters that narrow a listing or a search (``tag`` filters the ``tags`` field, ``year`` the date)."""


def _param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


_PAGING = [
    _param("page", "页码，从 1 开始", {"type": "integer", "minimum": 1, "default": 1}),
    _param("per_page", "每页条数（最多 100）", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
]
_KIND = {"type": "string", "enum": list(KINDS)}
_CHAPTER = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "description": "起点，如 03:15"},
        "seconds": {"type": "integer"},
        "title": {"type": "string"},
    },
}


_SOURCE = {
    "type": ["object", "null"],
    "properties": {
        "name": {"type": "string", "description": "发布方"},
        "url": {"type": ["string", "null"], "format": "uri", "description": "原文链接"},
        "date": {"type": ["string", "null"], "format": "date", "description": "发布日期"},
    },
    "required": ["name"],
}
_ATTACHMENT = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "type": {"type": "string", "enum": ["pdf", "docx", "xlsx"]},
        "url": {"type": "string", "format": "uri", "description": "下载地址（作为附件下载）"},
    },
    "required": ["title", "type", "url"],
}


def field_schema(spec: Field) -> dict[str, Any]:
    """The JSON schema of a declared entry field as the API shows it, described by its label."""
    nullable = spec.type in ("line", "url", "cover") or not set(KINDS) <= set(spec.kinds)
    schema: dict[str, Any]
    if spec.type == "date":
        schema = {"type": "string", "format": "date"}
    elif spec.type == "list":
        schema = {"type": "array", "items": {"type": "string"}}
    elif spec.type == "chapters":
        schema = {"type": "array", "items": _CHAPTER}
    elif spec.type == "attachments":
        schema = {"type": "array", "items": _ATTACHMENT}
    elif spec.type == "source":
        schema = dict(_SOURCE)
    elif spec.type == "bool":
        schema = {"type": "boolean"}
    else:
        schema = {"type": ["string", "null"] if nullable else "string"}
        if spec.type == "choice":
            schema["enum"] = [*spec.choices, *([None] if nullable else [])]
        elif spec.type in ("url", "cover"):
            schema["format"] = "uri"
    return schema | {"description": spec.label}


_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "slug", "url", *(f.key for f in api_fields(full=False) if f.required)],
    "properties": {
        "kind": _KIND,
        "slug": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        **{f.key: field_schema(f) for f in api_fields(full=False)},
    },
}
_FULL_ENTRY: dict[str, Any] = {
    **_ENTRY,
    "properties": {
        **_ENTRY["properties"],
        **{f.key: field_schema(f) for f in api_fields(full=True)},
        "html": {"type": "string", "description": "正文 HTML（已净化）"},
    },
}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}


def _list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["total", "page", "per_page", "results"],
        "properties": {
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "results": {"type": "array", "items": item},
        },
    }


def _learning_field(spec: Field) -> dict[str, Any]:
    """The JSON schema of a declared learning-record field (required ones are never null)."""
    if spec.type == "refs":
        return {"type": "array", "items": {"type": "string"}, "description": f"{spec.label}：条目 kind/slug"}
    if spec.type == "bool":
        return {"type": "boolean", "description": spec.label}
    schema: dict[str, Any] = {"type": "string" if spec.required else ["string", "null"]}
    if spec.type == "date":
        schema["format"] = "date"
    if spec.type == "choice":
        schema["enum"] = list(spec.choices)
    return schema | {"description": spec.label}


LEARNING: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "slug", "url", "title", "topics", *(f.key for f in LEARNING_FIELDS if f.required and f.api)],
    "properties": {
        "kind": {"type": "string", "enum": ["learning"]},
        "slug": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        **{f.key: _learning_field(f) for f in LEARNING_FIELDS if f.api},
        "title": {"type": "string", "description": "标题（未填时由社区和学习对象生成）"},
        "topics": {"type": "array", "items": {"type": "string"}, "description": "涉及的主题 slug"},
    },
}
"""A 借鉴 record in ``/api/learning`` listings."""
_FULL_LEARNING: dict[str, Any] = {
    **LEARNING,
    "properties": {
        **LEARNING["properties"],
        "sources": {
            "type": "array",
            "description": "学习对象中已发布的条目",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "title": {"type": "string"},
                    "url": {"type": "string", "format": "uri"},
                },
            },
        },
        "html": {"type": "string", "description": "说明 HTML（已净化）"},
    },
}


def _ok(schema: dict[str, Any], description: str = "成功") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def spec(server: str) -> dict[str, Any]:
    """The API description, with ``server`` as the base URL."""
    search_result: dict[str, Any] = {
        "type": "object",
        "required": ["kind", "slug", "title", "url", "topic", "date", "snippet"],
        "properties": {
            **{k: _ENTRY["properties"][k] for k in ("slug", "title", "url", "topic", "date")},
            "kind": {"type": "string", "enum": [*KINDS, "project", "learning"]},
            "scope": {
                "type": "string",
                "enum": ["local", "national"],
                "description": "仅 kind 为 case 时给出：微案例（local）或微分享（national）",
            },
            "snippet": {"type": "string", "description": "HTML：转义后的文字，命中处包在 <mark> 中"},
        },
    }
    partial_hit = {**search_result, "required": [*search_result["required"], "words"]}
    partial_hit["properties"] = {**search_result["properties"], "words": {"type": "array", "items": {"type": "string"}}}
    search = _list_of(search_result)
    search["properties"] |= {
        "query": {"type": "string"},
        "facets": {"type": "object", "properties": {f: _COUNTS for f in _FILTERS}},
        "partial": {
            "type": "object",
            "description": "仅当多个词同时出现的结果为 0 时给出：包含部分词语的内容（含词多的在前），"
            "words 为每个词单独的篇数；total、results、facets 仍是精确结果",
            "required": ["words", "total", "page", "results"],
            "properties": {
                "words": _COUNTS,
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "results": {"type": "array", "items": partial_hit},
            },
        },
    }
    search["required"] = [*search["required"], "query", "facets"]
    topic = {
        "type": "object",
        "required": ["slug", "number", "title", "url"],
        "properties": {
            "slug": {"type": "string"},
            "number": {"type": "integer"},
            "title": {"type": "string"},
            "label": {"type": "string"},
            "summary": {"type": "string"},
            "example": {"type": "boolean"},
            "url": {"type": "string", "format": "uri"},
            "parts": _COUNTS,
        },
    }
    not_found = {"description": "不存在或未发布"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "casebook 社区治理案例库 API",
            "version": "1",
            "description": "只读接口。只返回已发布（published）的内容。",
        },
        "servers": [{"url": server}],
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "全文搜索（中文子串匹配）",
                    "parameters": [
                        _param("q", '查询：空格分隔的词须同时出现；"…" 为精确短语；-词 表示排除'),
                        *(_param(f, f"按 {f} 筛选") for f in _FILTERS),
                        *_PAGING,
                    ],
                    "responses": {"200": _ok(search), "503": {"description": "索引尚未建立"}},
                }
            },
            "/api/topics": {
                "get": {"summary": "全部主题（期）", "parameters": _PAGING, "responses": {"200": _ok(_list_of(topic))}}
            },
            "/api/topics/{slug}": {
                "get": {
                    "summary": "一期主题及其闭环内容",
                    "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": _ok(topic), "404": not_found},
                }
            },
            "/api/entries": {
                "get": {
                    "summary": "条目列表（新的在前）",
                    "parameters": [
                        _param("kind", "类型", _KIND),
                        *(_param(f, f"按 {f} 筛选") for f in _FILTERS if f != "kind"),
                        *_PAGING,
                    ],
                    "responses": {"200": _ok(_list_of(_ENTRY)), "400": {"description": "kind 无效"}},
                }
            },
            "/api/entries/{kind}/{slug}": {
                "get": {
                    "summary": "单个条目（含正文 HTML）",
                    "parameters": [
                        {"name": "kind", "in": "path", "required": True, "schema": _KIND},
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {"200": _ok(_FULL_ENTRY), "404": not_found},
                }
            },
            "/api/learning": {
                "get": {
                    "summary": "借鉴学习记录（新的在前）",
                    "parameters": [*(_param(f, f"按 {f} 筛选") for f in LEARNING_FILTERS), *_PAGING],
                    "responses": {"200": _ok(_list_of(LEARNING))},
                }
            },
            "/api/learning/{slug}": {
                "get": {
                    "summary": "单条借鉴学习记录（含学习对象和说明 HTML）",
                    "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": _ok(_FULL_LEARNING), "404": not_found},
                }
            },
        },
    }
