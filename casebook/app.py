"""Building the Flask app: defaults → ``CASEBOOK_*`` environment → ``overrides``.

``build_app`` makes the app without the command line; ``casebook.create_app`` (factory.py) adds the
casebook commands to ``app.cli`` for ``flask --app casebook``. Kept apart so the commands can build
an app without this module importing them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from . import private, stored_files
from .db import db, sqlite_file
from .search import PgSearchIndex, SearchIndex

_PACKAGE = Path(__file__).resolve().parent  # casebook/


def resource_dir(name: str) -> Path:
    """``templates``/``static``: inside the package when installed, beside it in a checkout."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"casebook is missing its {name} folder")


def build_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app (no CLI commands); nothing is read from the environment at import time."""
    conf = settings.build(overrides)
    app = Flask(
        "casebook",  # the package: app.name, logger and root path as before the factory moved
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=str(conf["DATA_DIR"]),
    )
    app.config.update({f"CASEBOOK_{k}": v for k, v in conf.items()})
    app.config.update(
        SECRET_KEY=conf["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=conf["DATABASE_URL"],
        # A ping before each checkout finds dropped server connections; an SQLite file has none to drop,
        # and the ping would be one more round trip on every page.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": not str(conf["DATABASE_URL"]).startswith("sqlite")},
        JSON_AS_ASCII=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        # Deliberately raised: a 200,000-character transcript is ~600 KB of form data (Werkzeug's
        # default cap is 500 KB), and an image upload may be 15 MB plus form overhead.
        MAX_FORM_MEMORY_SIZE=8 * 1024 * 1024,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if conf["PROXY_COUNT"]:
        # Only as many X-Forwarded-For/-Proto hops as there are trusted proxies: the client's address
        # (login limits, audit) and https (HSTS, cookies) come from them, never from the client itself.
        proxies = conf["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    for key in ("TESTING",):
        if overrides and key in overrides:
            app.config[key] = overrides[key]
    reader = conf["INSTANCE"] == "reader"
    # a reader keeps nothing on its disk: its data folder may be empty, read-only or missing
    data_dir = conf["DATA_DIR"] if reader else private.folder(conf["DATA_DIR"])  # 0700 when new
    database = sqlite_file(conf["DATABASE_URL"])
    if database is not None and database.parent.is_dir():
        private.touch(database)  # 0600 before SQLite makes it (and its -wal, -shm) with the umask's 0644
    db.init_app(app)
    # pictures, attachments, places and glossary: the writer's content folder, or the copies of it
    # its sync keeps in the (PostgreSQL) database for readers
    app.extensions["casebook.files"] = (
        stored_files.DatabaseFiles(lambda: db.session) if reader else stored_files.FolderFiles(conf["CONTENT_DIR"])
    )
    app.extensions["casebook.search"] = (
        PgSearchIndex(conf["DATABASE_URL"])
        if conf["SEARCH"] == "postgres"
        else SearchIndex(conf["DATA_DIR"] / "search")
    )

    from . import headers, pagecache, web
    from .participation import models as _participation_models  # noqa: F401  (tables for create_all)
    from .participation import proposal_models as _proposal_models  # noqa: F401  (tables for create_all)
    from .staff import models as _staff_models  # noqa: F401  (tables for create_all)
    from .views import (
        api,
        auth,
        communities,
        diskfull,
        meta,
        projects,
        public,
        readonly,
        search,
        share,
        share_staff,
        staff,
    )
    from .views import api_learning as _api_learning  # noqa: F401  (its routes join api.bp before registering)
    from .views import project_ratings as _project_ratings  # noqa: F401  (its routes join projects.bp)
    from .views import staff_accounts as _staff_accounts  # noqa: F401  (its routes join staff.bp before registering)
    from .views import staff_ratings as _staff_ratings  # noqa: F401  (its routes join staff.bp before registering)
    from .views import staff_review as _staff_review  # noqa: F401  (its routes join staff.bp before registering)

    web.init_app(app)
    readonly.init_app(app)  # a reader: staff pages and writes refused before the session and CSRF checks
    auth.init_app(app)
    diskfull.init_app(app)
    pagecache.init_app(app)
    headers.init_app(app)  # after the page cache: its hook then runs first, so cached pages keep their headers
    app.register_blueprint(staff.bp)
    from .views.staff_settings import bp as staff_settings_bp

    app.register_blueprint(staff_settings_bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(meta.bp)
    meta.init_verify_file(app)  # /MP_verify_*.txt when CASEBOOK_WECHAT_VERIFY_FILE names one
    app.register_blueprint(search.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(projects.bp)
    app.register_blueprint(communities.bp)
    from .views import proposals, staff_proposals

    app.register_blueprint(proposals.bp)  # 征集: /projects/<year>/propose, …/proposals
    app.register_blueprint(staff_proposals.bp)  # /staff/proposals (editor and above)
    from .views import learning as learning_views

    app.register_blueprint(learning_views.bp)  # 借鉴 records: /learning/
    share.init_app(app)
    app.register_blueprint(share_staff.bp)  # staff only: guarded by require("editor") in before_request
    from .views import staff_import, word

    staff_import.init_app(app)  # /staff/import, /staff/convert (and a 50 MB request limit for imports)
    app.register_blueprint(word.bp)  # /<kinds>/<slug>.docx for staff
    from .views import downloads

    downloads.init_app(app)  # /downloads/<file>: attachments, always as downloads
    with app.app_context():
        from . import catalog, migrate, turns

        # one process at a time (servers starting together): the others wait, then find it done. A
        # database already current needs no turn: a worker starting beside a long sync does not wait.
        revision = migrate.current(db.engine)
        current = revision == migrate.head() and catalog.schema_is_current(db.session)
        db.session.rollback()
        if reader:
            if not current:  # only the writer upgrades a shared database
                raise migrate.DatabaseNotReady(
                    f"只读服务器（CASEBOOK_INSTANCE=reader）的数据库版本是 {revision or '空'}，"
                    f"这个版本的 casebook 需要 {migrate.head()}：请先用同一版本启动编辑服务器（writer），"
                    "等它准备好数据库后再启动只读服务器"
                )
            return app
        with nullcontext() if current else turns.turn(turns.lock_path(conf["DATA_DIR"]), db.engine):
            # every table at this code's revision before any request (DatabaseTooNew: left untouched)
            done = migrate.prepare(db.engine)
            if done.startswith("upgraded"):
                app.logger.warning("database %s to %s", done, migrate.head())
            # the catalog's own layout stamp (before migrations): recreated tables are filled by the next sync
            if catalog.upgrade_schema(db.session):
                db.session.commit()
                if done != "created":
                    app.logger.warning("catalog tables recreated for this version: run casebook sync to fill them")
        _check_private(app, data_dir, database)
    return app


def _check_private(app: Flask, data_dir: Path, database: Path | None) -> None:
    """Warn the operator when other users may read the data folder, its database or its key."""
    files = [data_dir / "secret_key"]
    if database is not None:
        files += [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    found = private.exposed([data_dir, *files])
    if found:
        app.logger.warning(private.warning(data_dir, found))
