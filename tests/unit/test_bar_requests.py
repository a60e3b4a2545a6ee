"""Request sizing for Alpaca's bars: whole pages, the URL cap, order kept, nothing dropped."""
from __future__ import annotations

import itertools
import math
import string

from hypothesis import given, settings as hypothesis_settings, strategies as st

from shared.adapters.bar_requests import (
    PAGES_IN_FLIGHT,
    requests_at_once,
    MAX_URL_BYTES,
    PAGE_LIMIT,
    PAGE_WASTE,
    SYMBOLS_BYTES,
    minimum_requests,
    plan_requests,
    symbol_bytes,
    symbols_per_request,
)

tickers = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=5)
share_classes = st.builds(lambda base, cls: f"{base}.{cls}", st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=4), st.sampled_from("ABU"))
universes = st.lists(st.one_of(tickers, share_classes), min_size=1, max_size=3000, unique=True)


def pages(requests: list[list[str]], sessions: int) -> int:
    return sum(math.ceil(len(request) * sessions / PAGE_LIMIT) for request in requests)


def test_a_backfill_of_the_russell_1000_over_125_sessions_takes_13_full_requests() -> None:
    symbols = [f"S{i:03d}" for i in range(1000)]
    requests = plan_requests(symbols, 125)
    assert [len(r) for r in requests] == [80] * 12 + [40]
    assert pages(requests, 125) == 13 == minimum_requests(symbols, 125)


def test_a_daily_run_of_the_russell_1000_fits_one_request() -> None:
    from shared.adapters.universe import load_universe

    symbols = load_universe()["symbol"].tolist()
    assert len(plan_requests(symbols, 1)) == 1
    assert len(plan_requests(symbols, 2)) == 1


def test_long_ranges_span_several_pages_a_request() -> None:
    # Five years: a page holds 7 symbols and would waste 12% of it; 7 pages of 55 waste 1%.
    assert symbols_per_request(1260) == 55
    symbols = [f"S{i:03d}" for i in range(1000)]
    floor = math.ceil(1000 * 1260 / PAGE_LIMIT)
    assert pages(plan_requests(symbols, 1260), 1260) <= floor * (1 + PAGE_WASTE)
    one_page_each = math.ceil(1000 / (PAGE_LIMIT // 1260))
    assert one_page_each > floor * 1.1  # what one page per request would cost


def test_the_url_cap_bounds_a_request_of_many_symbols() -> None:
    symbols = ["".join(letters) for letters in itertools.product(string.ascii_uppercase, repeat=4)][:10_000]
    requests = plan_requests(symbols, 1)
    assert all(sum(symbol_bytes(s) for s in request) <= SYMBOLS_BYTES for request in requests)
    assert len(requests) == minimum_requests(symbols, 1) == math.ceil(10_000 * 7 / SYMBOLS_BYTES)
    assert SYMBOLS_BYTES + 1_000 == MAX_URL_BYTES


def test_a_user_cap_on_symbols_is_honoured() -> None:
    assert [len(r) for r in plan_requests(list("ABCDEFGH"), 1, max_symbols=3)] == [3, 3, 2]


@hypothesis_settings(max_examples=200, deadline=None)
@given(universes, st.integers(min_value=1, max_value=12_000))
def test_every_symbol_once_in_order_within_the_url_and_near_the_floor(symbols: list[str], sessions: int) -> None:
    requests = plan_requests(symbols, sessions)
    assert [s for request in requests for s in request] == symbols
    assert all(sum(symbol_bytes(s) for s in request) <= SYMBOLS_BYTES for request in requests)
    floor = minimum_requests(symbols, sessions)
    used = pages(requests, sessions)
    assert used >= floor
    url_bound = math.ceil(sum(symbol_bytes(s) for s in symbols) / SYMBOLS_BYTES)
    if url_bound <= 1:
        # Pages bind: each full request wastes at most PAGE_WASTE of its pages, the last at most one.
        assert used <= math.ceil(floor * (1 + 1.5 * PAGE_WASTE)) + 1


def test_small_requests_go_at_once_and_full_pages_a_few_at_a_time() -> None:
    tickers = [f"S{i:05d}" for i in range(10_000)]
    daily = plan_requests(tickers, 1)
    assert len(daily) > 10 and requests_at_once(10, daily, 1) == 10  # the URL cap's requests, ten at once
    assert requests_at_once(4, daily, 1) == 4  # never more than the workers
    backfill = plan_requests(tickers, 125)
    assert requests_at_once(10, backfill, 125) == PAGES_IN_FLIGHT  # ~10,000 bars each
    assert requests_at_once(10, plan_requests(tickers, 400), 400) == PAGES_IN_FLIGHT  # several pages each, one at a time
    assert requests_at_once(10, [["A"]], 1) == 1 and requests_at_once(10, [], 1) == 1


@given(st.text(max_size=12))
def test_a_symbol_takes_the_bytes_it_is_quoted_to_and_its_separator(symbol: str) -> None:
    from urllib.parse import quote

    assert symbol_bytes(symbol) == len(quote(symbol, safe="")) + len(quote(","))
