"""Settings: defaults, then ``CASEBOOK_*`` environment variables, then explicit overrides."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import private
from .fetching import parse_hosts

ENV_KEYS = (
    "CONTENT_DIR",
    "DATA_DIR",
    "SECRET_KEY",
    "DATABASE_URL",
    "SITE_URL",
    "SITE_NAME",
    "ICP",
    "PAGE_CACHE",
    "WECHAT_APP_ID",
    "WECHAT_APP_SECRET",
    "WECHAT_API_BASE",
    "TIMEZONE",
    "IMPORT_IMAGE_HOSTS",
    "PROXY_COUNT",
    "WECHAT_VERIFY_FILE",
    "PROPOSAL_RETENTION_DAYS",
    "PROPOSAL_PER_HOUR",
    "PROPOSAL_PER_DAY",
    "ATTACHMENT_MAX_MB",
    "RATING_PER_HOUR",
    "RATING_PER_DAY",
    "SEARCH",
    "INSTANCE",
    "WRITER_URL",
)
INSTANCES = ("writer", "reader")
"""A writer owns ``content/``, the data folder, migrations and jobs; a reader serves from the database alone."""
MAY_BE_EMPTY = {"IMPORT_IMAGE_HOSTS"}
"""Settings where an empty value means "none" rather than "use the default"."""


class SettingError(ValueError):
    """A ``CASEBOOK_*`` setting that cannot be used; the message names it and what it must be."""


def defaults() -> dict[str, Any]:
    return {
        "CONTENT_DIR": "content",
        "DATA_DIR": "instance",
        "SECRET_KEY": None,
        "DATABASE_URL": None,
        "SITE_URL": None,
        "SITE_NAME": "社区治理案例库",
        "ICP": None,
        "PAGE_CACHE": True,
        "WECHAT_APP_ID": None,
        "WECHAT_APP_SECRET": None,
        "WECHAT_API_BASE": "https://api.weixin.qq.com",
        "TIMEZONE": "Asia/Shanghai",
        "IMPORT_IMAGE_HOSTS": "mmbiz.qpic.cn,mmbiz.qlogo.cn",
        "PROXY_COUNT": 0,
        "WECHAT_VERIFY_FILE": None,
        "PROPOSAL_RETENTION_DAYS": 365,
        "PROPOSAL_PER_HOUR": 5,
        "PROPOSAL_PER_DAY": 20,
        "ATTACHMENT_MAX_MB": 20,
        "RATING_PER_HOUR": 30,
        "RATING_PER_DAY": 100,
        "SEARCH": "whoosh",
        "INSTANCE": "writer",
        "WRITER_URL": None,
    }


def build(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve the settings; paths become absolute, the database defaults to SQLite in DATA_DIR."""
    environ = os.environ if environ is None else environ
    config = defaults()
    for key in ENV_KEYS:
        value = environ.get(f"CASEBOOK_{key}")
        if value or (value is not None and key in MAY_BE_EMPTY):
            config[key] = value
    config.update(overrides or {})
    config["IMPORT_IMAGE_HOSTS"] = parse_hosts(config["IMPORT_IMAGE_HOSTS"])
    config["CONTENT_DIR"] = Path(config["CONTENT_DIR"]).resolve()
    config["DATA_DIR"] = Path(config["DATA_DIR"]).resolve()
    config["PROXY_COUNT"] = _proxy_count(config["PROXY_COUNT"])
    config["ATTACHMENT_MAX_BYTES"] = (
        _whole_number("ATTACHMENT_MAX_MB", config["ATTACHMENT_MAX_MB"], 1, 200) * 1024 * 1024
    )
    for key in (
        "PROPOSAL_RETENTION_DAYS",
        "PROPOSAL_PER_HOUR",
        "PROPOSAL_PER_DAY",
        "RATING_PER_HOUR",
        "RATING_PER_DAY",
    ):
        config[key] = _whole_number(key, config[key], 1)
    config["PAGE_CACHE"] = str(config["PAGE_CACHE"]).lower() not in ("0", "false", "off", "no")
    try:
        ZoneInfo(str(config["TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingError(
            f"CASEBOOK_TIMEZONE={config['TIMEZONE']!r} 不是可识别的时区名，应写成 Asia/Shanghai 这样的形式"
        ) from exc
    if config["SITE_URL"]:
        config["SITE_URL"] = str(config["SITE_URL"]).rstrip("/")
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{config['DATA_DIR'] / 'casebook.sqlite3'}"
    config["SEARCH"] = str(config["SEARCH"]).strip().lower()
    if config["SEARCH"] not in ("whoosh", "postgres"):
        raise SettingError(
            f"CASEBOOK_SEARCH={config['SEARCH']!r} 应为 whoosh（索引存为数据文件夹里的文件）"
            "或 postgres（索引存在数据库里）"
        )
    postgres = is_postgres_url(str(config["DATABASE_URL"]))
    if config["SEARCH"] == "postgres" and not postgres:
        raise SettingError(
            "CASEBOOK_SEARCH=postgres 把搜索索引存在数据库里，所以 CASEBOOK_DATABASE_URL 必须是 PostgreSQL 数据库"
        )
    config["INSTANCE"] = str(config["INSTANCE"]).strip().lower()
    if config["INSTANCE"] not in INSTANCES:
        raise SettingError(
            f"CASEBOOK_INSTANCE={config['INSTANCE']!r} 应为 writer（编辑服务器，管理内容文件夹；默认）"
            "或 reader（只读服务器）"
        )
    if config["INSTANCE"] == "reader" and not (postgres and config["SEARCH"] == "postgres"):
        raise SettingError(
            "CASEBOOK_INSTANCE=reader（只读服务器）只从编辑服务器的数据库读取内容，所以要把 CASEBOOK_DATABASE_URL "
            "设为编辑服务器用的 PostgreSQL 数据库，并像编辑服务器一样设置 CASEBOOK_SEARCH=postgres"
        )
    if config["WRITER_URL"]:
        config["WRITER_URL"] = str(config["WRITER_URL"]).strip().rstrip("/")
        if not config["WRITER_URL"].startswith(("https://", "http://")):
            raise SettingError(
                f"CASEBOOK_WRITER_URL={config['WRITER_URL']!r} 应为编辑服务器的网址（以 https:// 或 http:// 开头），"
                "例如 https://edit.example.org"
            )
    if not config["SECRET_KEY"]:
        if postgres:
            raise SettingError(
                "CASEBOOK_SECRET_KEY 未设置。数据库是 PostgreSQL 时必须设置它，共用这个数据库的每台服务器"
                "都要用同一个密钥给登录状态和表单签名"
                "（可以用 python3 -c 'import secrets; print(secrets.token_hex(32))' 生成一个）"
            )
        config["SECRET_KEY"] = _stored_secret(config["DATA_DIR"])
    return config


def is_postgres_url(url: str) -> bool:
    """Whether a database URL names PostgreSQL (any driver: ``postgresql://``, ``postgresql+psycopg://``)."""
    return url.split(":", 1)[0].split("+", 1)[0].lower() in ("postgresql", "postgres")


def _proxy_count(value: Any) -> int:
    """How many reverse proxies in front of the app may be believed about the client (0: none)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or int(text) > 5:
        raise SettingError(f"CASEBOOK_PROXY_COUNT={value!r} 应为 0 到 5 的整数（在 nginx 后面一般为 1）")
    return int(text)


def _whole_number(key: str, value: Any, low: int, high: int = 100_000) -> int:
    """A setting that must be a whole number from ``low`` to ``high`` (days, posts, megabytes)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise SettingError(f"CASEBOOK_{key}={value!r} 应为 {low} 到 {high} 的整数")
    return int(text)


def content_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The content folder from the environment alone (for commands that need no app)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("CASEBOOK_CONTENT_DIR") or defaults()["CONTENT_DIR"]).resolve()


def import_image_hosts(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Hosts imported pages may load pictures from, from the environment alone (for the CLI)."""
    environ = os.environ if environ is None else environ
    value = environ.get("CASEBOOK_IMPORT_IMAGE_HOSTS")
    return parse_hosts(defaults()["IMPORT_IMAGE_HOSTS"] if value is None else value)


def _stored_secret(data_dir: Path) -> str:
    """A random key kept in DATA_DIR, so every server process and restart agrees on it."""
    private.folder(data_dir)
    path = data_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()
