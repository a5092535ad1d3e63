"""The background job kinds casebook registers: a search index rebuild, and publishing the content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from . import indexing, turns
from .catalog.publish import publish
from .db import db
from .job_queue import DAY, Reporter, register
from .search import AnyIndex


def _paths(app: Flask) -> tuple[Path, AnyIndex]:
    return Path(app.config["CASEBOOK_CONTENT_DIR"]), app.extensions["casebook.search"]


@register("rebuild-search", "重建搜索索引")
def rebuild_search(app: Flask, args: dict[str, Any], progress: Reporter) -> str:
    """Rebuild the whole search index into a fresh directory and swap it in."""
    root, index = _paths(app)
    progress.stage("正在重建搜索索引")
    count = indexing.rebuild(db.session, index, root, progress)
    return f"搜索索引已重建：{count} 篇"


class PublishFailed(RuntimeError):
    """The catalog was published but the search index was not: the job fails with this message."""


@register("sync", "同步内容")
def sync_content(app: Flask, args: dict[str, Any], progress: Reporter) -> str:
    """``casebook sync`` on the job runner: catalog from the content folder, then the search index."""
    root, index = _paths(app)
    progress.stage("正在同步内容")
    with turns.turn(turns.lock_path(Path(app.config["CASEBOOK_DATA_DIR"])), db.engine):  # one sync at a time
        result = publish(db.session, root, index, progress=progress, index_progress=progress)
    if not result.ok:
        raise PublishFailed(result.summary())
    return result.summary()


@register("purge-proposals", "删除到期的建议个人信息", every=DAY)
def purge_proposals(app: Flask, args: dict[str, Any], progress: Reporter) -> str:
    """``casebook proposals purge`` on the job runner: queued once a day by every runner (``enqueue_due``)."""
    from .participation import proposals
    from .staff.models import utcnow

    days = app.config["CASEBOOK_PROPOSAL_RETENTION_DAYS"]
    count = proposals.purge(db.session, utcnow(), days)
    db.session.commit()
    return f"已删除 {count} 条建议中的个人信息（保存期限 {days} 天）"
