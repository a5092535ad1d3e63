"""WeChat JS-SDK: the config signature, and an access_token / jsapi_ticket cache shared by processes.

WeChat allows a small daily number of ``access_token`` fetches and invalidates the previous token
on each fetch, so every server process must share one token. The cache is a :class:`TokenStore`:
on one machine a JSON file in the data folder guarded by ``flock`` (:class:`FileTokenStore`); with
several servers on PostgreSQL a database row held with ``SELECT … FOR UPDATE``
(``share/token_store.py``). Whoever holds the lock checks the stored state, fetches only when it is
missing or about to expire, and writes it back, so many concurrent requests from many processes
and machines cause one fetch. A failure is remembered for a short while so a bad secret does not turn
every page view into a call to WeChat. Nothing here knows about Flask; secrets never leave it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
REFRESH_MARGIN = 300
"""Refresh this many seconds before WeChat's stated expiry (7200 s)."""
FAILURE_BACKOFF = 60
"""After a failed fetch, wait this long before asking WeChat again."""
INVALID_TOKEN_CODES = frozenset({40001, 40014, 42001})
"""errcodes meaning the access_token is invalid or expired: refresh it once and retry."""


class WeChatError(Exception):
    """WeChat could not be reached or refused; the message never contains a secret or token."""


def jsapi_signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """SHA-1 over ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` (URL without ``#``; nothing escaped)."""
    url = url.split("#", 1)[0]
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class JsConfig:
    """What ``wx.config`` needs, apart from the list of APIs."""

    app_id: str
    timestamp: int
    nonce_str: str
    signature: str

    def as_json(self) -> dict[str, Any]:
        return {
            "appId": self.app_id,
            "timestamp": self.timestamp,
            "nonceStr": self.nonce_str,
            "signature": self.signature,
        }


class TokenStore(Protocol):
    """Where the cached state lives: ``locked()`` holds a lock shared by every process and yields
    the state read under it, with a function that writes a new state while the lock is held."""

    def locked(self) -> contextlib.AbstractContextManager[tuple[dict[str, Any], Callable[[dict[str, Any]], None]]]: ...


class FileTokenStore:
    """The state as ``wechat-cache.json`` in ``folder`` (0600), guarded by ``flock`` on a lock file."""

    def __init__(self, folder: Path) -> None:
        self.cache_path = Path(folder) / "wechat-cache.json"
        self.lock_path = Path(folder) / "wechat-cache.lock"

    @contextmanager
    def locked(self) -> Iterator[tuple[dict[str, Any], Callable[[dict[str, Any]], None]]]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self._load(), self._save
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, state: dict[str, Any]) -> None:
        """Atomic write (temp file + rename), readable by the owner only: it holds the token."""
        tmp = self.cache_path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        os.replace(tmp, self.cache_path)


class WeChatClient:
    """Fetches and caches the access_token and jsapi_ticket of one 公众号 (AppID + AppSecret)."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        cache_dir: Path | None = None,
        api_base: str = DEFAULT_API_BASE,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
        store: TokenStore | None = None,
    ) -> None:
        """``store``: where the tokens are kept; without one, a :class:`FileTokenStore` in ``cache_dir``."""
        self.app_id, self._secret = app_id, app_secret
        self.api_base = api_base.rstrip("/")
        if store is None:
            if cache_dir is None:
                raise ValueError("WeChatClient needs a cache_dir or a store")
            store = FileTokenStore(cache_dir)
        self.store = store
        self._write: Callable[[dict[str, Any]], None] | None = None
        self.clock, self.timeout = clock, timeout

    def js_config(self, url: str) -> JsConfig:
        """A signed ``wx.config`` for the page at ``url``; raises WeChatError when WeChat fails."""
        ticket = self.jsapi_ticket()
        nonce = secrets.token_urlsafe(12)
        timestamp = int(self.clock())
        return JsConfig(self.app_id, timestamp, nonce, jsapi_signature(ticket, nonce, timestamp, url))

    def jsapi_ticket(self) -> str:
        """The cached ticket, refreshed (with its token) under the lock when near expiry."""
        try:
            return self._cached_ticket()
        except OSError as exc:  # the cache folder is unwritable or gone: degrade like any WeChat failure
            raise WeChatError(f"token cache unavailable: {type(exc).__name__}") from None

    def _cached_ticket(self) -> str:
        with self._locked() as state:
            now = self.clock()
            ticket = state.get("ticket")
            mine = state.get("app_id") == self.app_id
            if ticket and mine and state.get("ticket_expires", 0) - REFRESH_MARGIN > now:
                return str(ticket)
            if mine and state.get("failed_at", -FAILURE_BACKOFF) + FAILURE_BACKOFF > now:
                raise WeChatError("WeChat refused recently; waiting before asking again")
            try:
                ticket = self._refresh_ticket(state, now)
            except WeChatError:
                state.update(failed_at=now, app_id=self.app_id)
                self._save(state)
                raise
            return ticket

    def _refresh_ticket(self, state: dict[str, Any], now: float) -> str:
        token = self._token(state, now, force=False)
        for attempt in (1, 2):
            data = self._get("/cgi-bin/ticket/getticket", {"access_token": token, "type": "jsapi"})
            code = int(data.get("errcode", 0) or 0)
            if code in INVALID_TOKEN_CODES and attempt == 1:
                logger.warning("WeChat says the access_token is invalid (errcode %s); fetching a new one", code)
                token = self._token(state, now, force=True)
                continue
            if code != 0 or not data.get("ticket"):
                raise WeChatError(f"getticket failed: errcode {code} {str(data.get('errmsg', ''))[:80]}")
            break
        state.update(
            ticket=str(data["ticket"]),
            ticket_expires=now + int(data.get("expires_in", 7200)),
            app_id=self.app_id,
        )
        state.pop("failed_at", None)
        self._save(state)
        return str(data["ticket"])

    def _token(self, state: dict[str, Any], now: float, force: bool) -> str:
        token = state.get("token")
        fresh = state.get("app_id") == self.app_id and state.get("token_expires", 0) - REFRESH_MARGIN > now
        if token and fresh and not force:
            return str(token)
        data = self._get(
            "/cgi-bin/token", {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        )
        if not data.get("access_token"):
            code = data.get("errcode", "?")
            raise WeChatError(f"token fetch failed: errcode {code} {str(data.get('errmsg', ''))[:80]}")
        state.update(token=str(data["access_token"]), token_expires=now + int(data.get("expires_in", 7200)))
        state["app_id"] = self.app_id
        self._save(state)
        return str(data["access_token"])

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.api_base}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                data = json.loads(response.read().decode("utf-8"))
        except (OSError, ValueError) as exc:  # URLError, timeouts and bad JSON; the URL holds secrets
            raise WeChatError(f"WeChat API {path} unreachable: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            raise WeChatError(f"WeChat API {path} answered something other than an object")
        return data

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """Hold the store's lock; yield the cached state read under it (``_save`` writes it back)."""
        with self.store.locked() as (state, write):
            self._write = write
            try:
                yield state
            finally:
                self._write = None

    def _save(self, state: dict[str, Any]) -> None:
        assert self._write is not None, "saved outside the store's lock"
        self._write(state)
