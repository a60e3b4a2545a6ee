"""The universe file: packaged list, user files, symbol spelling."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shared.errors import ConfigError, UnknownSymbol
from shared.adapters.universe import find_symbol, is_valid_symbol, load_dated_universe, load_universe, members_on, normalise_symbol


def test_packaged_russell_1000() -> None:
    universe = load_universe()
    assert len(universe) == 1000
    assert universe["symbol"].is_unique
    assert universe["symbol"].map(is_valid_symbol).all()
    assert {"BRK.B", "BF.B", "AAPL"} <= set(universe["symbol"])
    assert universe.loc[universe["symbol"] == "AAPL", "sector"].item() == "Information Technology"
    assert list(universe.columns) == ["symbol", "name", "sector"]


@pytest.mark.parametrize(("raw", "expected"), [("brk-b", "BRK.B"), (" BRK/B ", "BRK.B"), ("BRK.B", "BRK.B"), ("aapl", "AAPL")])
def test_share_classes_are_written_with_a_dot(raw: str, expected: str) -> None:
    assert normalise_symbol(raw) == expected


def test_user_file_with_only_a_symbol_column(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("symbol\nmsft\nbrk-b\nMSFT\n")
    universe = load_universe(path)
    assert universe["symbol"].tolist() == ["BRK.B", "MSFT"]
    assert universe["sector"].tolist() == ["Unknown", "Unknown"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("ticker_name\nX\n", "no 'symbol' column"), ("symbol\n12$\n", "invalid symbols"), ("symbol\n", "lists no symbols")],
)
def test_bad_user_files_name_the_variable(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ConfigError, match=f"DIPWATCH_UNIVERSE.*{message}"):
        load_universe(path)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="DIPWATCH_UNIVERSE: no such file"):
        load_universe("/nonexistent/universe.csv")


def test_unknown_symbol_suggests_close_ones() -> None:
    universe = load_universe()
    assert find_symbol("brk-b", universe) == "BRK.B"
    with pytest.raises(UnknownSymbol) as caught:
        find_symbol("APPL", universe)
    assert "AAPL" in caught.value.suggestions


def test_dated_universe_from_spells_and_from_snapshots(tmp_path) -> None:
    spells = tmp_path / "spells.csv"
    spells.write_text("symbol,start,end\nLUMN,2022-01-03,2022-06-24\nbrk-b,2022-01-03,\n")
    snapshots = tmp_path / "snapshots.csv"
    snapshots.write_text("date,symbol\n2022-01-03,LUMN\n2022-01-03,BRK.B\n2022-06-27,BRK.B\n2022-12-19,BRK.B\n2022-12-19,LUMN\n")
    days = pd.DatetimeIndex(["2022-01-03", "2022-06-24", "2022-06-27", "2022-12-19"])
    for path in (spells, snapshots):
        members = members_on(load_dated_universe(path), days).groupby("as_of")["symbol"].apply(sorted).to_dict()
        assert members[pd.Timestamp("2022-01-03")] == ["BRK.B", "LUMN"]
        assert members[pd.Timestamp("2022-06-24")] == ["BRK.B", "LUMN"]
        assert members[pd.Timestamp("2022-06-27")] == ["BRK.B"]
    assert members_on(load_dated_universe(snapshots), days).groupby("as_of")["symbol"].apply(sorted).to_dict()[pd.Timestamp("2022-12-19")] == ["BRK.B", "LUMN"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("symbol,start,end\nAAPL,2022-13-01,\n", "bad date"),
        ("symbol,start,end\nAAPL,2022-06-01,2022-01-01\n", "ends before it starts"),
        ("symbol,start\nnot a symbol!,2022-01-01\n", "invalid symbols"),
        ("symbol,when\nAAPL,2022-01-01\n", "'start'"),
    ],
)
def test_dated_universe_errors_name_the_file(tmp_path, text: str, problem: str) -> None:
    path = tmp_path / "members.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem) as raised:
        load_dated_universe(path)
    assert "members.csv" in str(raised.value)
