"""A small HTTP client for the proofs: cookies, forms as a browser fills them, no redirects followed.

Standard library only (``http.client`` and ``html.parser``); one connection per request, closed
before the answer is returned, so a server killed mid-request is a ``NoReply`` and never a
half-read answer or an unclosed socket.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any


class NoReply(Exception):
    """The server closed the connection or did not answer: the request may or may not have happened."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    text: str
    body: bytes = b""
    """The bytes as sent (pictures, files)."""

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One person's browser: its cookies, its requests to ``base`` (``http://127.0.0.1:port``)."""

    def __init__(self, base: str, timeout: float = 60) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None) -> Reply:
        headers = {"Connection": "close", "Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            reply = Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                data.decode("utf-8", "replace"),
                data,
            )
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie: SimpleCookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise NoReply(f"{method} {path}: {exc!r}") from exc
        finally:
            connection.close()
        return reply

    def get(self, path: str, **query: str) -> Reply:
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]]) -> Reply:
        return self.request("POST", path, fields)

    def login(self, name: str, password: str) -> None:
        """Log in through the login form (its CSRF token), as a person does."""
        form = form_on(self.get("/login").text, "/login")
        reply = self.post("/login", form.filled(name=name, password=password))
        if reply.status != 302:
            raise AssertionError(f"login of {name} answered {reply.status}: {reply.text[:300]}")


@dataclass
class Field:
    """One input of a form: its tag, type and, for a select, its options."""

    name: str
    tag: str
    type: str = "text"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    """A form as the page gave it: every named input, select, textarea and submit button."""

    action: str
    method: str
    id: str
    fields: list[Field] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    other_actions: list[str] = field(default_factory=list)
    """Where buttons with a ``formaction`` send the same fields."""

    def values(self) -> list[tuple[str, str]]:
        """What a browser sends without a click: checked boxes only, no file inputs, no buttons."""
        sent = []
        for f in self.fields:
            if f.type in ("checkbox", "radio") and not f.checked:
                continue
            if f.type in ("file", "submit", "button", "image", "reset"):
                continue
            sent.append((f.name, f.value))
        return sent

    def value(self, name: str) -> str:
        return next(f.value for f in self.fields if f.name == name)

    def filled(self, button: tuple[str, str] | None = None, **changes: str) -> list[tuple[str, str]]:
        """The values with ``changes`` applied (a name not in the form is added), then the button."""
        sent = [(name, changes.pop(name) if name in changes else value) for name, value in self.values()]
        sent += list(changes.items())
        return [*sent, button] if button else sent


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._text: Field | None = None  # the textarea being read
        self._select: Field | None = None
        self._option: dict[str, str | None] | None = None
        self._option_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), a.get("id", "")))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                form.buttons.append((name, a.get("value", "")))
            else:
                form.fields.append(Field(name, "input", kind, a.get("value", ""), checked="checked" in a))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            if name:
                form.buttons.append((name, a.get("value", "")))
            if a.get("formaction"):
                form.other_actions.append(a["formaction"])
        elif tag == "textarea" and name and "readonly" not in a:
            self._text = Field(name, "textarea", "textarea")
            form.fields.append(self._text)
        elif tag == "select" and name:
            self._select = Field(name, "select", "select")
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" if "selected" in a else None}
            self._option_text = ""

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.value += data
        elif self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._text is not None:
            if self._text.value.startswith("\n"):  # HTML drops one newline right after <textarea>
                self._text.value = self._text.value[1:]
            self._text = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"]
            value = self._option_text if value is None else value
            self._select.options.append(value)
            if self._option["selected"] or len(self._select.options) == 1:
                self._select.value = value
            self._option = None
        elif tag == "select":
            self._select = None


def forms(html: str) -> list[Form]:
    """Every form of a page."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_on(html: str, action: str = "", form_id: str = "") -> Form:
    """The form with that ``id``, or whose action ends with ``action`` (the page's own URL when empty)."""
    for form in forms(html):
        if (form_id and form.id == form_id) or (not form_id and form.action.split("?")[0].endswith(action)):
            return form
    raise AssertionError(f"no form {form_id or action!r} on the page: {html[:500]}")
