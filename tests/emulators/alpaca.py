"""A local Alpaca API server for tests: real HTTP on a free loopback port.

It speaks the wire format of ``../shared/specs/alpaca.md``: the multi-symbol
``GET /v2/stocks/bars`` (``limit`` counts bars across symbols, results sorted by symbol then
time, ``next_page_token`` to the end), daily timestamps at midnight New York in UTC, split-
adjusted or raw prices, a request line limit (414 beyond ``Faults.max_url_bytes``, like nginx's
default 8 KB buffer), and the trading endpoints ``/v2/account``, ``/v2/positions`` and
``/v2/assets`` (see ``tests/emulators/alpaca_assets.py``), and the split announcements of
``/v2/corporate_actions/announcements`` for the splits it was given.
Faults are injected through ``Faults``.
"""
from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import pandas as pd

from shared.core.trading_calendar import trading_days
from tests.emulators.alpaca_assets import filter_assets

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000
_SYMBOL = re.compile(r"^[A-Z][A-Z.]{0,9}$")
_SINGLE_BARS = re.compile(r"^/v2/stocks/(?P<symbol>[^/]+)/bars$")


@dataclass
class Faults:
    """What the emulator does wrong, and how often. Counters are consumed by data requests."""

    latency: float = 0.0
    statuses: list[int] = field(default_factory=list)  # the next data requests answer these
    hangs: int = 0  # the next data requests stall this long before answering
    hang_seconds: float = 3.0
    truncations: int = 0  # the next data requests send half their body and close
    stalls: int = 0  # the next data requests send half their body, then stall hang_seconds
    failing_symbols: set[str] = field(default_factory=set)  # a request naming one answers 500
    garbled_symbols: set[str] = field(default_factory=set)  # their bars come with a broken ``t``
    unknown: set[str] = field(default_factory=set)  # symbols the server does not know
    per_minute: int | None = None  # the rate limit; over it, 429 with Retry-After
    page_cap: int | None = None  # the server's own page size cap (below ``limit``)
    max_url_bytes: int = 8192  # a longer request target answers 414 (nginx's default buffer)


@dataclass
class Request:
    """One recorded request."""

    method: str
    path: str
    params: dict[str, str]
    status: int = 200
    url_bytes: int = 0  # length of the request target (path and query)
    in_flight: int = 1  # requests being answered when this one arrived, itself included


def _session_stamp(day: pd.Series) -> pd.Series:
    """Midnight New York of each date, written in UTC like Alpaca (04:00Z or 05:00Z)."""
    return day.dt.tz_localize("America/New_York").dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class AlpacaEmulator:
    """The server and its state; use as a context manager or call ``start()``/``stop()``."""

    def __init__(
        self,
        bars: pd.DataFrame,
        *,
        key_id: str = "PKTEST",
        secret_key: str = "secret-test",
        splits: dict[str, tuple[date, float]] | None = None,
        positions: list[dict[str, Any]] | None = None,
        assets: list[dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        data = bars.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
        self.bars = data.assign(t=_session_stamp(data["date"]))
        # Each symbol's rows are one sorted run: a request selects by slicing, not by scanning.
        self._stamps = self.bars["t"].to_numpy(dtype=str)
        symbols = self.bars["symbol"].to_numpy()
        starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]]) if len(symbols) else np.array([], dtype=int)
        stops = np.r_[starts[1:], len(symbols)]
        self._runs = {str(symbols[a]): (int(a), int(b)) for a, b in zip(starts, stops)}
        self._symbols = symbols
        self._fragments = _bar_fragments(self.bars)
        self.assets = assets or []
        self.key_id = key_id
        self.secret_key = secret_key
        self.splits = splits or {}
        self.positions = positions or []
        self.faults = Faults()
        self.requests: list[Request] = []
        self.clock = clock
        self._lock = threading.Lock()
        self._window: tuple[int, int] = (0, 0)  # (minute, requests in it)
        self._in_flight = 0
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "AlpacaEmulator":
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                emulator._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "AlpacaEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def data_requests(self) -> list[Request]:
        """The recorded bars requests (every attempt, whatever it answered)."""
        return [r for r in self.requests if r.path.endswith("/bars")]

    # --- dispatch -----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        record = Request("GET", parts.path, params, url_bytes=len(handler.path))
        with self._lock:
            self._in_flight += 1
            record.in_flight = self._in_flight
            self.requests.append(record)
        try:
            if len(handler.path) > self.faults.max_url_bytes:
                status, body, headers = 414, {"message": "request URI too long"}, {}
            else:
                status, body, headers = self._answer(parts.path, params, handler)
        finally:
            with self._lock:
                self._in_flight -= 1
        record.status = status
        if status == 0:  # the connection was deliberately broken
            return
        self._send(handler, status, body, headers)

    def _answer(self, path: str, params: dict[str, str], handler: BaseHTTPRequestHandler) -> tuple[int, Any, dict[str, str]]:
        key, secret = handler.headers.get("APCA-API-KEY-ID"), handler.headers.get("APCA-API-SECRET-KEY")
        if not key or not secret:
            return 401, {"message": "unauthorized."}, {}
        if key != self.key_id or secret != self.secret_key:
            return 403, {"code": 40310000, "message": "forbidden."}, {}
        limited = self._rate_limit()
        if limited is not None:
            return limited
        if path == "/v2/stocks/bars":
            return self._bars(params, handler)
        single = _SINGLE_BARS.match(path)
        if single:
            return self._single_bars(unquote(single["symbol"]), params, handler)
        routes = {
            "/v2/account": self._account,
            "/v2/positions": lambda _p: self.positions,
            "/v2/assets": lambda p: filter_assets(self.assets, p),
        }
        if path == "/v2/corporate_actions/announcements":
            if self.faults.latency:  # the trading host is as far away as the data host
                time.sleep(self.faults.latency)
            return self._announcements(params)
        if path in routes:
            return 200, routes[path](params), {}
        return 404, {"code": 40410000, "message": "endpoint not found"}, {}

    def _rate_limit(self) -> tuple[int, Any, dict[str, str]] | None:
        limit = self.faults.per_minute
        if limit is None:
            return None
        now = self.clock()
        minute = int(now // 60)
        with self._lock:
            count = self._window[1] + 1 if self._window[0] == minute else 1
            self._window = (minute, count)
        reset = (minute + 1) * 60
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": str(reset),
        }
        if count <= limit:
            return None
        headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
        return 429, {"message": "too many requests."}, headers

    def _take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                return True
        return False

    # --- market data --------------------------------------------------------------------------

    def _bars(self, params: dict[str, str], handler: BaseHTTPRequestHandler, single: str | None = None) -> tuple[int, Any, dict[str, str]]:
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        with self._lock:
            status = faults.statuses.pop(0) if faults.statuses else None
        if status is not None:
            return status, {"message": f"injected {status}"}, {}
        if self._take("hangs"):
            time.sleep(faults.hang_seconds)
        problem = _check_bars_params(params)
        if problem:
            return 422, {"message": problem}, {}
        symbols = params["symbols"].split(",")
        bad = [s for s in symbols if not _SYMBOL.match(s)]
        if bad:
            return 400, {"message": f"invalid symbol: {bad[0]}"}, {}
        if faults.failing_symbols.intersection(symbols):
            return 500, {"message": "internal server error"}, {}
        start, end = _parse_time(params.get("start")), _parse_time(params.get("end"))
        limit = int(params.get("limit") or DEFAULT_LIMIT)
        if faults.page_cap:
            limit = min(limit, faults.page_cap)
        offset = _read_token(params.get("page_token"))
        if offset is None:
            return 422, {"message": "invalid page token"}, {}
        rows = self._select(sorted(set(symbols) - faults.unknown), start, end)
        page_rows = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        token = _write_token(offset + limit) if more else None
        raw = params.get("adjustment", "raw") in ("raw", "dividend")
        if faults.garbled_symbols & set(self._symbols[page_rows]) or (raw and self.splits and set(self._symbols[page_rows]) & set(self.splits)):
            body: Any = self._page_as_objects(page_rows, token, single, raw)
        else:
            body = self._page_as_text(page_rows, token, single)
        if self._take("truncations"):
            return self._truncate(handler, body)
        if self._take("stalls"):
            return self._stall(handler, body)
        return 200, body, {}

    def _page_as_text(self, page_rows: np.ndarray, token: str | None, single: str | None) -> "RawJson":
        """The page's JSON from each bar's pre-rendered text (a page of 10,000 bars in milliseconds)."""
        fragments = self._fragments[page_rows]
        if single is not None:
            return RawJson(f'{{"bars":[{",".join(fragments)}],"symbol":{json.dumps(single)},"next_page_token":{json.dumps(token)}}}')
        symbols = self._symbols[page_rows]
        edges = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1], True]) if len(symbols) else np.array([0])
        groups = [f'{json.dumps(str(symbols[a]))}:[{",".join(fragments[a:b])}]' for a, b in zip(edges[:-1], edges[1:])]
        return RawJson(f'{{"bars":{{{",".join(groups)}}},"next_page_token":{json.dumps(token)}}}')

    def _page_as_objects(self, page_rows: np.ndarray, token: str | None, single: str | None, raw: bool = True) -> dict[str, Any]:
        """The page built as objects: raw (split-unadjusted) prices if ``raw``, garbled bars."""
        page = self._unadjust(self.bars.iloc[page_rows]) if raw else self.bars.iloc[page_rows]
        grouped: dict[str, list[dict[str, Any]]] = {}
        columns = [page[name].tolist() for name in ("symbol", "t", "open", "high", "low", "close", "volume")]
        for symbol, stamp, open_, high, low, close, volume in zip(*columns):
            grouped.setdefault(symbol, []).append(
                {"t": "garbled" if symbol in self.faults.garbled_symbols else stamp, "o": open_, "h": high, "l": low, "c": close, "v": int(volume), "n": 100, "vw": close}
            )
        if single is not None:
            return {"bars": grouped.get(single, []), "symbol": single, "next_page_token": token}
        return {"bars": grouped, "next_page_token": token}

    def _single_bars(self, symbol: str, params: dict[str, str], handler: BaseHTTPRequestHandler) -> tuple[int, Any, dict[str, str]]:
        """``GET /v2/stocks/{symbol}/bars``: one symbol, its bars as a plain list."""
        return self._bars({**params, "symbols": symbol}, handler, single=symbol)

    def _select(self, symbols: list[str], start: str | None, end: str | None) -> np.ndarray:
        """Row positions of ``symbols``' bars in [start, end], by symbol then time (Alpaca's order)."""
        spans = []
        for symbol in symbols:
            if symbol not in self._runs:
                continue
            first, stop = self._runs[symbol]
            stamps = self._stamps[first:stop]
            low = first + (int(np.searchsorted(stamps, start, "left")) if start else 0)
            high = first + (int(np.searchsorted(stamps, end, "right")) if end else stop - first)
            spans.append(np.arange(low, high))
        return np.concatenate(spans) if spans else np.array([], dtype=int)

    def _unadjust(self, page: pd.DataFrame) -> pd.DataFrame:
        """Raw prices: before a split date, prices are ``ratio`` times the adjusted ones."""
        out = page.copy()
        for symbol, (day, ratio) in self.splits.items():
            before = (out["symbol"] == symbol) & (out["date"] < pd.Timestamp(day))
            for column in ("open", "high", "low", "close"):
                out.loc[before, column] = out.loc[before, column] * ratio
            out.loc[before, "volume"] = (out.loc[before, "volume"] / ratio).round()
        return out

    @staticmethod
    def _first_half(handler: BaseHTTPRequestHandler, body: Any) -> bytes:
        """Send a 200 with the whole body's length but only its first half; the rest, unsent."""
        raw = _encode(body)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw[: len(raw) // 2])
        handler.wfile.flush()
        handler.close_connection = True
        return raw[len(raw) // 2 :]

    def _truncate(self, handler: BaseHTTPRequestHandler, body: Any) -> tuple[int, Any, dict[str, str]]:
        self._first_half(handler, body)
        return 0, None, {}

    def _stall(self, handler: BaseHTTPRequestHandler, body: Any) -> tuple[int, Any, dict[str, str]]:
        rest = self._first_half(handler, body)
        time.sleep(self.faults.hang_seconds)
        try:
            handler.wfile.write(rest)  # long after the client gave up
            handler.wfile.flush()
        except OSError:
            pass
        return 0, None, {}

    # --- trading ------------------------------------------------------------------------------

    def _announcements(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """Split announcements (``ca_types`` required; ``since``..``until`` at most 90 days, by
        ex-date): one per split given, rates as strings like Alpaca's."""
        if not params.get("ca_types"):
            return 422, {"code": 42210000, "message": "ca_types is required"}, {}
        try:
            since, until = date.fromisoformat(params["since"]), date.fromisoformat(params["until"])
        except (KeyError, ValueError):
            return 422, {"code": 42210000, "message": "since and until must be dates"}, {}
        if (until - since).days > 90 or until < since:
            return 422, {"code": 42210000, "message": "the date range must be no more than 90 days"}, {}
        wanted = {kind.strip().lower() for kind in params["ca_types"].split(",")}
        answer = []
        for symbol, (day, ratio) in sorted(self.splits.items()):
            if "split" not in wanted or not since <= day <= until:
                continue
            forward = ratio >= 1
            old, new = (1, ratio) if forward else (1 / ratio, 1)
            answer.append(
                {
                    "id": f"ca-{symbol}-{day.isoformat()}",
                    "corporate_action_id": f"{symbol}{day.strftime('%y%m%d')}",
                    "ca_type": "split",
                    "ca_sub_type": "stock_split" if forward else "reverse_split",
                    "initiating_symbol": symbol,
                    "initiating_original_cusip": "000000000",
                    "target_symbol": symbol,
                    "target_original_cusip": "000000000",
                    "declaration_date": (day - timedelta(days=30)).isoformat(),
                    "ex_date": day.isoformat(),
                    "record_date": (day - timedelta(days=7)).isoformat(),
                    "payable_date": (day - timedelta(days=1)).isoformat(),
                    "cash": "0",
                    "old_rate": f"{old:g}",
                    "new_rate": f"{new:g}",
                }
            )
        return 200, answer, {}

    def _account(self, _params: dict[str, str]) -> dict[str, Any]:
        return {
            "id": "acc-0001",
            "account_number": "PA0000001",
            "status": "ACTIVE",
            "currency": "USD",
            "cash": "1200.5",
            "equity": "25000.25",
            "last_equity": "24500",
            "buying_power": "2401",
            "portfolio_value": "25000.25",
            "long_market_value": "23799.75",
            "daytrade_count": 0,
            "pattern_day_trader": False,
            "trading_blocked": False,
            "account_blocked": False,
        }

    # --- wire ---------------------------------------------------------------------------------

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
        raw = _encode(body)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to do


@dataclass
class RawJson:
    """A body already rendered as JSON text."""

    text: str


def _encode(body: Any) -> bytes:
    return body.text.encode() if isinstance(body, RawJson) else json.dumps(body).encode()


def _json_number(value: float) -> str:
    return repr(value) if math.isfinite(value) else json.dumps(value)


def _bar_fragments(bars: pd.DataFrame) -> np.ndarray:
    """Each bar as Alpaca's JSON object text, in the order of ``bars`` (what json.dumps would write)."""
    if bars.empty:
        return np.array([], dtype=object)
    numbers = {name: [_json_number(v) for v in bars[name].astype(float).tolist()] for name in ("open", "high", "low", "close")}
    volumes = [str(int(v)) for v in bars["volume"].tolist()]
    return np.array(
        [
            f'{{"t": "{t}", "o": {o}, "h": {h}, "l": {l}, "c": {c}, "v": {v}, "n": 100, "vw": {c}}}'
            for t, o, h, l, c, v in zip(bars["t"].tolist(), numbers["open"], numbers["high"], numbers["low"], numbers["close"], volumes)
        ],
        dtype=object,
    )


def random_walk_bars(symbols: list[str], start: date, end: date, seed: int = 3) -> pd.DataFrame:
    """Made-up daily bars to serve: every symbol on every NYSE session in [start, end]."""
    days = trading_days(start, end)
    rng = np.random.default_rng(seed)
    close = np.round(50 * np.exp(np.cumsum(rng.normal(0, 0.02, (len(symbols), len(days))), axis=1)), 4).ravel()
    return pd.DataFrame(
        {
            "symbol": np.repeat(np.array(symbols, dtype=object), len(days)),
            "date": np.tile(days.to_numpy(), len(symbols)),
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "volume": 1000,
        }
    )


def _check_bars_params(params: dict[str, str]) -> str | None:
    if not params.get("symbols"):
        return "symbols is required"
    if params.get("timeframe") not in ("1Day", "1D"):
        return f"invalid timeframe: {params.get('timeframe')!r}"
    if params.get("adjustment", "raw") not in ("raw", "split", "dividend", "all"):
        return f"invalid adjustment: {params.get('adjustment')!r}"
    if params.get("feed", "sip") not in ("iex", "sip", "otc"):
        return f"invalid feed: {params.get('feed')!r}"
    limit = params.get("limit")
    if limit is not None and not (limit.isdigit() and 1 <= int(limit) <= MAX_LIMIT):
        return f"invalid limit: {limit!r}"
    for name in ("start", "end"):
        if params.get(name) and _parse_time(params[name]) is None:
            return f"invalid {name}: {params[name]!r}"
    return None


def _parse_time(value: str | None) -> str | None:
    """An RFC 3339 time or a date, as a comparable UTC string like the bars' ``t``."""
    if not value:
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _read_token(token: str | None) -> int | None:
    if not token:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        return int(value) if kind == "offset" else None
    except (ValueError, UnicodeDecodeError):
        return None
