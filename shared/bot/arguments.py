"""Command arguments: ``/top [N] [sector] [sort=KEY]``, sector names, whole numbers.

A bad argument raises ``BadInput`` with the problem and one line of usage. Numbers are never read
as sector names, and a sector matches by its whole name, a documented alias (``SECTOR_ALIASES``),
whole words, or a unique prefix; never by a substring inside a word ("it" is not "Utilities").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from shared.bot.callbacks import DEFAULT_SORT, SORTS
from shared.bot.formatting import shorten
from shared.errors import BadInput

#: The most rows one /top page shows, and the default.
MAX_PAGE = 25
DEFAULT_PAGE = 10
TOP_USAGE = "Usage: /top [N] [sector] [sort=KEY]"
SORT_HELP = "sort: score, days, ret5 or ret20"

#: Short names of the GICS sectors, as users type them (documented in README).
SECTOR_ALIASES = {
    "it": "Information Technology",
    "tech": "Information Technology",
    "technology": "Information Technology",
    "health": "Health Care",
    "healthcare": "Health Care",
    "staples": "Consumer Staples",
    "discretionary": "Consumer Discretionary",
    "disc": "Consumer Discretionary",
    "comms": "Communication Services",
    "communication": "Communication Services",
    "telecom": "Communication Services",
    "media": "Communication Services",
    "financial": "Financials",
    "finance": "Financials",
    "banks": "Financials",
    "industrial": "Industrials",
    "material": "Materials",
    "utility": "Utilities",
    "reit": "Real Estate",
    "reits": "Real Estate",
    "realestate": "Real Estate",
}
#: What ``sort=`` accepts for each order.
_SORT_NAMES = {"drawdown": "drawdown", "dd": "drawdown", "rank": "drawdown", "score": "score", "days": "days", "age": "days"}
_SORT_NAMES.update({"ret5": "ret5", "5d": "ret5", "ret20": "ret20", "20d": "ret20"})
_WORD = re.compile(r"[a-z0-9]+")


def is_number(token: str) -> bool:
    """Whether ``token`` reads as a number (``5``, ``-3``, ``2.5%``, ``1e6``, ``1,000``): never a sector."""
    try:
        float(token.replace("−", "-").replace(",", "").rstrip("%"))
    except ValueError:
        return False
    return any(char.isdigit() for char in token)


@dataclass(frozen=True)
class TopArgs:
    """What ``/top`` was asked for."""

    size: int = DEFAULT_PAGE
    sector: str | None = None  # the words naming a sector, unresolved
    sort: str = DEFAULT_SORT


def echo(text: str, limit: int = 32) -> str:
    """User text as an error message repeats it: cut to ``limit`` characters (escaped later)."""
    return shorten(text, limit)


def usage_error(problem: str, usage: str = TOP_USAGE) -> BadInput:
    """A BadInput with the problem and one line of usage."""
    return BadInput(f"{problem}\n{usage}")


def whole_number(text: str, label: str, low: int, high: int, usage: str) -> int:
    """A whole-number argument in [low, high]; BadInput with the usage otherwise."""
    if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
        raise usage_error(f"{label} must be a whole number from {low} to {high}.", usage)
    return int(text)


def parse_top(args: list[str]) -> TopArgs:
    """``/top`` arguments: an optional N first, sector words, and ``sort=KEY`` anywhere."""
    size, sort, words = DEFAULT_PAGE, DEFAULT_SORT, []
    for position, token in enumerate(args):
        key, equals, value = token.lower().partition("=")
        if equals and key == "sort":
            if value not in _SORT_NAMES:
                raise usage_error(f"Unknown order “{echo(value)}”; {SORT_HELP}.")
            sort = _SORT_NAMES[value]
        elif is_number(token):
            if position != 0:
                raise usage_error(f"“{echo(token)}” is not a sector; N comes first.")
            size = whole_number(token, "N", 1, MAX_PAGE, TOP_USAGE)
        else:
            words.append(token)
    if sort not in SORTS:  # pragma: no cover - _SORT_NAMES only names SORTS
        raise usage_error(SORT_HELP)
    return TopArgs(size, " ".join(words) or None, sort)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def match_sector(query: str, sectors: list[str]) -> str:
    """The one sector ``query`` names: its whole name, an alias, whole words, or a unique prefix
    (of the name or of each of its words); BadInput naming the candidates otherwise."""
    wanted = _words(query)
    if not wanted:
        raise usage_error(f"“{echo(query)}” is not a sector.")
    alias = SECTOR_ALIASES.get("".join(wanted))

    def whole_name(sector: str) -> bool:
        return _words(sector) == wanted

    def aliased(sector: str) -> bool:
        return sector == alias

    def whole_words(sector: str) -> bool:
        return all(word in _words(sector) for word in wanted)

    def prefix(sector: str) -> bool:
        names = _words(sector)
        return " ".join(names).startswith(" ".join(wanted)) or all(any(name.startswith(word) for name in names) for word in wanted)

    stages: list[Callable[[str], bool]] = [whole_name, aliased, whole_words, prefix]
    for test in stages:
        found = [sector for sector in sectors if test(sector)]
        if len(found) == 1:
            return found[0]
        if found:
            raise BadInput(f"“{echo(query)}” could be {' or '.join(found)}.")
    raise BadInput(f"No sector matches “{echo(query)}”. Try it, health, staples, energy or /sectors.")
