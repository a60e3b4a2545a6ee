"""The universe file: packaged list, user files, symbol spelling."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ConfigError, UnknownSymbol
from shared.adapters.universe import find_symbol, is_valid_symbol, load_universe, normalise_symbol


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
