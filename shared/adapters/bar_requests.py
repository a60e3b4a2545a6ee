"""How a bars fetch is split into Alpaca requests: as few as the page limit allows.

Alpaca's multi-symbol bars endpoint answers at most ``PAGE_LIMIT`` bars a page, counted across
all the symbols of the request (sorted by symbol, then time), and continues with
``next_page_token``. Each request's last page is usually part-full, and a part-full page costs a
whole request. So a request holds as many symbols as fill its pages, about 10,000 ÷ sessions in
the range: a backfill then takes ⌈bars ÷ 10,000⌉ requests, the floor, and a daily run one or two.

When a range is long, one page holds few symbols and the part-full last page of each request
wastes up to a symbol's worth of bars. A request then spans several pages (followed by token),
enough that the waste stays under ``PAGE_WASTE`` of its bars.

The URL caps the symbols of one request. Alpaca publishes no limit on ``symbols``, but HTTP
servers and proxies commonly refuse request lines over 8 KB (nginx answers 414 beyond its
default 8 KB header buffer; CloudFront refuses URLs over 8,192 bytes), and RFC 9110 only asks
every party to accept 8,000 octets. So every request's URL stays within ``MAX_URL_BYTES``:
the symbols may take ``SYMBOLS_BYTES`` of it as they go on the wire (a comma is sent as
``%2C``), which leaves 1,000 bytes for the scheme, host, path, other parameters and a page
token. That is about 1,100 typical tickers a request.
"""
from __future__ import annotations

import math
import re
from typing import Sequence
from urllib.parse import quote

#: Bars a page may hold (Alpaca's maximum for ``limit``).
PAGE_LIMIT = 10_000
#: The longest URL we send (RFC 9110's 8,000 octets; see the module docstring).
MAX_URL_BYTES = 8_000
#: What the symbols may take of it; the rest is for host, path, other parameters and page token.
SYMBOLS_BYTES = MAX_URL_BYTES - 1_000
#: The most a request's part-full last page may waste, as a share of the request's bars.
PAGE_WASTE = 0.02
_SEPARATOR_BYTES = len(quote(","))
#: Full pages of bars a fetch holds in flight at once (each parsed page is some 10 MB).
PAGES_IN_FLIGHT = 4


#: What ``quote`` leaves as it is: such a symbol (nearly every one) takes its own length.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def symbol_bytes(symbol: str) -> int:
    """Bytes ``symbol`` takes in the URL's ``symbols`` list, with its separator."""
    return (len(symbol) if _UNRESERVED.fullmatch(symbol) else len(quote(symbol, safe=""))) + _SEPARATOR_BYTES


def pages_per_request(sessions: int, page_limit: int = PAGE_LIMIT) -> int:
    """Pages one request spans so that its part-full last page wastes at most ``PAGE_WASTE``.

    A request of ``m`` pages holds ⌊m·limit ÷ sessions⌋ symbols and leaves less than one
    symbol's bars (``sessions``) of its last page empty: at most sessions ÷ (m·limit).
    """
    return max(1, math.ceil(max(1, sessions) / (page_limit * PAGE_WASTE)))


def symbols_per_request(sessions: int, page_limit: int = PAGE_LIMIT) -> int:
    """How many symbols of ``sessions`` bars each fill a request's pages."""
    sessions = max(1, sessions)
    return max(1, pages_per_request(sessions, page_limit) * page_limit // sessions)


def plan_requests(
    symbols: Sequence[str],
    sessions: int,
    *,
    max_symbols: int | None = None,
    page_limit: int = PAGE_LIMIT,
    url_bytes: int = SYMBOLS_BYTES,
) -> list[list[str]]:
    """``symbols`` cut into requests that fill whole pages of ``sessions`` bars per symbol,
    each within ``url_bytes`` of URL and ``max_symbols`` symbols. Order is kept."""
    per_request = symbols_per_request(sessions, page_limit)
    if max_symbols is not None:
        per_request = min(per_request, max_symbols)
    requests: list[list[str]] = []
    current: list[str] = []
    used = 0
    for symbol in symbols:
        size = symbol_bytes(symbol)
        if current and (len(current) >= per_request or used + size > url_bytes):
            requests.append(current)
            current, used = [], 0
        current.append(symbol)
        used += size
    if current:
        requests.append(current)
    return requests


def minimum_requests(symbols: Sequence[str], sessions: int, page_limit: int = PAGE_LIMIT, url_bytes: int = SYMBOLS_BYTES) -> int:
    """The fewest requests any client needs: every bar in a page, every symbol in a URL."""
    if not symbols:
        return 0
    by_pages = math.ceil(len(symbols) * max(1, sessions) / page_limit)
    by_url = math.ceil(sum(symbol_bytes(symbol) for symbol in symbols) / url_bytes)
    return max(by_pages, by_url)


def requests_at_once(workers: int, requests: Sequence[Sequence[str]], sessions: int, page_limit: int = PAGE_LIMIT) -> int:
    """How many of ``requests`` go at once: up to ``workers``, and no more than
    ``PAGES_IN_FLIGHT`` full pages' worth of bars (a request's bars arrive a page at a time)."""
    if not requests:
        return 1
    per_request = min(page_limit, max(len(request) for request in requests) * max(1, sessions))
    return max(1, min(workers, len(requests), PAGES_IN_FLIGHT * page_limit // max(1, per_request)))
