"""Proof 5: property-based fuzzing (hypothesis) of content files and of every public query parameter
and staff form field.

Content: garbled entry and project files (bad YAML and YAML tricks, wrong types, missing or extra
keys, BOM, CRLF and lone CR, NUL and other control characters, invalid UTF-8, huge fields, cut-off
files, odd names) written beside three good cases, then ``casebook check`` and a sync: neither
crashes, every file is either published or reported with its path, the good cases stay published.

Web: every GET route of the public site (``app.url_map``) with its path arguments (real values or
garbage) and every query parameter the code reads (found in the source, the search facets, the
catalog filters and the OpenAPI description), with hostile values; and every form of the staff
pages (found by rendering them and reading their inputs) posted with fuzzed fields, plus the
editor's script endpoints (preview, convert, upload). No answer may be a 500.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import random
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import casebook
from casebook import content, create_app, queries
from casebook.cli import main, publish_content
from casebook.content import schema
from casebook.db import db
from casebook.models import ProblemRow
from casebook.search import FACETS
from casebook.staff import accounts

from . import library
from .procs import PASSWORD
from .web import Form, forms

KIND_DIRS = {"interview": "interviews", "salon": "salons", "case": "cases"}
GOOD = ("good-a", "good-b", "good-c")


def fuzz_settings(examples: int, derandomize: bool) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# --- values ------------------------------------------------------------------------------------

NASTY = (
    "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\u202e", "\u200b", "\ufeff",
    "\r", "\r\n", "\t", "\n", "²", "①", "٣", "💥", "𠀀", "—", ":", ": ", "#", "&a", "*a", "!", "|", ">", "'", '"',
    "{", "}", "[", "]", "%", "@", "`", "---", "...", "- ", "? ", "<<", "!!python/object:os.system", "~", "\\",
    "<script>", "&amp;", "../", "/", "%00", "%ff", "null", "true", "1e999", "-0", "0x1F", "2022-02-30",
)  # fmt: skip


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    piece = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), st.sampled_from(NASTY))
    return st.lists(piece, max_size=max(1, max_size // 4)).map("".join)


huge = st.sampled_from([201, 5_000, 100_001, 200_001]).flatmap(
    lambda n: st.sampled_from(["长", "a", "长 ", "\x00"]).map(lambda c: (c * n)[:n])
)
numbers_as_text = st.one_of(
    st.integers(-(2**80), 2**80).map(str),
    st.sampled_from(["9" * 25, "-1", "0", "1.5", "1e5", "nan", "inf", "²", "①", "٣", "１２", " 3 ", "3\x00", ""]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts(),
    numbers_as_text,
    st.dates(),
    st.datetimes(),
    huge,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts(10), inner, max_size=3)),
    max_leaves=6,
)

# --- content files -------------------------------------------------------------------------------

YAML_TRICKS = (
    "key: [unclosed", "key: 'unterminated", '"key: "a', "\tindented: tab", "? [a, b]\n: 1", "<<: *nowhere",
    "a: &a [x, x]\nb: [*a, *a]", "title: !!python/object/apply:os.system [echo]", "cover: !!binary AAAA",
    "%YAML 1.1", "--- !tag", "1: number key", "null: null key", "title: x\ntitle: duplicate", "title:\n  - a\n  - b",
    "date: 2022-13-45", "date: 2022-02-29", "date: 99999-01-01", "date: 2022-03-01T10:00:00+08:00",
    "deep: " + "[" * 200,
    "tags: " + "{a: " * 50 + "1" + "}" * 50, "scope: [local]", "status: 1", "sample: yes", "topic: ~", ": no key",
    "title: |\n  folded\n   odd", "@reserved: x", "`backtick: x", "title: \"\\x00 escape\"", "title: \"\\ud800\"",
)  # fmt: skip


@st.composite
def front_matter(draw: st.DrawFn, kind: str) -> str:
    """A front-matter block: a valid base, then keys set to odd values, added, dropped, or raw YAML."""
    if kind == "project":
        meta: dict[Any, Any] = {"title": "项目", "year": 2023, "number": 1, "lead": "区民政局", "stage": "征集"}
        keys = [f.key for f in schema.PROJECT_FIELDS]
    elif kind == "learning":
        meta = {"date": dt.date(2023, 5, 1), "community": "碧沙岗社区", "type": "参观", "learned_from": ["case/good-a"]}
        keys = [f.key for f in schema.LEARNING_FIELDS]
    else:
        meta = {"title": "标题", "topic": "louyuan", "date": dt.date(2023, 5, 1), "scope": "local"}
        keys = [f.key for f in schema.ENTRY_FIELDS]
    for key in draw(st.lists(st.sampled_from(keys), max_size=4)):
        meta[key] = draw(values)
    for key in draw(st.lists(st.sampled_from([*keys, "title", "topic"]), max_size=2)):
        meta.pop(key, None)
    meta.update(draw(st.dictionaries(st.one_of(texts(10), st.integers(), st.none()), values, max_size=2)))
    how = draw(st.sampled_from(["dump", "dump", "dump", "tricks", "raw"]))
    if how == "raw":
        return draw(texts(200))
    try:
        text = yaml.safe_dump(
            meta, allow_unicode=draw(st.booleans()), sort_keys=False, width=draw(st.sampled_from([80, 10**6]))
        )
    except (yaml.YAMLError, ValueError, OverflowError):
        text = "title: x\n"
    if how == "tricks":
        lines = text.splitlines()
        for trick in draw(st.lists(st.sampled_from(YAML_TRICKS), min_size=1, max_size=3)):
            lines.insert(draw(st.integers(0, len(lines))), trick)
        text = "\n".join(lines) + "\n"
    return text


@st.composite
def content_file(draw: st.DrawFn, kind: str) -> bytes:
    """One content file's bytes: front matter and body, then the damage done to the whole."""
    front = draw(front_matter(kind))
    body = draw(st.one_of(texts(300), huge, st.just("## 做法\n\n正文。\n")))
    opening, closing = draw(
        st.sampled_from([("---\n", "---\n"), ("---\n", "---\n"), ("", "---\n"), ("---\n", ""), ("--- \n", "...\n")])
    )
    text = f"{opening}{front}{closing}{body}\n"
    for damage in draw(
        st.lists(st.sampled_from(["crlf", "cr", "bom", "nul", "cut", "latin1", "utf16", "gb18030", "flip"]), max_size=3)
    ):
        if damage == "crlf":
            text = text.replace("\n", "\r\n")
        elif damage == "cr":
            text = text.replace("\n", "\r")
        elif damage == "nul":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + "\x00" + text[at:]
    data = text.encode("utf-8", "surrogatepass")
    for damage in draw(st.lists(st.sampled_from(["bom", "cut", "latin1", "utf16", "gb18030", "flip"]), max_size=2)):
        if damage == "bom":
            data = b"\xef\xbb\xbf" + data
        elif damage == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif damage == "latin1":
            data = text.encode("latin-1", "replace")
        elif damage == "utf16":
            data = text.encode("utf-16")
        elif damage == "gb18030":
            data = text.encode("gb18030", "replace")
        elif damage == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    return data


names = st.one_of(
    st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,30}\Z"),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00."), min_size=1, max_size=20),
).filter(lambda n: not n.startswith(("good", ".")) and n.strip() == n and len(n.encode()) < 200)


@st.composite
def content_files(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """One to three files: (path relative to the content folder, bytes); distinct names."""
    made: list[tuple[str, bytes]] = []
    for name in draw(st.lists(names, min_size=1, max_size=3, unique_by=str.lower)):
        kind = draw(st.sampled_from([*KIND_DIRS, "project", "learning"]))
        if kind == "project":
            year = draw(st.sampled_from(["2023", "2024", "1", "99999", "年份"]))
            path = f"projects/{year}/{name}.md"
        elif kind == "learning":
            path = f"learning/{name}.md"
        else:
            sub = draw(st.sampled_from(["", "", "2024/"]))
            path = f"{KIND_DIRS[kind]}/{sub}{name}.md"
        made.append((path, draw(content_file(kind))))
    return made


@dataclass
class ContentFuzzFigures:
    examples: int = 0
    files: int = 0
    published: int = 0
    """Files published (some with a value dropped and reported: the rest of the entry publishes)."""
    reported: int = 0
    """Files reported with their path by ``casebook check``."""
    clean: int = 0
    """Files published with nothing to report (the fuzzer made a valid file)."""
    unaccounted: list[str] = field(default_factory=list)
    """Files neither published nor reported (none expected)."""
    unreported_in_catalog: list[str] = field(default_factory=list)
    """Files ``check`` reported with an error that the sync's problem list (the staff dashboard) lacks."""
    good_missing: list[str] = field(default_factory=list)
    check_exits: Counter[int] = field(default_factory=Counter)

    def summary(self) -> str:
        return (
            f"{self.examples} examples, {self.files} garbled files: {self.published} published ({self.clean} of them "
            f"valid), {self.reported} reported with their path, {len(self.unaccounted)} neither; sync problems missing "
            f"{len(self.unreported_in_catalog)}; good cases missing {len(self.good_missing)}; check exits "
            f"{dict(self.check_exits)}; 0 crashes (a crash fails the run)"
        )


def run_content(root: Path, examples: int = 120, derandomize: bool = True) -> ContentFuzzFigures:
    site = library.site(root)
    for slug in GOOD:
        library.case_path(site, slug).write_text(library.entry_text(f"好案例 {slug}", "## 做法\n\n正文。"), "utf-8")
    app = create_app({"TESTING": True, "CONTENT_DIR": site.content, "DATA_DIR": site.data})
    figures = ContentFuzzFigures()
    runner = CliRunner()
    written: list[Path] = []

    @fuzz_settings(examples, derandomize)
    @given(content_files())
    def one(files: list[tuple[str, bytes]]) -> None:
        # Hypothesis seeds the global ``random`` alike for every example; Whoosh names its segments with
        # it, so a later example's segment would take an earlier one's name and overwrite its files.
        random.seed(f"content-{figures.examples}")
        for path in written:
            path.unlink(missing_ok=True)
        written.clear()
        for rel, data in files:
            path = site.content / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
        figures.examples += 1
        figures.files += len(files)
        check = runner.invoke(main, ["check", str(site.content)])
        assert check.exception is None or isinstance(check.exception, SystemExit), check.output
        assert check.exit_code in (0, 1), check.output
        figures.check_exits[check.exit_code] += 1
        loaded = content.load(site.content)
        errors = {p.path.resolve() for p in loaded.problems if not p.is_warning}
        reported = {p.path.resolve() for p in loaded.problems}
        for rel, _ in files:
            path = (site.content / rel).resolve()
            stem = path.stem
            kind = next((k for k, d in KIND_DIRS.items() if rel.startswith(d + "/")), rel.split("/", 1)[0])
            if kind == "learning":
                published = stem in loaded.learning
            else:
                published = f"{kind}/{stem}" in loaded.entries if kind != "projects" else stem in loaded.projects
            figures.published += published
            figures.reported += path in reported
            figures.clean += published and path not in reported
            if not published and path not in reported:
                figures.unaccounted.append(rel)
        with app.app_context():
            assert publish_content(app, quiet=True) == 0, "the sync failed (see its log above)"
            rows = {r.path for r in db.session.scalars(select(ProblemRow))}
            for path in errors:
                rel = path.relative_to(site.content.resolve()).as_posix()
                if rel not in rows and any(rel == r for r, _ in files):
                    figures.unreported_in_catalog.append(rel)
            for slug in GOOD:
                if queries.get_entry(db.session, "case", slug) is None:
                    figures.good_missing.append(slug)
            db.session.remove()

    try:
        one()
    finally:
        app.extensions["casebook.search"].close()
    return figures


# --- the web -------------------------------------------------------------------------------------

ARG_RE = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def query_names(app: Flask) -> list[str]:
    """Every query parameter name the code reads: the source, the facets, the filters, the API's description."""
    found = set(FACETS) | set(schema.FILTERS)
    package = Path(casebook.__file__).parent
    for source in package.rglob("*.py"):
        found |= set(re.findall(r"args\.get(?:list)?\(\s*[\"']([^\"']+)[\"']", source.read_text("utf-8")))
    with app.test_client() as client:
        described = client.get("/api/openapi.json").get_json()
    for operations in described["paths"].values():
        for operation in operations.values():
            found |= {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    return sorted(found)


def fill_path(rule: str, real: dict[str, list[str]], draw: st.DrawFn) -> str:
    """The rule with each argument a real value (often) or a hostile one, percent-encoded."""

    def one(match: re.Match[str]) -> str:
        name, conv = match.group("name"), match.group("conv") or ""
        choices = real.get(name, [])
        if conv == "any":
            choices = re.findall(r"[a-z]+", match.group(0).split("(", 1)[1])
        value = draw(st.one_of(st.sampled_from(choices), texts(30), numbers_as_text) if choices else texts(30))
        return urllib.parse.quote(value, safe="/" if conv == "path" else "")

    return ARG_RE.sub(one, rule)


def query_values() -> st.SearchStrategy[str]:
    return st.one_of(texts(60), numbers_as_text, huge.map(lambda s: s[:3000]), st.sampled_from(["", "louyuan", "case"]))


@st.composite
def query_string(draw: st.DrawFn, params: list[str]) -> str:
    pairs = []
    for name in draw(st.lists(st.sampled_from(params), max_size=5)):
        pairs.append((name, draw(query_values())))
    pairs += draw(st.lists(st.tuples(texts(10), query_values()), max_size=1))
    encoded = urllib.parse.urlencode(pairs, encoding="utf-8", errors="surrogatepass")
    raw = draw(st.sampled_from(["", "", "&%ff%fe=%c3%28", "&q=%00", "&page=%F0%9F%92%A5", "&&&=&=="]))
    return encoded + raw


@dataclass
class WebFuzzFigures:
    routes: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    public_cases: int = 0
    form_cases: int = 0
    script_cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.public_cases} requests over {len(self.routes)} public GET routes × {len(self.params)} query "
            f"parameters; {self.form_cases} posts of {len(self.forms)} staff and public forms; "
            f"{self.script_cases} calls of "
            f"the editor's script endpoints; answers {dict(sorted(self.statuses.items()))}; 500s "
            f"{len(self.errors)}"
        )


def _site_for_web(root: Path) -> tuple[Flask, dict[str, list[str]]]:
    """A small library of every kind and a project, synced; an admin and an editor account."""
    site = library.site(root)
    for n, (kind, folder) in enumerate(KIND_DIRS.items()):
        extra = "tags: [议事协商, 楼院自治]\nstreet: 林山寨街道\ncommunity: 碧沙岗社区\n"
        text = library.entry_text(f"{kind} 条目", "## 做法\n\n正文，楼院议事。", "louyuan", extra)
        (site.content / folder / f"{kind}-{n}.md").write_text(text, "utf-8")
    project = site.content / "projects" / "2023" / "xiangmu.md"
    project.parent.mkdir(parents=True)
    project.write_text(
        "---\ntitle: 加装电梯\nyear: 2023\nnumber: 1\nlead: 区住建局\nstage: 征集\n---\n正文。\n", "utf-8"
    )
    today = dt.date.today()  # 征集 open around today, so the public proposal form is on its page
    window = f"proposals:\n  open: {today - dt.timedelta(days=3)}\n  close: {today + dt.timedelta(days=3)}\n"
    (project.parent / "year.yml").write_text(window, "utf-8")
    (project.parent / "pingyi.md").write_text(  # at 完成: its page carries the public rating form
        "---\ntitle: 社区食堂\nyear: 2023\nnumber: 2\nlead: 区民政局\nstage: 完成\n---\n正文。\n", "utf-8"
    )
    learning = site.content / "learning" / "canguan.md"
    learning.parent.mkdir(parents=True)
    learning.write_text(
        "---\ndate: 2023-05-01\ncommunity: 碧沙岗社区\ntype: 参观\nlearned_from: [case/case-2]\n"
        "topic: louyuan\n---\n参观。\n",
        "utf-8",
    )
    app = create_app({"TESTING": True, "CONTENT_DIR": site.content, "DATA_DIR": site.data})
    with app.app_context():
        assert publish_content(app, quiet=True) == 0
        accounts.add_user(db.session, ADMIN, "admin", PASSWORD)
        accounts.add_user(db.session, "fuzz-other", "editor", PASSWORD)
        db.session.commit()
    real = {
        "slug": ["case-2", "interview-0", "salon-1", "louyuan", "xiangmu", "pingyi", "canguan"],
        "kind": [*KIND_DIRS, "project", "learning"],
        "kind_dir": list(KIND_DIRS.values()),
        "year": ["2023"],
        "tag": ["议事协商"],
        "street": ["林山寨街道"],
        "name": ["glossary", "places", "fuzz-other"],
        "path": ["probe.png", "uploads/x.jpg"],
        "filename": ["casebook.css"],
        "change": ["role", "disable", "passwd"],
        "revision_id": ["1", "2"],
        "event_id": ["1"],
        "job_id": ["1"],
    }
    return app, real


ADMIN = "fuzz-admin"


def _login(client: FlaskClient) -> None:
    """Log in as the fuzzing admin unless already in (a fuzzed logout form may have logged it out)."""
    here = client.get("/staff/")
    here.close()
    if here.status_code == 200:
        return
    page = client.get("/login").get_data(as_text=True)
    token = next(f for f in forms(page) if f.action.endswith("/login")).value("csrf_token")
    client.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": token}).close()


def _pending_edit(client: FlaskClient) -> None:
    """An edit waiting for review and a revision history, so that the review and history pages show
    their forms (return, discard, publish, restore) to be collected."""
    for action, body in (("publish", "发布的修改。"), ("save", "待审核的修改。")):
        page = client.get("/staff/edit/case/case-2").get_data(as_text=True)
        editor = next(f for f in forms(page) if f.id == "editor")
        response = client.post("/staff/edit/case/case-2", data=dict(editor.filled(("action", action), body=body)))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]


PUBLIC_FORM_RULES = ("/projects/<int(max=9999):year>/propose",)
"""Public pages holding a form residents post (征集): fuzzed like the staff forms."""
PUBLIC_FORM_PAGES = ("/projects/2023/pingyi",)
"""Public pages carrying a resident's form (the rating form of a project at 完成), fuzzed with the staff forms."""


def staff_forms(app: Flask, client: FlaskClient, real: dict[str, list[str]]) -> list[tuple[str, Form]]:
    """(page, form) for every POST form on the staff pages and the public form pages, each page's
    arguments filled with real values; one of each (action, field names). Forms acting on the fuzzing
    account itself are left out (a fuzzed password or role would lock the fuzzer out)."""
    found: dict[tuple[str, tuple[str, ...]], tuple[str, Form]] = {}
    pages: list[list[str]] = [[url] for url in PUBLIC_FORM_PAGES]
    for rule in app.url_map.iter_rules():
        public = rule.rule in PUBLIC_FORM_RULES
        if not (rule.rule.startswith("/staff") or public) or "GET" not in (rule.methods or ()):
            continue
        urls = [rule.rule]
        for arg in rule.arguments:
            urls = [_put(u, arg, value) for u in urls for value in real.get(arg, ["x"])]
        pages.append(urls)
    for urls in pages:
        for url in urls:
            page = client.get(url)
            if page.status_code != 200 or not page.mimetype.startswith("text/html"):
                continue
            for form in forms(page.get_data(as_text=True)):
                for action in (form.action or url, *form.other_actions):
                    if form.method != "post" or ADMIN in urllib.parse.unquote(action):
                        continue
                    variant = dataclasses.replace(form, action=action)
                    found.setdefault((action.split("?")[0], tuple(sorted(f.name for f in form.fields))), (url, variant))
    return sorted(found.values(), key=lambda pair: (pair[1].action or pair[0], pair[0]))


def _put(url: str, arg: str, value: str) -> str:
    return ARG_RE.sub(lambda m: urllib.parse.quote(value) if m.group("name") == arg else m.group(0), url)


FIELD_CHOICES = ["keep", "fuzz", "fuzz", "omit"]
TOKEN_CHOICES = ["keep"] * 9 + ["fuzz"]  # a bad CSRF token now and then: the form comes back filled in
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts(), huge.map(lambda s: s[:5000])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts(10), inner, max_size=3)),
    max_leaves=5,
)
SCRIPT_ENDPOINTS = ("/staff/preview", "/staff/convert", "/staff/upload", "/staff/upload-attachment")
"""What the editor's scripts call (no form on a page): live preview, paste tidying, picture and attachment upload."""


def run_web(
    root: Path, public: int = 300, posts: int = 300, scripts: int = 60, derandomize: bool = True
) -> WebFuzzFigures:
    app, real = _site_for_web(root)
    figures = WebFuzzFigures()
    figures.params = params = query_names(app)
    figures.routes = routes = sorted(
        r.rule for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and not r.rule.startswith("/staff")
    )

    def record(method: str, url: str, response: Any) -> None:
        status = response.status_code
        response.close()
        figures.statuses[status] += 1
        if status >= 500 and status not in (503, 507):
            figures.errors.append(f"{method} {url[:300]} → {status}")
            raise AssertionError(f"{method} {url[:300]} answered {status}")

    reader = app.test_client()

    @fuzz_settings(public, derandomize)
    @given(st.data())
    def get_public(data: st.DataObject) -> None:
        url = fill_path(data.draw(st.sampled_from(routes)), real, data.draw) + "?" + data.draw(query_string(params))
        figures.public_cases += 1
        record("GET", url, reader.get(url))

    staff = app.test_client()
    _login(staff)
    _pending_edit(staff)
    found = staff_forms(app, staff, real)
    figures.forms = [f"{form.action or page} ({', '.join(f.name for f in form.fields)})" for page, form in found]

    @fuzz_settings(posts, derandomize)
    @given(st.data())
    def post_form(data: st.DataObject) -> None:
        random.seed(f"post-{figures.form_cases}")  # see run_content: Whoosh's segment names
        _login(staff)
        page, form = data.draw(st.sampled_from(found))
        fresh = forms(staff.get(page).get_data(as_text=True))  # a current CSRF token
        token = next((f.value("csrf_token") for f in fresh if any(x.name == "csrf_token" for x in f.fields)), "")
        sent: dict[str, Any] = {}
        for f in form.fields:
            choice = data.draw(st.sampled_from(TOKEN_CHOICES if f.name == "csrf_token" else FIELD_CHOICES))
            if choice == "omit":
                continue
            if f.type == "file":
                sent[f.name] = (io.BytesIO(data.draw(st.binary(max_size=2000))), data.draw(names) + ".docx")
            elif choice == "fuzz":
                options = st.sampled_from(f.options or [""])
                sent[f.name] = data.draw(st.one_of(texts(60), numbers_as_text, options, huge.map(lambda s: s[:5000])))
            else:
                sent[f.name] = token if f.name == "csrf_token" else f.value
        if form.buttons and data.draw(st.booleans()):
            name, value = data.draw(st.sampled_from(form.buttons))
            sent[name] = value
        url = form.action or page
        figures.form_cases += 1
        response = staff.post(url, data=sent, content_type="multipart/form-data")
        record("POST", url, response)

    @fuzz_settings(scripts, derandomize)
    @given(st.sampled_from(SCRIPT_ENDPOINTS), st.sampled_from(["json", "form", "file"]), st.data())
    def post_script(url: str, how: str, data: st.DataObject) -> None:
        random.seed(f"script-{figures.script_cases}")
        _login(staff)
        page = staff.get("/staff/new/case").get_data(as_text=True)
        token = next(f for f in forms(page) if f.id == "editor").value("csrf_token")
        headers = {"X-CSRFToken": token}
        figures.script_cases += 1
        if how == "json":
            body = data.draw(json_values)
            if isinstance(body, dict) and data.draw(st.booleans()):
                body |= {
                    "kind": data.draw(st.sampled_from([*KIND_DIRS, "project", "learning", ""])),
                    "body": data.draw(texts(200)),
                }
            payload = json.dumps(body, allow_nan=True)
            record("POST", url, staff.post(url, data=payload, content_type="application/json", headers=headers))
        elif how == "form":
            keys = st.sampled_from(["body", "text", "html", "kind", "title", "alt", "csrf_token"])
            fields = {"csrf_token": token, **data.draw(st.dictionaries(keys, texts(200), max_size=4))}
            record("POST", url, staff.post(url, data=fields, headers=headers))
        else:
            name = data.draw(names) + data.draw(
                st.sampled_from([".png", ".jpg", ".webp", ".docx", ".xlsx", ".pdf", ".txt", ""])
            )
            upload = (io.BytesIO(data.draw(st.binary(max_size=3000))), name)
            fields = {"csrf_token": token, "file": upload, "alt": data.draw(texts(20))}
            record("POST", url, staff.post(url, data=fields, headers=headers, content_type="multipart/form-data"))

    try:
        get_public()
        post_form()
        post_script()
    finally:
        app.extensions["casebook.search"].close()
    return figures
