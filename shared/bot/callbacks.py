"""Callback data of the inline buttons: one encode/decode pair.

The only button kind pages the ranking in place: ``top:DATE:OFFSET:SIZE:SECTOR``, where DATE is
the report the message showed (so an older message keeps paging its own day) and SECTOR is the
index of the sector in that report's sorted sectors, or ``-`` for all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.bot.formatting import MAX_CALLBACK_DATA
from shared.errors import BadInput

_KIND = "top"
_ALL = "-"


@dataclass(frozen=True)
class TopPage:
    """One page of a day's ranking, optionally of one sector."""

    day: date
    offset: int
    size: int
    sector: int | None = None


class StaleButton(BadInput):
    """Callback data that no longer names a page (another kind, garbled, or an unknown day)."""


def encode(page: TopPage) -> str:
    """The callback data of a page button (at most Telegram's 64 bytes)."""
    sector = _ALL if page.sector is None else str(page.sector)
    data = f"{_KIND}:{page.day.isoformat()}:{page.offset}:{page.size}:{sector}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback_data over {MAX_CALLBACK_DATA} bytes: {data!r}")
    return data


def decode(data: str) -> TopPage:
    """The page a button names; StaleButton when it names none."""
    try:
        kind, day, offset, size, sector = data.split(":")
        if kind != _KIND:
            raise ValueError(kind)
        return TopPage(date.fromisoformat(day), int(offset), int(size), None if sector == _ALL else int(sector))
    except ValueError:
        raise StaleButton("That button is out of date; send /top again.") from None
