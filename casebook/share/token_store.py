"""The WeChat token cache in the database, for several servers sharing one PostgreSQL database.

One ``setting`` row (``wechat-cache``) holds the state :class:`casebook.wechat.WeChatClient` keeps;
``locked`` reads it with ``SELECT … FOR UPDATE`` in its own transaction, so exactly one process on
any machine checks and refreshes the token at a time, and the others wait, then read its result.
The lock is that one row's: pages and saves go on meanwhile. SQLite servers (one machine) keep the
file store in the data folder: a write transaction held during a call to WeChat would block every
other write to the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from ..models import Setting
from ..wechat import TokenStore

KEY = "wechat-cache"


class DatabaseTokenStore:
    """The state in the ``setting`` row ``wechat-cache``, locked for update while in use (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def locked(self) -> Iterator[tuple[dict[str, Any], Callable[[dict[str, Any]], None]]]:
        with self.engine.connect() as connection:
            missing = insert(Setting).values(key=KEY, value={}).on_conflict_do_nothing(index_elements=["key"])
            connection.execute(missing)  # the row exists before it can be locked
            connection.commit()
            value = connection.scalar(select(Setting.value).where(Setting.key == KEY).with_for_update())

            def write(state: dict[str, Any]) -> None:
                connection.execute(update(Setting).where(Setting.key == KEY).values(value=dict(state)))

            try:
                yield (dict(value) if isinstance(value, dict) else {}), write
            finally:
                connection.commit()  # what was written stays, also when the caller then raised (a failure's time)


def token_store(engine: Engine) -> TokenStore | None:
    """The database store on PostgreSQL (every server shares it); None elsewhere: the client then
    keeps its file in the data folder, which every process of the one machine shares."""
    return DatabaseTokenStore(engine) if engine.dialect.name == "postgresql" else None
