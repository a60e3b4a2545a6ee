"""Alpaca's daily bars (the MarketData port), and the SDK client both Alpaca adapters share.

alpaca-trade-api is the user's chosen SDK; it stays inside this module and
``shared.adapters.alpaca_account`` (the read-only trading account), so moving to alpaca-py
touches nothing else. What we change in the SDK's behaviour, and why:
- every HTTP call gets a timeout (the SDK sets none);
- the SDK's fixed 3-second retry is off; one policy of ours retries 429, 5xx, timeouts,
  connection errors and truncated bodies with jittered exponential backoff, honouring
  ``Retry-After`` and ``X-RateLimit-Reset``;
- a token bucket keeps us under the per-minute budget, shared by all threads;
- the data URL comes from Settings, not from the SDK's own environment lookup;
- one ``REST`` object per thread (each holds a ``requests.Session``).
"""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Sequence

import numpy as np
import orjson
import pandas as pd
import requests
import urllib3
from alpaca_trade_api.common import URL
from alpaca_trade_api.rest import REST, TimeFrame

from shared.adapters.bar_buffer import BarsBuffer
from shared.adapters.bar_requests import minimum_requests, plan_requests, requests_at_once
from shared.adapters.chunk_fetch import ChunkFetch, ChunkOutcome
from shared.adapters.day_rows import DayRows
from shared.adapters.resilience import CircuitBreaker, RequestStats, RetryableError, RetryPolicy, TokenBucket
from shared.config import Settings
from shared.core.bars import empty_bars, normalise_bars
from shared.core.trading_calendar import trading_days
from shared.errors import MarketDataError
from shared.ports import FetchResult

#: The SDK's ``limit`` is a total across pages; this large total makes every page a full one.
_UNBOUNDED = 10**9
NEW_YORK = "America/New_York"
#: Alpaca's requests per minute on the free plan.
ALPACA_FREE_LIMIT = 200


def burst_for(per_minute: int) -> int:
    """The token bucket's burst: the headroom between our pace and Alpaca's 200/min, so that no
    60-second window holds more than 200 requests (pace 180 -> burst 20). At least 10, for paid
    plans whose limits are far higher."""
    return max(10, ALPACA_FREE_LIMIT - per_minute)


class AlpacaRequestError(MarketDataError):
    """Alpaca refused a request for a reason another try will not fix (4xx other than 429)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Alpaca answered {status}: {message}")
        self.status = status


class AlpacaAuthError(AlpacaRequestError):
    """Alpaca rejected the keys (401/403): no other request of this run can succeed."""


def _error_message(response: requests.Response, body: bytes) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace") or response.reason
    return str(parsed.get("message", parsed)) if isinstance(parsed, dict) else str(parsed)[:200]


def _whole_body(response: requests.Response) -> bytes:
    """The body in one read. requests reads it 10 KB at a time, and each read hands the
    interpreter over: a thread reading behind busy ones (the collector's other work) waits up to
    a switch interval (5 ms) for it back each time, 50 ms over a 100 KB page."""
    body: bytes = response.raw.read(decode_content=True)
    return body


def wait_hint(headers: Any, now: float) -> float | None:
    """Seconds the server asks us to wait, from ``Retry-After`` or ``X-RateLimit-Reset``."""
    hints = []
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            hints.append(float(retry_after))
        except ValueError:
            try:
                hints.append(parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            hints.append(float(reset) - now)
        except ValueError:
            pass
    return max(0.0, max(hints)) if hints else None


@dataclass
class Transport:
    """Sends one SDK request under our timeout, rate limit and retry policy, counting as it goes."""

    timeout: float
    bucket: TokenBucket
    policy: RetryPolicy
    stats: RequestStats = field(default_factory=RequestStats)
    wall_clock: Callable[[], float] = time.time
    #: Called as each request goes out (``departure``), before its answer is awaited.
    on_send: Callable[[], None] | None = None

    def send(self, session: requests.Session, method: str, url: str, opts: dict[str, Any]) -> Any:
        def attempt() -> Any:
            self.stats.add(wait_s=self.bucket.acquire(), requests=1)
            try:
                return self._exchange(session, method, url, opts)
            except (RetryableError, AlpacaRequestError):
                self.stats.add(errors=1)
                raise

        return self.policy.run(attempt, on_retry=lambda _error, _wait: self.stats.add(retries=1))

    def _exchange(self, session: requests.Session, method: str, url: str, opts: dict[str, Any]) -> Any:
        """One HTTP exchange: the parsed body, or the error that classifies the failure."""
        if self.on_send is not None:
            self.on_send()
        try:
            response = session.request(method, url, timeout=self.timeout, stream=True, **opts)
            body = _whole_body(response)
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as error:
            raise RetryableError(f"timed out after {self.timeout}s: {error}") from error
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:  # connection errors, truncated bodies
            raise RetryableError(f"{type(error).__name__}: {error}") from error
        self.stats.add(bytes=len(body))
        status = response.status_code
        if status == 429:
            self.stats.add(rate_limited=1)
            raise RetryableError("rate limited (429)", wait_hint=wait_hint(response.headers, self.wall_clock()))
        if status >= 500:
            raise RetryableError(f"server error {status}: {_error_message(response, body)}", wait_hint=wait_hint(response.headers, self.wall_clock()))
        if status in (401, 403):
            raise AlpacaAuthError(status, _error_message(response, body))
        if status >= 400:
            raise AlpacaRequestError(status, _error_message(response, body))
        if "/bars" in url:
            self.stats.add(pages=1)
        if not body:
            return None
        try:
            # orjson: a 10,000-bar page decodes in about a third of the stdlib's time, and
            # pages are decoded one at a time under the interpreter lock. Like the JSON spec
            # (and unlike the stdlib), it refuses NaN and Infinity: Alpaca never sends them.
            return orjson.loads(body)
        except ValueError as error:
            raise RetryableError(f"malformed JSON body ({len(body)} bytes)") from error


class AlpacaClient(REST):
    """The SDK's REST client with our data URL and our transport (no SDK retries, always a timeout)."""

    def __init__(self, settings: Settings, transport: Transport) -> None:
        super().__init__(
            key_id=settings.alpaca_key_id,
            secret_key=settings.alpaca_secret_key,
            base_url=URL(settings.alpaca_base_url),
            api_version="v2",
            raw_data=True,
        )
        self._retry = 0  # the SDK's own fixed-wait retry is off: our policy decides
        self._data_url = URL(settings.alpaca_data_url)
        self._transport = transport

    def data_get(self, path: str, data: Any = None, feed: str | None = None, api_version: str = "v1") -> Any:
        # The SDK reads the data URL from the environment on every call; ours comes from Settings.
        if feed:
            data = dict(data or {}, feed=feed)
        return self._request("GET", path, data, base_url=self._data_url, api_version=api_version)

    def _one_request(self, method: str, url: URL, opts: dict[str, Any], retry: int) -> Any:
        return self._transport.send(self._session, method, url, opts)


def departure(wave: int, sent: Callable[[], None] | None) -> Callable[[], None] | None:
    """What a transport calls as each request goes out: ``sent`` on the ``wave``-th (at once
    when no request is due), once, whichever thread sends it."""
    if sent is None:
        return None
    if wave <= 0:
        sent()
        return None
    lock, count = threading.Lock(), [0]

    def one_more() -> None:
        with lock:
            count[0] += 1
            due = count[0] == wave
        if due:
            sent()

    return one_more


def _rfc3339(day: date, end_of_day: bool = False) -> str:
    return f"{day.isoformat()}T{'23:59:59' if end_of_day else '00:00:00'}Z"


def _numbers(rows: list[dict[str, Any]], key: str, dtype: type = np.float64) -> np.ndarray:
    """One field of every bar as numbers (NaN where missing or not a number)."""
    values = [row.get(key) for row in rows]
    try:
        return np.array(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=np.float64)


def bars_from_rows(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Alpaca bar objects (``S, t, o, h, l, c, v``) as a bars frame dated by the New York session,
    built column by column (a page is 10,000 bars, on a few hundred distinct timestamps)."""
    if not rows:
        return empty_bars()
    codes, stamps = pd.factorize(np.array([row.get("t") for row in rows], dtype=object))
    sessions = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True, format="ISO8601")).tz_convert(NEW_YORK).tz_localize(None).normalize()
    frame = {"symbol": [row.get("S") for row in rows], "date": np.append(sessions.to_numpy(), np.datetime64("NaT", "ns"))[codes]}
    frame.update({name: _numbers(rows, key) for name, key in (("open", "o"), ("high", "h"), ("low", "l"), ("close", "c"))})
    return normalise_bars(pd.DataFrame({**frame, "volume": _numbers(rows, "v", np.int64)}))


class AlpacaMarketData:
    """Daily bars from Alpaca's multi-symbol endpoint, to the last page, in requests sized to fill
    whole pages (see ``bar_requests``), several at a time within the rate budget."""

    label = "alpaca"

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date, sent: Callable[[], None] | None = None) -> FetchResult:
        """Bars for ``symbols`` in [start, end]. Failed chunks are isolated (``chunk_fetch``);
        unknown symbols and symbols that still fail are recorded, never raised. Only rejected
        keys raise (AlpacaAuthError), since no request of the run could succeed. ``sent`` is
        called once the first requests that go at once are all on their way."""
        settings = self.settings
        started = self._clock()
        # In symbol order: each request is then a run of symbols, and its bars (sorted by symbol,
        # then time, like every page) follow the previous request's, so nothing is sorted again.
        wanted = sorted(dict.fromkeys(symbols))
        sessions = len(trading_days(start, end))
        chunks = plan_requests(wanted, sessions, max_symbols=settings.alpaca_chunk_size)
        workers = requests_at_once(settings.alpaca_workers, chunks, sessions)
        transport = Transport(
            timeout=settings.alpaca_timeout_seconds,
            bucket=TokenBucket(settings.alpaca_requests_per_minute, burst=burst_for(settings.alpaca_requests_per_minute), clock=self._clock, sleep=self._sleep),
            policy=RetryPolicy(retries=settings.alpaca_retries, base_seconds=settings.alpaca_backoff_seconds, sleep=self._sleep),
            wall_clock=self._wall_clock,
            on_send=departure(min(workers, len(chunks)), sent),
        )
        # The halves that isolate a failure are asked once: the planned request had the retries.
        isolating = Transport(transport.timeout, transport.bucket, RetryPolicy(retries=0, sleep=self._sleep), transport.stats, self._wall_clock)
        clients: dict[tuple[int, bool], AlpacaClient] = {}  # one per thread (and kind of request)
        clients_lock = threading.Lock()

        def request(chunk: list[str], planned: bool) -> list[dict[str, Any]]:
            key = (threading.get_ident(), planned)
            with clients_lock:
                if key not in clients:
                    clients[key] = AlpacaClient(settings, transport if planned else isolating)
                client = clients[key]
            try:
                return list(
                    client.get_bars_iter(
                        chunk,
                        TimeFrame.Day,
                        start=_rfc3339(start),
                        end=_rfc3339(end, end_of_day=True),
                        adjustment=settings.alpaca_adjustment,
                        limit=_UNBOUNDED,
                        feed=settings.alpaca_feed,
                        raw=True,
                    )
                )
            except AlpacaAuthError:
                breaker.trip()  # no other request of this run can succeed
                raise

        breaker = CircuitBreaker(settings.alpaca_breaker_threshold)
        slots = {id(chunk): slot for slot, chunk in enumerate(chunks)}
        buffer = BarsBuffer([len(chunk) * max(1, sessions) for chunk in chunks])
        rendered = DayRows()

        def keep(chunk: list[str], planned: bool, rows: list[dict[str, Any]]) -> None:
            # In the request's thread: its bars go to their slot (a malformed page fails its
            # request here), and the rows of the day objects are rendered behind, while this
            # thread sends its next request, so storing only joins them.
            frame = bars_from_rows(rows)
            buffer.put(slots.get(id(chunk)) if planned else None, frame)
            rendered.add_behind(frame)

        chunk_fetch = ChunkFetch(request, breaker, keep, AlpacaRequestError, AlpacaAuthError)
        total = ChunkOutcome()
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for outcome in pool.map(chunk_fetch.fetch, chunks):
                    total.absorb(outcome)
        finally:
            for each in clients.values():
                each.close()
            rendered.settle()
        stats = transport.stats.snapshot()
        stats.update(chunks=len(chunks), minimum_requests=minimum_requests(wanted, sessions), duration_s=round(self._clock() - started, 3))
        return FetchResult(bars=buffer.frame(), failed=total.failed, unknown=sorted(set(total.unknown)), stats=stats, rendered=rendered)
