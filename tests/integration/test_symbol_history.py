"""Reading one symbol's bars out of the stored days equals parsing the days in full."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from shared.adapters.archive import Archive, bars_key
from shared.adapters.market_data import SimulatedMarketData
from shared.adapters.storage import LocalStore
from shared.adapters.symbol_history import SymbolHistory
from shared.core.trading_calendar import trading_days


def test_one_symbol_equals_the_full_parse(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    symbols = ["BRK.B", "BRK.A", "KO", "K"]
    bars = SimulatedMarketData().fetch_bars(symbols, date(2026, 9, 1), date(2026, 11, 27)).bars
    for stamp, day_bars in bars.groupby("date"):
        if stamp.date() != date(2026, 10, 1):  # one stored day lacks K: it is skipped
            archive.write_bars(stamp.date(), day_bars)
        else:
            archive.write_bars(stamp.date(), day_bars[day_bars["symbol"] != "K"])
    days = [stamp.date() for stamp in trading_days(date(2026, 8, 1), date(2026, 12, 4))]  # some never stored
    history = SymbolHistory(archive.store)
    for symbol in symbols:
        full = archive.read_bars(days)
        expected = full[full["symbol"] == symbol].reset_index(drop=True)
        pd.testing.assert_frame_equal(history.bars(symbol, days), expected)
    assert len(history.bars("K", days)) == len(history.bars("KO", days)) - 1
    assert history.bars("ZZZ", days).empty


def test_a_day_in_another_column_order_is_parsed_in_full(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_immutable(bars_key(date(2026, 11, 27)), b"date,symbol,open,high,low,close,volume\n2026-11-27,KO,1,2,0.5,1.5,100\n2026-11-27,K,3,3,3,3,0\n")
    found = SymbolHistory(store).bars("KO", [date(2026, 11, 27)])
    assert found["close"].tolist() == [1.5] and found["symbol"].tolist() == ["KO"]
