"""Every HTML page of the app, once: a library built from tests/democontent with every state a page
can show (published entries with history, an entry in review, a pending edit, an import report, a
queued job, staff accounts), and a map from each HTML GET endpoint of ``app.url_map`` to at least one
concrete URL on that library.

``PAGES`` is the map; ``NOT_HTML`` lists the GET endpoints that answer with something other than an
HTML page (and why). ``unmapped(app)`` names every HTML GET endpoint with no URL in ``PAGES``: a test
fails on it, so a page added later must be added here (and so gets the accessibility test).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from casebook.db import db
from casebook.staff.models import AuditEvent

from .browserkit import prepare_app
from .conftest import DEMO
from .convertkit import interview_docx
from .staffkit import entry_form, form_of, login, token

PASSWORD = "无障碍检查 每个页面 2026!"
ADMIN = "管理员老周"
EDITOR = "编辑小王"
STAFF = {ADMIN: "admin", EDITOR: "editor"}
COLLECTING = 2030
"""A year folder whose 征集 is open whenever the tests run (year.yml written around today)."""
IMPORT_EVENT = "{import_event}"
"""Placeholder in a URL for the id of the import made while building the library."""


@dataclass(frozen=True)
class Page:
    endpoint: str
    url: str
    staff: bool = False

    @property
    def name(self) -> str:
        return ("staff " if self.staff else "") + self.url


NOT_HTML: dict[str, str] = {
    "static": "static files (CSS, scripts, pictures)",
    "meta.favicon": "a picture",
    "meta.feed": "Atom XML",
    "meta.sitemap": "sitemap XML",
    "meta.robots": "plain text",
    "meta.healthz": "plain text health check",
    "public.media": "pictures and files of the content folder",
    "downloads.attachment": "attachment downloads (PDF, DOCX, XLSX), never inline",
    "api.entries": "JSON API",
    "api.entry": "JSON API",
    "api.openapi": "JSON API description",
    "api.search": "JSON API",
    "api.topics": "JSON API",
    "api.topic": "JSON API",
    "api.learning_list": "JSON API",
    "api.learning_record": "JSON API",
    "share.jssdk": "JSON for the WeChat JS-SDK",
    "share.entry_qr_png": "QR code picture",
    "share.entry_qr_svg": "QR code picture",
    "share.topic_qr_png": "QR code picture",
    "share.topic_qr_svg": "QR code picture",
    "share.project_qr_png": "QR code picture",
    "share.project_qr_svg": "QR code picture",
    "word.case": "Word document",
    "word.interview": "Word document",
    "word.salon": "Word document",
    "projects.board_csv": "CSV",
    "projects.year_feed": "Atom XML: a year's project events (tests/test_project_feeds.py parses it)",
    "projects.project_feed_xml": "Atom XML: one project's events (tests/test_project_feeds.py parses it)",
    "projects.ratings_csv": "CSV",
    "share.topic_card_pdf": "PDF",
    "share.topic_booklet_pdf": "PDF",
    "staff_import.report_json": "JSON",
    "staff_settings.job_json": "JSON job status",
    "proposals.listing_csv": "CSV",
}

PUBLIC = "dianti-liuan-qihao"  # a published case: the admin publishes an edit of it (history)
PENDING = "shitang-shiqiao"  # a published case with an editor's pending edit (review shows a diff)
NEW = "xin-anli-shenhe"  # a new case the editor submits for review

PAGES: list[Page] = [
    Page("public.home", "/"),
    Page("public.topic", "/topics/dianti-jiazhuang"),
    Page("public.topic", "/topics/laji-fenlei"),  # an example topic
    Page("public.cases", "/cases/"),
    Page("public.interviews", "/interviews/"),
    Page("public.salons", "/salons/"),
    Page("public.shares", "/shares/"),
    Page("communities.community", "/communities/柳岸社区"),
    Page("public.case", f"/cases/{PUBLIC}"),
    Page("public.case", "/cases/haizhou-dianti"),  # a national case
    Page("public.interview", "/interviews/dianti-liuan"),
    Page("public.salon", "/salons/dianti-yishi"),
    Page("public.tag", "/tags/加装电梯"),
    Page("public.street", "/streets/松涛街道"),
    Page("search.page", "/search"),
    Page("search.page", "/search?q=电梯"),
    Page("search.page", "/search?q=没有这个词语"),
    Page("search.page", "/search?q=电梯 没有这个词语"),  # each word's count and the partial matches
    Page("search.page", "/search?q=电梯&page=99"),  # past the last page
    Page("learning.index", "/learning/"),
    Page("learning.index", "/learning/?street=松涛街道&topic=dianti-jiazhuang"),  # filtered: chips on
    Page("learning.record", "/learning/beiyuan-jiejian-dianti"),
    Page("projects.years", "/projects/"),
    Page("projects.board", "/projects/2023"),
    Page("projects.project", "/projects/2023/jiazhuang-dianti"),
    Page("proposals.propose", f"/projects/{COLLECTING}/propose"),  # open: the form
    Page("proposals.propose", "/projects/2023/propose"),  # closed: says when, links the list
    Page("proposals.done", f"/projects/{COLLECTING}/propose/done"),
    Page("proposals.listing", "/projects/2023/proposals"),  # the demo's offline proposals
    Page("proposals.listing", f"/projects/{COLLECTING}/proposals"),  # one published online proposal
    Page("projects.project", "/projects/2023/jiazhuang-dianti?rated=replaced"),  # after a second rating
    Page("share.topic_card", "/topics/dianti-jiazhuang/card"),
    Page("share.topic_share", "/topics/dianti-jiazhuang/share"),
    Page("auth.login", "/login"),
    Page("staff.dashboard", "/staff/", staff=True),
    Page("staff.entries", "/staff/entries", staff=True),
    Page("staff.audit_log", "/staff/audit", staff=True),
    Page("staff.users", "/staff/users", staff=True),
    Page("staff.ratings_page", "/staff/ratings", staff=True),
    Page("staff.new", "/staff/new/case", staff=True),
    Page("staff.edit", f"/staff/edit/case/{PUBLIC}", staff=True),
    Page("staff.edit", f"/staff/edit/case/{PENDING}", staff=True),
    Page("staff.view", f"/staff/view/case/{PUBLIC}", staff=True),
    Page("staff.new", "/staff/new/learning", staff=True),
    Page("staff.edit", "/staff/edit/learning/beiyuan-jiejian-dianti", staff=True),
    Page("staff.view", "/staff/view/learning/beiyuan-jiejian-dianti", staff=True),
    Page("staff.history", f"/staff/history/case/{PUBLIC}", staff=True),
    Page("staff.review_list", "/staff/review", staff=True),
    Page("staff.review", f"/staff/review/case/{PENDING}", staff=True),
    Page("staff.review", f"/staff/review/case/{NEW}", staff=True),
    Page("staff_import.upload", "/staff/import", staff=True),
    Page("staff_import.report", f"/staff/import/report/{IMPORT_EVENT}", staff=True),
    Page("staff_settings.page", "/staff/settings/glossary", staff=True),
    Page("staff_settings.page", "/staff/settings/places", staff=True),
    Page("staff_settings.yaml_page", "/staff/settings/glossary/yaml", staff=True),
    Page("staff_proposals.index", "/staff/proposals", staff=True),
    Page("staff_proposals.proposal", "/staff/proposals/1", staff=True),  # offline, answered, a project
    Page("staff_proposals.proposal", "/staff/proposals/3", staff=True),  # online, with a masked phone
    Page("share_staff.stats_index", "/staff/stats/", staff=True),
    Page("share_staff.topic_stats", "/staff/stats/topics/dianti-jiazhuang", staff=True),
    Page("share_staff.entry_stats", f"/staff/stats/cases/{PUBLIC}", staff=True),
    Page("share_staff.project_stats", "/staff/stats/projects/jiazhuang-dianti", staff=True),
    Page("share_staff.topic_gzh", "/topics/dianti-jiazhuang/gzh", staff=True),
    Page("share_staff.entry_gzh", f"/cases/{PUBLIC}/gzh", staff=True),
    Page("share_staff.project_gzh", "/projects/2023/jiazhuang-dianti/gzh", staff=True),
]


def html_get_endpoints(app: Flask) -> set[str]:
    """Every endpoint with a GET rule, less those in ``NOT_HTML``."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    return endpoints - set(NOT_HTML)


def unmapped(app: Flask) -> list[str]:
    """HTML GET endpoints with no URL in ``PAGES``, each with its rule."""
    mapped = {page.endpoint for page in PAGES}
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    return sorted(f"{endpoint} ({rules[endpoint]})" for endpoint in html_get_endpoints(app) - mapped)


def rate_residents(app: Flask, editor: FlaskClient) -> None:
    """Two residents rate the finished demo project with comments; the editor approves the first, so
    the project page shows results and a comment and the moderation page a waiting one."""
    url = "/projects/2023/jiazhuang-dianti"
    for choice, comment in (
        ("满意", "电梯装好后老人下楼方便多了。"),
        ("基本满意", "施工期间噪音大，希望以后提前通知。"),
    ):
        resident = app.test_client()
        answer = resident.post(
            f"{url}/rate", data={"csrf_token": token(resident, url), "choice": choice, "comment": comment}
        )
        assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    page = editor.get("/staff/ratings").get_data(as_text=True)
    first = re.search(r'action="/staff/ratings/(\d+)"', page)
    assert first, page[:500]
    approved = editor.post(
        f"/staff/ratings/{first.group(1)}", data={"csrf_token": token(editor, "/staff/ratings"), "decision": "approve"}
    )
    assert approved.status_code == 302


def build_library(base: Path) -> tuple[Flask, list[Page]]:
    """The demo library in ``base`` with every state a page shows; returns the app and ``PAGES``
    with the placeholders filled in."""
    content = Path(shutil.copytree(DEMO, base / "content"))
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    window = f"proposals:\n  open: {today - dt.timedelta(days=30)}\n  close: {today + dt.timedelta(days=30)}\n"
    (content / "projects" / str(COLLECTING)).mkdir()
    (content / "projects" / str(COLLECTING) / "year.yml").write_text(window, "utf-8")
    app = prepare_app(content, base / "data", users=STAFF, password=PASSWORD, rebuild_index=True)
    admin, editor = app.test_client(), app.test_client()
    login(admin, ADMIN, PASSWORD)
    login(editor, EDITOR, PASSWORD)

    def post_entry(client: FlaskClient, url: str, action: str, **fields: str) -> None:
        answer = client.post(url, data={**form_of(client, url), **entry_form(**fields), "action": action})
        assert answer.status_code == 302, (url, answer.get_data(as_text=True)[:500])

    published = {"topic": "dianti-jiazhuang", "date": "2023-04-07", "street": "松涛街道", "community": "柳岸社区"}
    body = "## 背景\n\n柳岸社区七号楼六层十八户，居民多次提出加装电梯。\n\n## 做法\n\n三轮楼栋议事。"
    post_entry(admin, f"/staff/edit/case/{PUBLIC}", "publish", title="柳岸社区七号楼：三轮议事", body=body, **published)
    post_entry(editor, f"/staff/edit/case/{PENDING}", "save", title="石桥社区：食堂开进活动中心", topic="shequ-shitang")
    post_entry(editor, "/staff/new/case", "submit", title="新案例：待审核", slug=NEW, topic="laji-fenlei")
    rerun = admin.post("/staff/settings/glossary/rerun", data={"csrf_token": token(admin, "/staff/settings/glossary")})
    assert rerun.status_code == 302
    form = {"kind": "interview", "topic": "dianti-jiazhuang", "csrf_token": token(editor, "/staff/import")}
    form["file"] = (io.BytesIO(interview_docx()), "访谈记录.docx")  # type: ignore[assignment]
    imported = editor.post("/staff/import", data=form, content_type="multipart/form-data")
    assert imported.status_code == 302, imported.get_data(as_text=True)[:500]
    match = re.search(r"imported=(\d+)", imported.location)
    assert match, imported.location
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.id == int(match.group(1)))) is not None
    resident = app.test_client()
    proposal = {
        "csrf_token": token(resident, f"/projects/{COLLECTING}/propose"),
        **{"title": "柳岸社区楼道照明", "problem": "柳岸社区老楼楼道灯坏了很久，晚上上下楼看不清。"},
        **{"street": "松涛街道", "community": "柳岸社区", "theme": "便民服务", "suggestion": "换成声控灯。"},
        **{"name": "居民老陈", "phone": "13912345678", "consent": "1"},
    }
    sent = resident.post(f"/projects/{COLLECTING}/propose", data=proposal)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    publish = {"csrf_token": token(admin, "/staff/proposals/3"), "action": "publish"}
    assert admin.post("/staff/proposals/3", data=publish).status_code == 302
    rate_residents(app, editor)
    pages = [Page(p.endpoint, p.url.replace(IMPORT_EVENT, match.group(1)), p.staff) for p in PAGES]
    return app, pages
