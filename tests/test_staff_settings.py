"""The glossary and places forms: rows, separators, per-row problems, conflicts, the background job after a save."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from casebook import indexing, jobs
from casebook.db import db
from casebook.job_models import Job
from casebook.staff.models import AuditEvent, utcnow

from .conftest import WriteEntry
from .staffkit import form_of, staff_client, token

GLOSSARY = "/staff/settings/glossary"
PLACES = "/staff/settings/places"


@pytest.fixture
def reviewer(app: Flask, resync: Callable[[], Any]) -> FlaskClient:
    resync()
    return staff_client(app, "审核老李", "reviewer")


def _rows(field_a: str, field_b: str, rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    return {field_a: [a for a, _ in rows], field_b: [b for _, b in rows]}


def _glossary(client: FlaskClient, rows: list[tuple[str, str]], **extra: Any) -> Any:
    form: dict[str, Any] = {**form_of(client, GLOSSARY), **_rows("term", "synonyms", rows), **extra}
    return client.post(GLOSSARY, data=form)


def _places(client: FlaskClient, rows: list[tuple[str, str]], **extra: Any) -> Any:
    form: dict[str, Any] = {**form_of(client, PLACES), **_rows("street", "communities", rows), **extra}
    return client.post(PLACES, data=form)


def _jobs(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(j.kind, j.state) for j in db.session.scalars(select(Job).order_by(Job.id))]


def _search(client: FlaskClient, q: str) -> list[str]:
    return [r["slug"] for r in client.get("/api/search", query_string={"q": q}).get_json()["results"]]


def _values(html: str, name: str) -> list[str]:
    if name in ("synonyms", "communities"):
        return re.findall(rf'<textarea name="{name}"[^>]*>([^<]*)</textarea>', html)
    return re.findall(rf'<input name="{name}" value="([^"]*)"', html)


def test_the_form_shows_the_file_as_rows_plus_blank_ones(reviewer: FlaskClient, content_dir: Path) -> None:
    (content_dir / "glossary.yml").write_text(
        "# 词表\n- term: 无主管楼院\n  synonyms: [三无楼院, 老旧散楼院]\n- term: 网格员\n", encoding="utf-8"
    )
    html = reviewer.get(GLOSSARY).get_data(as_text=True)
    assert _values(html, "term") == ["无主管楼院", "网格员", "", "", ""]
    assert _values(html, "synonyms") == ["三无楼院、老旧散楼院", "", "", "", ""]
    assert 'class="add-row secondary" hidden' in html and "settings.js" in html and "onclick" not in html
    places = reviewer.get(PLACES).get_data(as_text=True)
    assert _values(places, "street")[:2] == ["林山寨街道", "秦岭路街道"]
    assert _values(places, "communities")[:2] == ["农业银行社区、碧沙岗社区", "新街坊社区"]


def test_saving_rows_with_every_separator_writes_clean_yaml_and_queues_a_rebuild(
    app: Flask, reviewer: FlaskClient, content_dir: Path
) -> None:
    (content_dir / "glossary.yml").write_text("# 搜索词表：保留这段说明\n- term: 旧词\n", encoding="utf-8")
    rows = [("无主管楼院", "三无楼院，老旧散楼院、弃管楼院,无物业小区;楼院甲；楼院乙 楼院丙\u3000楼院丁"), ("", "")]
    saved = _glossary(reviewer, [*rows, ("网格员", "网格长")])
    assert saved.status_code == 302 and saved.headers["Location"] == GLOSSARY
    text = (content_dir / "glossary.yml").read_text(encoding="utf-8")
    assert text == (
        "# 搜索词表：保留这段说明\n"
        "- term: 无主管楼院\n"
        "  synonyms: [三无楼院, 老旧散楼院, 弃管楼院, 无物业小区, 楼院甲, 楼院乙, 楼院丙, 楼院丁]\n"
        "- term: 网格员\n"
        "  synonyms: [网格长]\n"
    )
    assert _jobs(app) == [("rebuild-search", "queued")]
    html = reviewer.get(GLOSSARY).get_data(as_text=True)
    assert "已保存，索引重建中" in html and "已生效" not in html
    assert _values(html, "synonyms")[0] == "三无楼院、老旧散楼院、弃管楼院、无物业小区、楼院甲、楼院乙、楼院丙、楼院丁"
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings")).one()
        assert (event.user, event.target) == ("审核老李", "glossary.yml")
    finished = jobs.run_one(app)
    assert finished is not None and finished.state == "done"
    html = reviewer.get(GLOSSARY).get_data(as_text=True)
    assert "已生效" in html and "索引重建中" not in html and "搜索索引已重建" in html


def test_a_synonym_added_in_the_form_finds_entries_after_the_job(
    app: Flask, reviewer: FlaskClient, client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "wuye", title="物业撤场以后", body="小区物业撤场后，居民成立自管会。")
    resync()
    assert _search(client, "物业退出") == []
    assert _glossary(reviewer, [("物业退出", "物业撤场 物业撤出")]).status_code == 302
    assert jobs.run_one(app) is not None
    assert _search(client, "物业退出") == ["wuye"]
    assert _search(client, "物业撤出") == ["wuye"]


def test_an_entry_saved_while_the_rebuild_waits_is_indexed_alone_not_by_a_rebuild_in_the_request(
    app: Flask,
    reviewer: FlaskClient,
    client: FlaskClient,
    content_dir: Path,
    write_entry: WriteEntry,
    resync: Callable[[], Any],
) -> None:
    write_entry("case", "wuye", title="物业撤场以后", body="小区物业撤场后，居民成立自管会。")
    write_entry("case", "dianti", title="加装电梯", body="楼院议事会商量加装电梯。")
    resync()
    assert _glossary(reviewer, [("物业退出", "物业撤场")]).status_code == 302
    edit = "/staff/edit/case/dianti"
    form = {**form_of(reviewer, edit), "title": "加装电梯", "topic": "louyuan", "date": "2026-11-20"}
    body = "楼院议事会商量加装电梯，物业撤场后由自管会维护。"
    saved = reviewer.post(edit, data={**form, "body": body, "action": "publish"})
    assert saved.status_code == 302
    # the save indexed its own entry at once and queued nothing more than the one waiting rebuild ...
    assert "由自管会维护" in (content_dir / "cases" / "dianti.md").read_text(encoding="utf-8")
    assert _search(client, "维护") == ["dianti"]
    assert _jobs(app) == [("rebuild-search", "queued")]
    # ... and did not rebuild the whole index (minutes at 10k entries): that is the job's work
    index = app.extensions["casebook.search"]
    assert indexing.needs_rebuild(index, content_dir)
    assert jobs.run_one(app) is not None
    assert not indexing.needs_rebuild(index, content_dir)
    assert sorted(_search(client, "物业退出")) == ["dianti", "wuye"]


def test_a_save_during_a_running_rebuild_does_not_wait_for_it_and_queues_one_more(
    app: Flask, reviewer: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "dianti", title="加装电梯", body="楼院议事会商量加装电梯。")
    resync()
    index = app.extensions["casebook.search"]
    started, finish = threading.Event(), threading.Event()

    def slow_docs() -> Iterator[Any]:  # a rebuild that holds the index until told to finish
        started.set()
        finish.wait(60)
        yield from ()

    rebuild = threading.Thread(target=index.rebuild, args=(slow_docs(),))
    rebuild.start()
    try:
        assert started.wait(10)
        edit = "/staff/edit/case/dianti"
        form = {**form_of(reviewer, edit), "title": "加装电梯", "topic": "louyuan", "date": "2026-11-20"}
        saved = reviewer.post(edit, data={**form, "body": "改过的正文。", "action": "publish"}, follow_redirects=True)
        assert rebuild.is_alive()  # the save came back while the rebuild still held the index
    finally:
        finish.set()
        rebuild.join(30)
    assert saved.status_code == 200 and "这次修改在重建完成后可以搜到" in saved.get_data(as_text=True)
    assert _jobs(app) == [("rebuild-search", "queued")]
    assert jobs.run_one(app) is not None
    assert _search(reviewer, "改过的正文") == ["dianti"]


def test_a_form_over_the_row_limit_is_refused_whole_not_cut_short(
    reviewer: FlaskClient, content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casebook.views import staff_settings

    monkeypatch.setattr(staff_settings, "MAX_ROWS", 3)
    before = (content_dir / "glossary.yml").read_bytes() if (content_dir / "glossary.yml").exists() else None
    refused = _glossary(reviewer, [("甲", ""), ("乙", ""), ("丙", ""), ("丁", "")])
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "最多 3 行，这次有 4 行" in html
    assert _values(html, "term")[:4] == ["甲", "乙", "丙", "丁"]
    after = (content_dir / "glossary.yml").read_bytes() if (content_dir / "glossary.yml").exists() else None
    assert after == before


def test_bad_rows_are_refused_next_to_the_row_with_everything_kept(
    app: Flask, reviewer: FlaskClient, content_dir: Path
) -> None:
    before = (content_dir / "glossary.yml").read_bytes() if (content_dir / "glossary.yml").exists() else None
    rows = [("无主管楼院", "三无楼院"), ("", "孤零零的同义词"), ("三无楼院", "另一个词"), ("两个 词语", "")]
    refused = _glossary(reviewer, rows)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert _values(html, "term")[:4] == ["无主管楼院", "", "三无楼院", "两个 词语"]
    assert _values(html, "synonyms")[:4] == ["三无楼院", "孤零零的同义词", "另一个词", ""]
    assert html.count('class="setting-row has-error"') == 3
    assert "未保存：请按提示修改第 2 行、第 3 行、第 4 行。" in html
    second_row = html.split('第 <span class="row-number">2</span> 行')[1].split("</fieldset>")[0]
    assert "有同义词但没有词语" in second_row
    assert "“三无楼院”已在第 1 行出现" in html and "只填一个词" in html
    after = (content_dir / "glossary.yml").read_bytes() if (content_dir / "glossary.yml").exists() else None
    assert after == before and _jobs(app) == []


def test_a_save_meanwhile_is_a_conflict_showing_both_versions(
    app: Flask, reviewer: FlaskClient, content_dir: Path
) -> None:
    other = staff_client(app, "审核小张", "reviewer")
    mine_form, their_form = form_of(reviewer, GLOSSARY), form_of(other, GLOSSARY)
    theirs = other.post(GLOSSARY, data={**their_form, **_rows("term", "synonyms", [("无主管楼院", "三无楼院")])})
    assert theirs.status_code == 302
    their_text = (content_dir / "glossary.yml").read_text(encoding="utf-8")
    refused = reviewer.post(GLOSSARY, data={**mine_form, **_rows("term", "synonyms", [("网格员", "网格长")])})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "保存冲突" in html
    assert "<td>无主管楼院</td><td>三无楼院</td>" in html  # their version
    assert _values(html, "term")[0] == "网格员" and _values(html, "synonyms")[0] == "网格长"  # mine, kept
    assert (content_dir / "glossary.yml").read_text(encoding="utf-8") == their_text
    # saving again from the conflict page (now based on their version) goes through
    again = _glossary(reviewer, [("无主管楼院", "三无楼院"), ("网格员", "网格长")])
    assert again.status_code == 302
    assert "网格长" in (content_dir / "glossary.yml").read_text(encoding="utf-8")


def test_an_unchanged_form_writes_nothing_and_queues_nothing(
    app: Flask, reviewer: FlaskClient, content_dir: Path
) -> None:
    original = "林山寨街道:\n  - 农业银行社区\n  - 碧沙岗社区\n秦岭路街道:\n  - 新街坊社区\n"
    assert (content_dir / "places.yml").read_text(encoding="utf-8") == original
    response = _places(reviewer, [("林山寨街道", "农业银行社区 碧沙岗社区"), ("秦岭路街道", "新街坊社区")])
    assert response.status_code == 302
    assert "街道与社区没有改动" in reviewer.get(PLACES).get_data(as_text=True)
    assert _jobs(app) == []


def test_places_save_queues_a_sync_that_revalidates_entries(
    app: Flask, reviewer: FlaskClient, client: FlaskClient, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "xinshequ", title="新社区的故事", street="林山寨街道", community="绿东村社区")
    resync()
    assert "绿东村社区" not in client.get("/cases/xinshequ").get_data(as_text=True)  # unknown: dropped
    rows = [("林山寨街道", "农业银行社区、碧沙岗社区、绿东村社区"), ("秦岭路街道", "新街坊社区")]
    assert _places(reviewer, rows).status_code == 302
    assert _jobs(app) == [("sync", "queued")]
    assert "已保存，内容同步中" in reviewer.get(PLACES).get_data(as_text=True)
    finished = jobs.run_one(app)
    assert finished is not None and finished.state == "done" and finished.message.startswith("同步完成：")
    assert "绿东村社区" in client.get("/cases/xinshequ").get_data(as_text=True)
    assert "已生效" in reviewer.get(PLACES).get_data(as_text=True)


def test_places_rows_with_a_community_under_two_streets_are_refused(reviewer: FlaskClient, content_dir: Path) -> None:
    before = (content_dir / "places.yml").read_text(encoding="utf-8")
    refused = _places(reviewer, [("林山寨街道", "农业银行社区"), ("秦岭路街道", "新街坊社区，农业银行社区")])
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "社区“农业银行社区”已列在第 1 行的“林山寨街道”下" in html
    assert "新街坊社区，农业银行社区" in html
    assert (content_dir / "places.yml").read_text(encoding="utf-8") == before


def test_removing_a_street_entries_use_asks_for_confirmation(
    app: Flask, reviewer: FlaskClient, content_dir: Path, write_entry: WriteEntry, resync: Callable[[], Any]
) -> None:
    write_entry("case", "qinling", title="秦岭路的做法", street="秦岭路街道", community="新街坊社区")
    resync()
    rows = [("林山寨街道", "农业银行社区、碧沙岗社区")]
    asked = _places(reviewer, rows)
    assert asked.status_code == 422
    html = asked.get_data(as_text=True)
    assert "街道“秦岭路街道”：1 篇条目" in html and "社区“新街坊社区”：1 篇条目" in html
    assert 'name="confirm"' in html and _values(html, "communities")[0] == "农业银行社区、碧沙岗社区"
    assert "秦岭路街道" in (content_dir / "places.yml").read_text(encoding="utf-8")
    assert _places(reviewer, rows, confirm="1").status_code == 302
    assert "秦岭路街道" not in (content_dir / "places.yml").read_text(encoding="utf-8")


def test_a_failed_job_is_told_with_its_message_and_can_be_run_again(app: Flask, reviewer: FlaskClient) -> None:
    assert _glossary(reviewer, [("网格员", "网格长")]).status_code == 302
    with app.app_context():
        job = jobs.claim(db.engine, "worker")
        assert job is not None
        jobs.finish(db.engine, job.id, "worker", False, "运行出错（OSError）：磁盘已满", 0, 0)
    html = reviewer.get(GLOSSARY).get_data(as_text=True)
    assert "未能生效" in html and "运行出错（OSError）：磁盘已满" in html and "已生效" not in html
    rerun = reviewer.post(f"{GLOSSARY}/rerun", data={"csrf_token": token(reviewer, GLOSSARY)})
    assert rerun.status_code == 302
    assert _jobs(app) == [("rebuild-search", "failed"), ("rebuild-search", "queued")]


def test_job_status_json_and_dashboard_follow_the_job(app: Flask, reviewer: FlaskClient, client: FlaskClient) -> None:
    assert _glossary(reviewer, [("网格员", "网格长")]).status_code == 302
    with app.app_context():
        job_id = db.session.scalars(select(Job.id)).one()
    status = reviewer.get(f"/staff/jobs/{job_id}?saved=1").get_json()
    assert (status["state"], status["headline"], status["label"]) == ("queued", "已保存，索引重建中", "重建搜索索引")
    dashboard = reviewer.get("/staff/").get_data(as_text=True)
    assert "后台任务" in dashboard and "重建搜索索引" in dashboard and "排队中" in dashboard
    assert f'data-job-url="/staff/jobs/{job_id}"' in dashboard
    jobs.run_one(app)
    status = reviewer.get(f"/staff/jobs/{job_id}?saved=1").get_json()
    assert (status["state"], status["headline"], status["done"], status["total"]) == ("done", "已生效", 0, 0)
    assert reviewer.get(f"/staff/jobs/{job_id}").get_json()["headline"] == "重建搜索索引：已完成"
    assert reviewer.get("/staff/jobs/999").status_code == 404
    assert client.get(f"/staff/jobs/{job_id}", headers={"Accept": "application/json"}).status_code == 401


def test_a_job_nobody_picks_up_says_so(app: Flask, reviewer: FlaskClient) -> None:
    assert _glossary(reviewer, [("网格员", "网格长")]).status_code == 302
    assert "后台任务可能没有运行" not in reviewer.get(GLOSSARY).get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(Job).values(created_at=utcnow() - dt.timedelta(minutes=3)))
        db.session.commit()
    assert "后台任务可能没有运行" in reviewer.get(GLOSSARY).get_data(as_text=True)


def test_an_expired_form_comes_back_with_the_rows(reviewer: FlaskClient, content_dir: Path) -> None:
    form = {"csrf_token": "expired", "base": "x", **_rows("term", "synonyms", [("网格员", "网格长、网格管理员")])}
    response = reviewer.post(GLOSSARY, data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "页面已过期" in html and _values(html, "synonyms")[0] == "网格长、网格管理员"
    assert not (content_dir / "glossary.yml").exists()


def test_the_yaml_view_reports_a_full_width_comma_as_a_hint(app: Flask, reviewer: FlaskClient) -> None:
    page = reviewer.get(f"{GLOSSARY}/yaml").get_data(as_text=True)
    assert 'name="text"' in page and f'action="{GLOSSARY}"' in page
    form = form_of(reviewer, f"{GLOSSARY}/yaml")
    saved = reviewer.post(GLOSSARY, data={**form, "text": "- term: 物业服务\n  synonyms: [物业退出，物业撤场]\n"})
    assert saved.status_code == 302
    html = reviewer.get(GLOSSARY).get_data(as_text=True)
    assert "提示：“物业退出，物业撤场”中的“，”把它分成了 2 个词" in html
    assert _values(html, "synonyms")[0] == "物业退出、物业撤场"
    assert _jobs(app) == [("rebuild-search", "queued")]


def test_only_reviewers_edit_settings(app: Flask, resync: Callable[[], Any]) -> None:
    editor = staff_client(app, "编辑小王", "editor")
    assert editor.get(GLOSSARY).status_code == 403
    reviewer = staff_client(app, "审核老李", "reviewer")
    assert reviewer.get("/staff/settings/nothing").status_code == 404
