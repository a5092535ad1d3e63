"""Fetching a remote picture named in an imported page: allowed hosts only, capped, never inward.

Pure (no Flask), standard library only. A host must be listed (``CASEBOOK_IMPORT_IMAGE_HOSTS``);
its name is resolved once, every address is checked, and the connection is made to the checked
address itself, so a name cannot be re-pointed at a private, loopback or link-local address
between the check and the request. Such addresses are refused unless that address is itself in
the list (tests list ``127.0.0.1``). Each picture gets at most ``MAX_BYTES`` and ``TIMEOUT``
seconds; redirects are followed a few times, each hop checked the same way.

``http.client`` is used rather than ``urllib.request.urlopen`` because only at that level can the
connection be pinned to the address that was checked (urllib resolves the name again).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Collection
from urllib.parse import urljoin, urlsplit

MAX_BYTES = 15 * 1024 * 1024
TIMEOUT = 10.0
MAX_REDIRECTS = 3


class FetchRefused(Exception):
    """A picture that was not fetched; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_hosts(value: str | Collection[str] | None) -> frozenset[str]:
    """``"mmbiz.qpic.cn, mmbiz.qlogo.cn"`` (or a list) → a set of lower-case host names."""
    if value is None:
        return frozenset()
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    return frozenset(item.strip().lower() for item in items if item.strip())


def _address(host: str, port: int, hosts: frozenset[str]) -> str:
    """The address to connect to; every address the name has must be a public one (or listed)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(f"无法解析域名 {host}") from None
    addresses = [str(info[4][0]) for info in found]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global and address not in hosts:
            raise FetchRefused(f"{host} 指向内网或本机地址（{address}），为安全起见不读取")
    if not addresses:
        raise FetchRefused(f"无法解析域名 {host}")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def fetch(url: str, hosts: Collection[str], *, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> bytes:
    """The bytes at ``url``; raise FetchRefused when the host is not allowed or anything fails."""
    allowed = parse_hosts(hosts)
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise FetchRefused("不是 http(s) 网址")
        if host not in allowed:
            raise FetchRefused(f"来源 {host} 不在允许的图片网站之列（CASEBOOK_IMPORT_IMAGE_HOSTS）")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchRefused("网址的端口无效") from None
        address = _address(host, port, allowed)
        remaining = max(0.1, deadline - time.monotonic())
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(host, port, address, remaining)
        # the socket timeout is per read: a server sending a byte now and then would never time out,
        # so a watchdog ends the connection at the deadline, whatever it is doing
        watchdog = threading.Timer(remaining, _shut, args=(connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("GET", path, headers={"User-Agent": "casebook-import/1", "Accept": "image/*"})
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchRefused(f"服务器返回 {response.status}")
            return _read(response, connection, max_bytes, deadline)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, TimeoutError | socket.timeout) or time.monotonic() >= deadline:
                raise FetchRefused(f"超过 {timeout:.0f} 秒未下载完") from None
            raise FetchRefused(f"下载失败：{_why(exc)}") from None
        finally:
            watchdog.cancel()
            connection.close()
    raise FetchRefused("重定向次数过多")


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read in the fetching thread


def _why(exc: BaseException) -> str:
    """A network failure in words staff read (the class name goes to the log, not to them)."""
    if isinstance(exc, ConnectionRefusedError):
        return "对方服务器拒绝连接"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | http.client.RemoteDisconnected):
        return "连接被对方中断"
    if isinstance(exc, ssl.SSLError):
        return "安全连接（HTTPS）建立失败"
    if isinstance(exc, http.client.HTTPException):
        return "对方返回的内容不是正常的网页响应"
    return "网络错误"


def _read(
    response: http.client.HTTPResponse, connection: http.client.HTTPConnection, limit: int, deadline: float
) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise FetchRefused(f"图片太大（{int(length) / 1024 / 1024:.1f} MB），最大 {limit // 1024 // 1024} MB")
    chunks: list[bytes] = []
    total = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError  # told as 超过 N 秒未下载完 by fetch
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        chunk = response.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise FetchRefused(f"图片太大，超过 {limit // 1024 // 1024} MB")
        chunks.append(chunk)
