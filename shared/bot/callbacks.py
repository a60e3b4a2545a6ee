"""Callback data of the inline buttons: one encode/decode pair for every kind of button.

- ``top:DATE:OFFSET:SIZE:SECTOR:SORT`` pages a day's ranking in place. DATE is the report the
  message showed (so an older message keeps paging its own day), SECTOR the index of the sector in
  that report's sorted sectors or ``-`` for all, SORT one of ``SORTS``. (The five-field form of
  earlier versions, without SORT, still decodes.)
- ``s:SYMBOL`` opens a stock; ``s:SYMBOL:DATE:OFFSET:SIZE:SECTOR:SORT`` also remembers the list
  page it was opened from, for its "back" button.
- ``w:SYMBOL:PCT`` watches a stock at a drawdown of PCT percent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.bot.formatting import MAX_CALLBACK_DATA
from shared.errors import BadInput

#: How /top can sort: the drawdown rank (default), the score, days since peak, 5- or 20-day return.
SORTS = ("drawdown", "score", "days", "ret5", "ret20")
DEFAULT_SORT = SORTS[0]
_ALL = "-"


@dataclass(frozen=True)
class TopPage:
    """One page of a day's ranking, optionally of one sector, in one order."""

    day: date
    offset: int
    size: int
    sector: int | None = None
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class StockView:
    """One stock's view, opened from a list page (``back``) or on its own."""

    symbol: str
    back: TopPage | None = None


@dataclass(frozen=True)
class WatchButton:
    """Watch ``symbol`` at a drawdown of ``pct`` percent."""

    symbol: str
    pct: int


Button = TopPage | StockView | WatchButton


class StaleButton(BadInput):
    """Callback data that no longer names anything (another kind, garbled, or an unknown day)."""


def _page_fields(page: TopPage) -> str:
    sector = _ALL if page.sector is None else str(page.sector)
    return f"{page.day.isoformat()}:{page.offset}:{page.size}:{sector}:{page.sort}"


def _page(fields: list[str]) -> TopPage:
    day, offset, size, sector, *rest = fields
    sort = rest[0] if rest else DEFAULT_SORT
    if len(rest) > 1 or sort not in SORTS or int(offset) < 0 or int(size) < 1:
        raise ValueError(fields)
    return TopPage(date.fromisoformat(day), int(offset), int(size), None if sector == _ALL else int(sector), sort)


def encode(button: Button) -> str:
    """The callback data of a button (at most Telegram's 64 bytes)."""
    if isinstance(button, TopPage):
        data = f"top:{_page_fields(button)}"
    elif isinstance(button, StockView):
        data = f"s:{button.symbol}" + ("" if button.back is None else f":{_page_fields(button.back)}")
    else:
        data = f"w:{button.symbol}:{button.pct}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback_data over {MAX_CALLBACK_DATA} bytes: {data!r}")
    return data


def decode(data: str) -> Button:
    """The button ``data`` names; StaleButton when it names none."""
    kind, _, rest = data.partition(":")
    fields = rest.split(":")
    try:
        if kind == "top" and len(fields) in (4, 5):
            return _page(fields)
        if kind == "s" and fields[0] and len(fields) in (1, 6):
            return StockView(fields[0], _page(fields[1:]) if len(fields) > 1 else None)
        if kind == "w" and len(fields) == 2 and fields[0]:
            return WatchButton(fields[0], int(fields[1]))
    except ValueError:
        pass
    raise StaleButton("That button is out of date; send /top again.")
