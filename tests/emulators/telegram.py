"""A local Telegram Bot API server for tests: real HTTP on a free loopback port.

It answers ``POST /bot<TOKEN>/<method>`` (form-encoded, nested values and booleans as JSON
strings, or a JSON body) with ``{"ok": ..., "result": ...}`` and records every call. It can be
told to answer a method with 429 and ``parameters.retry_after`` a number of times, and to answer
messages to a chat with 403 as Telegram does once a user blocks the bot. It keeps the command
menus ``setMyCommands`` sets, per scope (``getMyCommands`` reads them back), and refuses with 400
what Telegram refuses: a malformed command list, text over 4096 characters, ``callback_data``
over 64 bytes.
"""
from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "dipwatch", "username": "dipwatch_test_bot"}
#: Parameters sent as JSON text in a form body (objects, arrays, numbers, booleans).
_JSON_PARAMS = {"chat_id", "message_id", "offset", "timeout", "limit", "max_connections", "drop_pending_updates", "show_alert"}
#: Methods that deliver to a chat: a chat that blocked the bot refuses them.
_DELIVERY = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}


class BadRequest(ValueError):
    """A parameter Telegram would refuse: answered with 400."""


@dataclass
class Call:
    """One recorded Bot API call."""

    token: str
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class TelegramEmulator:
    """The server's state; start it with ``start()`` and point a Bot at ``base_url``."""

    token: str = "123456:TEST-token"
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    #: The command menus: a scope as canonical JSON (``{"type": "default"}`` when none) -> commands.
    menus: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    _failures: dict[str, list[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    def start(self) -> "TelegramEmulator":
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                emulator._serve(self)

            def do_GET(self) -> None:  # noqa: N802
                emulator._serve(self)

            def log_message(self, *_args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a broadcast opens dozens of connections at once

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        """The API root, for ``TELEGRAM_API_URL`` (the Bot's ``base_url`` is this plus ``/bot``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``retry_after``."""
        with self._lock:
            self._failures.setdefault(method, []).extend([retry_after] * times)

    def block(self, chat_id: int) -> None:
        """The user of ``chat_id`` blocked the bot: messages to it are answered with 403."""
        with self._lock:
            self.blocked.add(chat_id)

    def of(self, method: str, status: int = 200) -> list[Call]:
        """Recorded calls of ``method`` that were answered with ``status``."""
        with self._lock:
            return [call for call in self.calls if call.method == method and call.status == status]

    # --- serving ---------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        prefix, _, method = path.rpartition("/")
        token = prefix[len("/bot") :] if prefix.startswith("/bot") else ""
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        try:
            params = self._params(body, handler.headers.get("Content-Type", ""))
        except BadRequest as error:
            self._answer(handler, Call(token, method, {}, 400), {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"})
            return
        if token != self.token:
            self._answer(handler, Call(token, method, params, 401), {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        with self._lock:
            queue = self._failures.get(method)
            retry_after = queue.pop(0) if queue else None
        if retry_after is not None:
            payload = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}", "parameters": {"retry_after": retry_after}}
            self._answer(handler, Call(token, method, params, 429), payload)
            return
        if method in _DELIVERY and params.get("chat_id") in self.blocked:
            payload = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            self._answer(handler, Call(token, method, params, 403), payload)
            return
        try:
            self._check(method, params)
            result = self._result(method, params)
        except BadRequest as error:
            self._answer(handler, Call(token, method, params, 400), {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"})
            return
        if result is None:
            self._answer(handler, Call(token, method, params, 404), {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
            return
        self._answer(handler, Call(token, method, params, 200), {"ok": True, "result": result})

    @staticmethod
    def _params(body: bytes, content_type: str) -> dict[str, Any]:
        if not body:
            return {}
        if "json" in content_type:
            return json.loads(body)
        params: dict[str, Any] = {}
        for key, value in parse_qsl(body.decode(), keep_blank_values=True):
            if key in _JSON_PARAMS:
                try:
                    params[key] = json.loads(value)
                except json.JSONDecodeError:
                    raise BadRequest(f"can't parse {key} {value!r}") from None
            elif value[:1] in "[{":  # reply_markup, allowed_updates, link_preview_options
                try:
                    params[key] = json.loads(value)
                except json.JSONDecodeError:
                    params[key] = value  # text that merely starts with a bracket
            else:
                params[key] = value
        return params

    def _answer(self, handler: BaseHTTPRequestHandler, call: Call, payload: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(call)
        data = json.dumps(payload).encode()
        handler.send_response(call.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message = {
            "message_id": int(params.get("message_id") or next(self._ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", **({"title": "group"} if chat_id < 0 else {})},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    @staticmethod
    def _check(method: str, params: dict[str, Any]) -> None:
        """Refuse what Telegram refuses, with its wording where it has one."""
        if method in ("sendMessage", "editMessageText") and not 1 <= len(str(params.get("text", ""))) <= 4096:
            raise BadRequest("message text is empty" if not params.get("text") else "message is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []) if isinstance(params.get("reply_markup"), dict) else []:
            for button in row:
                if not 1 <= len(str(button.get("callback_data", "")).encode()) <= 64:
                    raise BadRequest("BUTTON_DATA_INVALID")
        if method == "setMyCommands":
            commands = params.get("commands")
            if not isinstance(commands, list) or len(commands) > 100:
                raise BadRequest("commands must be a list of at most 100")
            for command in commands:
                if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                    raise BadRequest("BOT_COMMAND_INVALID")
                if not 1 <= len(str(command.get("description", ""))) <= 256:
                    raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")

    @staticmethod
    def _scope(params: dict[str, Any]) -> str:
        return json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText"):
            return self._message(params)
        if method in ("answerCallbackQuery", "deleteWebhook"):
            if method == "deleteWebhook":
                self.webhook = {}
            return True
        if method == "setMyCommands":
            with self._lock:
                self.menus[self._scope(params)] = list(params["commands"])
            return True
        if method == "getMyCommands":
            with self._lock:
                return list(self.menus.get(self._scope(params), []))
        if method == "setWebhook":
            self.webhook = dict(params)
            return True
        if method == "getWebhookInfo":
            info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            return info
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                self.updates = [update for update in self.updates if update["update_id"] >= offset]
                return list(self.updates)
        return None
