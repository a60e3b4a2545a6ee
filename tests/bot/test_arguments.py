"""Command arguments: /top's N, sector and order; sector names by whole word, alias or prefix."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.bot.arguments import SECTOR_ALIASES, TopArgs, match_sector, parse_top
from shared.errors import BadInput

GICS = [
    "Communication Services", "Consumer Discretionary", "Consumer Staples", "Energy", "Financials", "Health Care",
    "Industrials", "Information Technology", "Materials", "Real Estate", "Utilities",
]


@pytest.mark.parametrize(
    ("query", "sector"),
    [
        ("it", "Information Technology"), ("IT", "Information Technology"), ("tech", "Information Technology"),
        ("information technology", "Information Technology"), ("health", "Health Care"), ("care", "Health Care"),
        ("staples", "Consumer Staples"), ("consumer staples", "Consumer Staples"), ("cons disc", "Consumer Discretionary"),
        ("util", "Utilities"), ("utilities", "Utilities"), ("real", "Real Estate"), ("reits", "Real Estate"),
        ("fin", "Financials"), ("comm", "Communication Services"), ("energy", "Energy"), ("materials", "Materials"),
        ("indust", "Industrials"), ("Real-Estate", "Real Estate"),
    ],
)
def test_sectors_match_by_whole_word_alias_or_unique_prefix(query: str, sector: str) -> None:
    assert match_sector(query, GICS) == sector


@pytest.mark.parametrize(("query", "problem"), [("consumer", "could be Consumer Discretionary or Consumer Staples"), ("in", "could be Industrials or Information Technology"), ("ties", "No sector matches"), ("ech", "No sector matches"), ("--", "is not a sector")])
def test_no_substring_matches_and_ambiguity_is_named(query: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        match_sector(query, GICS)


def test_every_alias_names_a_gics_sector() -> None:
    assert set(SECTOR_ALIASES.values()) <= set(GICS)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], TopArgs()),
        (["5"], TopArgs(5)),
        (["5", "it"], TopArgs(5, "it")),
        (["real", "estate", "sort=days"], TopArgs(10, "real estate", "days")),
        (["sort=SCORE", "25"], None),  # N comes first
        (["10", "sort=5d"], TopArgs(10, None, "ret5")),
    ],
)
def test_parse_top(args: list[str], expected: TopArgs | None) -> None:
    if expected is None:
        with pytest.raises(BadInput, match="Usage: /top"):
            parse_top(args)
    else:
        assert parse_top(args) == expected


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)).map(str), st.sampled_from(["", "%"]))
def test_numbers_are_never_sectors(number: str, suffix: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_top(["5", number + suffix])
    assert str(refused.value).endswith("Usage: /top [N] [sector] [sort=KEY]")
    if not number.lstrip("-").isdigit() or int(number) < 1 or int(number) > 25:
        with pytest.raises(BadInput, match="Usage: /top"):
            parse_top([number + suffix])
