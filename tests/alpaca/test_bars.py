"""AlpacaMarketData over the real SDK and real HTTP, against the emulator: shape, pages, faults."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from shared.adapters.alpaca import AlpacaAuthError, AlpacaMarketData, departure
from shared.adapters.market_data import normalise_bars
from tests.conftest import AS_OF, SMALL_UNIVERSE
from tests.emulators.alpaca import AlpacaEmulator

from .conftest import FIRST_DAY, on_emulator

START = date(2026, 11, 2)


def expected(sim_bars: pd.DataFrame, symbols: list[str], start: date = START, end: date = AS_OF) -> pd.DataFrame:
    rows = sim_bars[sim_bars["symbol"].isin(symbols) & sim_bars["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
    return normalise_bars(rows)


def test_request_shape_follows_settings(market_data, emulator) -> None:
    market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    requests = emulator.data_requests()
    assert len(requests) == 3  # 8 symbols in chunks of 3
    assert sorted(",".join(sorted(r.params["symbols"].split(","))) for r in requests) == sorted(
        ",".join(sorted(SMALL_UNIVERSE[i : i + 3])) for i in range(0, 8, 3)
    )
    for request in requests:
        assert request.params["timeframe"] == "1Day"
        assert request.params["adjustment"] == "split"
        assert request.params["feed"] == "sip"
        assert request.params["limit"] == "10000"
        assert request.params["start"] == "2026-11-02T00:00:00Z"
        assert request.params["end"] == "2026-11-27T23:59:59Z"


def test_every_page_is_followed_and_nothing_is_lost(market_data, emulator, sim_bars) -> None:
    emulator.faults.page_cap = 7  # pages end in the middle of symbols
    result = market_data.fetch_bars(SMALL_UNIVERSE, FIRST_DAY, AS_OF)
    want = expected(sim_bars, SMALL_UNIVERSE, FIRST_DAY)
    pd.testing.assert_frame_equal(result.bars, want)
    per_chunk = want.groupby(want["symbol"].map({s: i // 3 for i, s in enumerate(SMALL_UNIVERSE)})).size()
    assert result.stats["pages"] == sum(-(-n // 7) for n in per_chunk)
    assert len(emulator.data_requests()) == result.stats["pages"]
    assert not result.failed and not result.unknown


def test_sent_is_said_once_as_the_first_requests_leave_before_any_has_arrived(market_data, emulator) -> None:
    arrived_when_said: list[int] = []
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF, sent=lambda: arrived_when_said.append(len(emulator.data_requests())))
    assert len(emulator.data_requests()) == 3 and not result.failed
    assert len(arrived_when_said) == 1  # once, for three requests
    assert arrived_when_said[0] < 3  # while the requests that go at once were still leaving


def test_departure_calls_sent_on_the_wave_th_send_only() -> None:
    said: list[str] = []
    on_send = departure(2, lambda: said.append("sent"))
    assert on_send is not None
    on_send()
    assert said == []
    on_send()
    on_send()
    assert said == ["sent"]
    assert departure(0, lambda: said.append("none due")) is None and said[-1] == "none due"  # no request: at once
    assert departure(2, None) is None


def test_daily_timestamps_become_new_york_sessions(market_data, sim_bars) -> None:
    # 2026-11-02 is after the DST change (05:00Z), 2026-10-30 before it (04:00Z).
    result = market_data.fetch_bars(["AAPL"], date(2026, 10, 29), date(2026, 11, 3))
    assert [d.date() for d in result.bars["date"]] == [date(2026, 10, 29), date(2026, 10, 30), date(2026, 11, 2), date(2026, 11, 3)]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(market_data, emulator, sim_bars, status) -> None:
    emulator.faults.statuses = [status, status]
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, SMALL_UNIVERSE))
    assert result.stats["retries"] == 2 and not result.failed


def test_429_honours_retry_after_and_rate_limit_reset(market_data, emulator, fake_time, sim_bars) -> None:
    emulator.faults.per_minute = 2
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, SMALL_UNIVERSE))
    assert result.stats["rate_limited"] >= 1
    limited = [r for r in emulator.requests if r.status == 429]
    assert limited, "the emulator should have refused a request"
    # The client waited for the window to reset, not a blind backoff: a sleep of up to 60 s.
    assert max(fake_time.sleeps) > 1.0
    assert all(s <= 60 for s in fake_time.sleeps)


def test_a_hanging_request_times_out_and_is_retried(market_data, emulator, sim_bars) -> None:
    emulator.faults.hangs = 1
    emulator.faults.hang_seconds = 2.0
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, SMALL_UNIVERSE))
    assert result.stats["retries"] == 1 and result.stats["errors"] == 1


def test_a_body_that_stalls_midway_times_out_and_is_retried(market_data, emulator, sim_bars) -> None:
    emulator.faults.stalls = 1
    emulator.faults.hang_seconds = 1.5  # past the 0.5 s timeout, between two parts of the body
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, SMALL_UNIVERSE))
    assert result.stats["retries"] == 1 and not result.failed


def test_a_truncated_body_is_retried(market_data, emulator, sim_bars) -> None:
    emulator.faults.truncations = 2
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, SMALL_UNIVERSE))
    assert result.stats["retries"] == 2


def test_a_failing_symbol_is_isolated_by_splitting(market_data, emulator, sim_bars) -> None:
    emulator.faults.failing_symbols = {"KO"}
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    others = [s for s in SMALL_UNIVERSE if s != "KO"]
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, others))
    assert list(result.failed) == ["KO"]
    assert "500" in result.failed["KO"]


def test_bars_that_do_not_parse_fail_their_symbol_alone(market_data, emulator, sim_bars) -> None:
    emulator.faults.garbled_symbols = {"KO"}  # 200 and JSON, but its bars' times are garbage
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    others = [s for s in SMALL_UNIVERSE if s != "KO"]
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, others))
    assert list(result.failed) == ["KO"] and "malformed bars" in result.failed["KO"]


def test_unknown_and_malformed_symbols_are_recorded_not_fatal(market_data, emulator, sim_bars) -> None:
    emulator.faults.unknown = {"XOM"}
    result = market_data.fetch_bars(["AAPL", "XOM", "B$D", "KO"], START, AS_OF)
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, ["AAPL", "KO"]))
    assert result.unknown == ["B$D", "XOM"]
    assert not result.failed


def test_the_breaker_stops_calling_and_marks_the_rest_failed(alpaca_settings, emulator, fake_time) -> None:
    # One symbol a request: the breaker counts planned requests, so the run has more than 3 of them.
    market_data = AlpacaMarketData(alpaca_settings.with_overrides(alpaca_chunk_size=1), sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time)
    emulator.faults.statuses = [503] * 1000
    result = market_data.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    assert sorted(result.failed) == sorted(SMALL_UNIVERSE)
    assert result.bars.empty
    # threshold 3 failed requests after 4 attempts each, plus at most what the other worker had in flight
    assert len(emulator.data_requests()) <= (3 + 2) * 4
    assert any("circuit open" in reason for reason in result.failed.values())


def test_bad_keys_fail_the_fetch_with_a_clear_error(alpaca_settings, emulator, fake_time) -> None:
    wrong = AlpacaMarketData(alpaca_settings.with_overrides(alpaca_secret_key="wrong"), sleep=fake_time.sleep, clock=fake_time.time)
    with pytest.raises(AlpacaAuthError, match="403"):
        wrong.fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    # No retries and no more chunks once the keys are refused (at most what was already in flight).
    assert len(emulator.data_requests()) <= alpaca_settings.alpaca_workers


def test_raw_adjustment_shows_the_split(alpaca_settings, emulator, fake_time, sim_bars) -> None:
    emulator.splits = {"NVDA": (date(2026, 11, 16), 4.0)}
    raw = AlpacaMarketData(alpaca_settings.with_overrides(alpaca_adjustment="raw"), sleep=fake_time.sleep, clock=fake_time.time)
    bars = raw.fetch_bars(["NVDA"], START, AS_OF).bars.set_index("date")["close"]
    adjusted = expected(sim_bars, ["NVDA"]).set_index("date")["close"]
    assert bars[pd.Timestamp("2026-11-13")] == pytest.approx(adjusted[pd.Timestamp("2026-11-13")] * 4.0)
    assert bars[pd.Timestamp("2026-11-16")] == pytest.approx(adjusted[pd.Timestamp("2026-11-16")])
    assert {r.params["adjustment"] for r in emulator.data_requests()} == {"raw"}


def test_a_page_with_a_nan_literal_is_malformed_and_fails_its_symbol_alone(settings, sim_bars, fake_time) -> None:
    bars = sim_bars.copy()
    bars.loc[(bars["symbol"] == "KO") & (bars["date"] == pd.Timestamp(AS_OF)), "close"] = float("nan")
    with AlpacaEmulator(bars, clock=fake_time.time) as server:  # KO's page says NaN: not JSON
        wired = on_emulator(settings, server, alpaca_chunk_size=3, alpaca_timeout_seconds=0.5, alpaca_backoff_seconds=0.01, alpaca_retries=1, alpaca_workers=2)
        result = AlpacaMarketData(wired, sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time).fetch_bars(SMALL_UNIVERSE, START, AS_OF)
    others = [s for s in SMALL_UNIVERSE if s != "KO"]
    pd.testing.assert_frame_equal(result.bars, expected(sim_bars, others))
    assert list(result.failed) == ["KO"] and "malformed JSON body" in result.failed["KO"]
