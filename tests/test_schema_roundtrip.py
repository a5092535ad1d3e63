"""Every declared entry field, walked from the schema: file → catalog → API → index → form → file.

The values are generated from each field's declared type, so a field added to ``content/schema.py``
is exercised here without editing this test; a new *type* needs one line in each table below,
and the test fails with that type's name until it has them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from casebook import content
from casebook.content.projects import parse_project_file, serialize_project
from casebook.content.schema import (
    ENTRY_FIELDS,
    FILTERS,
    PROJECT_FIELDS,
    Field,
    ProjectField,
    api_fields,
    fields_of,
    form_fields,
)
from casebook.search import FACETS

from .staffkit import staff_client

STREET, COMMUNITY, TOPIC = "林山寨街道", "农业银行社区", "louyuan"  # from the fixtures' places.yml / topics.yml
COVER = "pics/round-trip.jpg"
ATTACHMENT = "attachments/2026/round-trip.docx"
VIDEO = "https://www.bilibili.com/video/BV1xx411c7mD"

BY_INPUT: dict[str, Any] = {"topic": TOPIC, "street": STREET, "community": COMMUNITY}
"""Inputs whose values must come from the content's own lists."""

SAMPLES: dict[str, Callable[[Field, str], Any]] = {
    "text": lambda f, kind: f"{f.label}{kind}甲乙",
    "line": lambda f, kind: f"{f.label}{kind}丙丁",
    "date": lambda f, kind: "2023-05-06",
    "list": lambda f, kind: [f"{f.label}一{kind}", f"{f.label}二{kind}"],
    "bool": lambda f, kind: not f.default,
    "url": lambda f, kind: VIDEO,
    "cover": lambda f, kind: COVER,
    "chapters": lambda f, kind: [{"at": "03:15", "title": f"{f.label}{kind}开场"}, {"at": "1:02:03", "title": "收尾"}],
    "source": lambda f, kind: {
        "name": f"{f.label}{kind}公众号",
        "url": "https://example.org/a?id=1",
        "date": "2023-05-06",
    },
    "attachments": lambda f, kind: [{"file": ATTACHMENT, "title": f"{f.label}{kind}议事规则"}],
    # a choice other than its default; ``status`` stays published so the entry is public
    "choice": lambda f, kind: "published" if f.key == "status" else [c for c in f.choices if c != f.default][-1],
}
"""A file value of each declared type (as written in front matter)."""

API_VALUES: dict[str, Callable[[Any], Any]] = {
    "text": lambda v: v,
    "line": lambda v: v,
    "date": lambda v: v,
    "list": lambda v: v,
    "bool": lambda v: v,
    "url": lambda v: v,
    "choice": lambda v: v,
    "cover": lambda v: f"https://cases.example.org/media/{v}",
    "chapters": lambda v: [
        {"at": "03:15", "seconds": 195, "title": v[0]["title"]},
        {"at": "1:02:03", "seconds": 3723, "title": v[1]["title"]},
    ],
    "source": dict,
    "attachments": lambda v: [
        {"title": a["title"], "type": "docx", "url": f"https://cases.example.org/downloads/{a['file']}"} for a in v
    ],
}
"""What the API shows for a file value of each type."""

FORM_VALUES: dict[str, Callable[[Any], str | dict[str, str]]] = {
    "text": str,
    "line": str,
    "date": str,
    "list": "、".join,
    "bool": lambda v: "1" if v else "",
    "url": str,
    "cover": str,
    "choice": str,
    "chapters": lambda v: "\n".join(f"{c['at']} {c['title']}" for c in v),
    "attachments": lambda v: "\n".join(f"{a['file']} {a['title']}" for a in v),
    "source": lambda v: {f"source-{part}": text for part, text in v.items()},
}
"""What the editor's input holds for a file value of each type (a mapping: one input per part)."""

SEARCH_TEXTS: dict[str, Callable[[Any], list[str]]] = {
    "text": lambda v: [v],
    "line": lambda v: [v],
    "list": list,
    "chapters": lambda v: [v[0]["title"]],
}
"""The words a search finds an entry by, for each type that can be searched as text."""

FILTER_VALUES: dict[str, Callable[[Any], str]] = {
    "text": str,
    "line": str,
    "choice": str,
    "date": lambda v: v[:4],
    "list": lambda v: v[0],
}
"""The query-parameter value that selects a file value of each filterable type."""


def _sample(spec: Field, kind: str) -> Any:
    if spec.input in BY_INPUT:
        return BY_INPUT[spec.input]
    return SAMPLES[spec.type](spec, kind)


def _write(root: Path, kind: str) -> tuple[str, dict[str, Any]]:
    meta = {spec.key: _sample(spec, kind) for spec in fields_of(kind)}
    slug = f"round-trip-{kind}"
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    path = content.entry_path(root, kind, slug)
    path.write_text(f"---\n{front}---\n正文{kind}独有的一句话。\n", encoding="utf-8")
    return slug, meta


def _form_controls(html: str) -> dict[str, str]:
    """The editor form's values as a browser submits them."""
    form = BeautifulSoup(html, "html.parser").find("form", id="editor")
    assert form is not None, html[:500]
    values: dict[str, str] = {}
    for control in form.find_all(["input", "select", "textarea"]):
        name = control.get("name")
        if not name or control.get("type") in ("submit", "button", "file"):
            continue
        if control.name == "textarea":
            values[name] = control.get_text()
        elif control.name == "select":
            chosen = control.find("option", selected=True) or control.find("option")
            values[name] = (chosen.get("value", chosen.get_text()) if chosen else "") or ""
        elif control.get("type") == "checkbox":
            if control.has_attr("checked"):
                values[name] = control.get("value", "on")
        else:
            values[name] = control.get("value", "")
    return values


@pytest.fixture
def library(content_dir: Path, resync: Callable[[], Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    (content_dir / "media" / "pics").mkdir(parents=True)
    Image.new("RGB", (64, 48), (200, 60, 40)).save(content_dir / "media" / COVER, "JPEG")
    (content_dir / "media" / ATTACHMENT).parent.mkdir(parents=True)
    (content_dir / "media" / ATTACHMENT).write_bytes(b"PK\x03\x04 a stand-in: listed files are not re-checked")
    written = {kind: _write(content_dir, kind) for kind in content.KINDS}
    resync()
    return written


def test_every_type_has_its_conversions() -> None:
    for spec in ENTRY_FIELDS:
        for table in (SAMPLES, API_VALUES, FORM_VALUES):
            assert spec.type in table, f"{spec.key}: no {spec.type!r} in this test's tables"
        if spec.index in ("title", "meta", "people"):
            assert spec.type in SEARCH_TEXTS, spec.key
        if spec.filter:
            assert spec.type in FILTER_VALUES, spec.key
    assert set(FACETS) == {"kind", *FILTERS}


def test_file_to_catalog_to_api(client: FlaskClient, library: dict[str, tuple[str, dict[str, Any]]]) -> None:
    openapi = client.get("/api/openapi.json").json
    paths = openapi["paths"]
    full = paths["/api/entries/{kind}/{slug}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    listing = paths["/api/entries"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    for spec in api_fields(full=True):
        assert full["properties"][spec.key]["description"] == spec.label
    for kind, (slug, meta) in library.items():
        data = client.get(f"/api/entries/{kind}/{slug}").json
        jsonschema.validate(data, full)
        for spec in api_fields(full=True):
            if spec.key in meta:
                assert data[spec.key] == API_VALUES[spec.type](meta[spec.key]), (kind, spec.key)
            else:
                assert data[spec.key] in (None, [], "", False), (kind, spec.key)  # not a field of this kind
        page = client.get(f"/api/entries?kind={kind}").json
        jsonschema.validate(page, listing)
        assert [e["slug"] for e in page["results"]] == [slug]
        for spec in fields_of(kind):
            if spec.filter:  # the catalog's filter finds it by the declared parameter
                value = FILTER_VALUES[spec.type](meta[spec.key])
                found = client.get("/api/entries", query_string={"kind": kind, spec.filter: value}).json
                assert [e["slug"] for e in found["results"]] == [slug], (kind, spec.key, value)


def test_file_to_index(client: FlaskClient, library: dict[str, tuple[str, dict[str, Any]]]) -> None:
    for kind, (slug, meta) in library.items():
        key = f"{kind}/{slug}"
        title = meta["title"]
        for spec in fields_of(kind):
            if spec.index in ("title", "meta", "people"):
                for text in SEARCH_TEXTS[spec.type](meta[spec.key]):
                    found = client.get("/api/search", query_string={"q": text}).json
                    assert key in {f"{h['kind']}/{h['slug']}" for h in found["results"]}, (spec.key, text)
            if spec.filter:
                value = FILTER_VALUES[spec.type](meta[spec.key])
                found = client.get("/api/search", query_string={"q": title, spec.filter: value}).json
                assert [h["slug"] for h in found["results"]] == [slug], (kind, spec.key)
                assert found["facets"][spec.filter].get(value) == 1, (kind, spec.key, found["facets"])
            if spec.index == "facet" and spec.type == "bool":  # shown on the hit, not a filter
                html = client.get("/search", query_string={"q": title}).get_data(as_text=True)
                assert ("badge-sample" in html) is bool(meta[spec.key]), (kind, spec.key)


def test_form_shows_every_field_and_saves_the_same_file(
    app: Flask, client: FlaskClient, content_dir: Path, library: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    admin = staff_client(app, "roundtrip-admin", "admin")
    for kind, (slug, meta) in library.items():
        path = content.entry_path(content_dir, kind, slug)
        before = path.read_text("utf-8")
        rules, _ = content.load_rules(content_dir)
        entry, problems = content.parse_text(before, kind, slug, rules=rules, path=path)
        assert entry is not None and not [p for p in problems if not p.is_warning], problems
        url = f"/staff/edit/{kind}/{slug}"
        controls = _form_controls(admin.get(url).get_data(as_text=True))
        for spec in form_fields(kind):
            expected = FORM_VALUES[spec.type](meta[spec.key])
            inputs = expected if isinstance(expected, dict) else {spec.key: expected}
            for name, text in inputs.items():
                shown = controls.get(name, "")
                assert shown.strip() == text.strip(), (kind, name, shown)
        response = admin.post(url, data={**controls, "action": "publish"})
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
        after = path.read_text("utf-8")
        again, _ = content.parse_text(after, kind, slug, rules=rules, path=path)
        assert again == entry, (kind, before, after)
        assert after == content.serialize(entry)  # written in the schema's order, defaults left out


def test_problems_are_keyed_by_field_path(content_dir: Path) -> None:
    rules, _ = content.load_rules(content_dir)
    front = "title: 一篇\ntopic: louyuan\ndate: 2023-02-30\nchapters:\n  - at: '03:15'\n    title: 一\n  - at: x\n"
    text = f"---\n{front}---\n正文\n"
    path = content_dir / "interviews" / "broken.md"
    entry, problems = content.parse_text(text, "interview", "broken", rules=rules, path=path)
    assert entry is None
    by_field = {p.field: p.line for p in problems}
    assert by_field["date"] == 4  # the file's line, for `casebook check`
    assert by_field["chapters.1"] == 8


def test_the_content_guide_lists_every_declared_field() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "content.md").read_text("utf-8")
    table = guide[guide.index("| key | kinds | required | notes |") :].split("\n\n", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        for key in cells[0].replace("`", "").split(","):
            rows[key.strip()] = cells
    for spec in ENTRY_FIELDS:
        assert spec.key in rows, f"docs/content.md does not list {spec.key}"
        kinds = rows[spec.key][1]
        assert kinds == ("all" if spec.kinds == content.KINDS else ", ".join(spec.kinds)), spec.key
        assert (rows[spec.key][2] == "yes") is spec.required, spec.key
    assert set(rows) == {spec.key for spec in ENTRY_FIELDS}


PROJECT_SAMPLES: dict[str, Callable[[ProjectField], Any]] = {
    "text": lambda f: f"{f.label}甲乙",
    "year": lambda f: 2024,
    "number": lambda f: 3,
    "bool": lambda f: not f.default,
    "choice": lambda f: "published" if f.key == "status" else [c for c in f.choices if c != f.default][-1],
    "vote": lambda f: {
        "session": "区人大一次会议",
        "date": "2024-01-10",
        "present": 100,
        "for": 91,
        "against": 5,
        "abstain": 3,
    },
    "indicators": lambda f: [{"name": "新增充电桩", "unit": "个", "planned": 10, "achieved": 12.5, "note": "含快充"}],
    "milestones": lambda f: [{"date": "2024-03", "text": "完成选址并开工", "evidence": ["https://example.org/a"]}],
    "evaluation": lambda f: {"date": "2024-12-01", "verdict": "满意", "score": 95.5, "text": "群众评价好"},
    "adjustments": lambda f: [
        {
            "date": "2024-07-02",
            "moved_by": "区人大代表联名",
            "reason": "选址变更",
            "change": "范围：增加两处点位",
            "outcome": f.choices[0],
            "vote": {"session": "区人大常委会会议", "date": "2024-07-02", "present": 30, "for": 28, "against": 1},
        },
        {
            "date": "2024-05-10",
            "moved_by": "区政府",
            "reason": "预算不足",
            "change": "预算：减少一成",
            "outcome": f.choices[-1],
        },
    ],
    "survey": lambda f: {
        "date": "2024-12-05",
        "method": "入户问卷",
        "satisfied": 30,
        "basically": 6,
        "dissatisfied": 1,
        "note": "抽样四个小区",
    },
    "related": lambda f: ["case/round-trip-case"],
    "topics": lambda f: ["yiqing", "louyuan"],  # not in topics.yml's order: the editor keeps the file's
}
"""A file value of each declared project type."""

PROJECT_PAGE_TEXTS: dict[str, Callable[[Any], list[str]]] = {
    "text": lambda v: [v],
    "year": lambda v: [str(v)],
    "number": lambda v: [],
    "bool": lambda v: ["示例内容"] if v else [],
    "choice": lambda v: [] if v == "published" else [v],
    "vote": lambda v: [v["session"], f"{v['for']}"],
    "indicators": lambda v: [i["name"] for i in v],
    "milestones": lambda v: [m["text"] for m in v],
    "adjustments": lambda v: [text for a in v for text in (a["moved_by"], a["reason"], a["change"], a["outcome"])],
    "evaluation": lambda v: [v["verdict"], v["text"]],
    "survey": lambda v: [v["method"], v["note"], "97.3%", "共 37 人"],
    "related": lambda v: ["标题case甲乙"],  # the related case's title (``_write``)
    "topics": lambda v: ["第2期·疫情防控", "第1期·无主管楼院治理"],  # the conftest topics, linked
}
"""What the project's public page shows of a file value of each type."""


def test_every_project_field_from_file_to_page_index_form_and_back(
    app: Flask, client: FlaskClient, content_dir: Path, resync: Callable[[], Any]
) -> None:
    _write(content_dir, "case")  # the entry ``related`` names
    meta = {spec.key: PROJECT_SAMPLES[spec.type](spec) for spec in PROJECT_FIELDS}
    path = content_dir / "projects" / "2024" / "round-trip.md"
    path.parent.mkdir(parents=True)
    path.write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n项目正文。\n", "utf-8")
    resync()
    before = path.read_text("utf-8")
    project, problems = parse_project_file(content_dir, path)
    assert project is not None and not [p for p in problems if not p.is_warning], problems

    page = client.get("/projects/2024/round-trip").get_data(as_text=True)
    for spec in PROJECT_FIELDS:
        for text in PROJECT_PAGE_TEXTS[spec.type](meta[spec.key]):
            assert text in page, (spec.key, text)
    for text in (meta["title"], meta["lead"], meta["indicators"][0]["name"]):
        found = client.get("/api/search", query_string={"q": text}).json
        assert "project/round-trip" in {f"{h['kind']}/{h['slug']}" for h in found["results"]}, text

    admin = staff_client(app, "roundtrip-admin", "admin")
    url = "/staff/edit/project/round-trip"
    controls = _form_controls(admin.get(url).get_data(as_text=True))
    response = admin.post(url, data={**controls, "action": "publish"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    again, _ = parse_project_file(content_dir, path)
    assert again == project, (before, path.read_text("utf-8"))
    assert path.read_text("utf-8") == serialize_project(project)


def test_project_problems_land_under_their_input(app: Flask, content_dir: Path, resync: Callable[[], Any]) -> None:
    admin = staff_client(app, "roundtrip-admin", "admin")
    url = "/staff/new/project"
    controls = _form_controls(admin.get(url).get_data(as_text=True))
    data = {
        **controls,
        "slug": "broken-project",
        "title": "一个项目",
        "year": "2024",
        "lead": "区民政局",
        "indicators-7-name": "床位",
        "indicators-7-planned": "很多",
        "action": "save",
    }
    html = admin.post(url, data=data).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    planned = soup.find(attrs={"name": "indicators-7-planned"})
    assert planned is not None and planned.get("value") == "很多"  # everything typed comes back
    label = planned.find_parent("label")
    assert label is not None
    under_input = " ".join(e.get_text() for e in label.select(".error"))
    assert "床位 的 planned" in under_input, soup.select(".error")  # under the input typed into, not the form's top


def test_where_the_catalog_keeps_each_field() -> None:
    from casebook.models import EntryRow

    columns = set(EntryRow.__table__.columns.keys())
    for spec in ENTRY_FIELDS:
        assert (spec.key in columns) is (spec.catalog == "column"), spec.key
        if spec.filter:  # lists and facets filter in SQL: the value needs a column or table of its own
            assert spec.catalog in ("column", "table"), spec.key


def test_an_entry_with_only_its_required_fields(
    client: FlaskClient, content_dir: Path, resync: Callable[[], Any]
) -> None:
    for kind in content.KINDS:
        meta = {spec.key: _sample(spec, kind) for spec in fields_of(kind) if spec.required}
        path = content.entry_path(content_dir, kind, f"bare-{kind}")
        path.write_text(f"---\n{yaml.safe_dump(meta, allow_unicode=True)}---\n正文。\n", "utf-8")
    resync()
    openapi = client.get("/api/openapi.json").json["paths"]["/api/entries/{kind}/{slug}"]["get"]
    full = openapi["responses"]["200"]["content"]["application/json"]["schema"]
    rules, _ = content.load_rules(content_dir)
    for kind in content.KINDS:
        data = client.get(f"/api/entries/{kind}/bare-{kind}").json
        jsonschema.validate(data, full)  # empty values keep their declared types
        for spec in fields_of(kind):
            if spec.default is not None:
                assert data.get(spec.key, spec.default) == spec.default, (kind, spec.key)
        path = content.entry_path(content_dir, kind, f"bare-{kind}")
        entry, _ = content.parse_text(path.read_text("utf-8"), kind, f"bare-{kind}", rules=rules, path=path)
        assert entry is not None
        text = content.serialize(entry)
        assert "null" not in text and "tags: []" in text  # `always` fields are written even when empty
        again, _ = content.parse_text(text, kind, f"bare-{kind}", rules=rules, path=path)
        assert again == entry
