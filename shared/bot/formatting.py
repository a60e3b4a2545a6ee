"""HTML for Telegram: escaping, number formats, the freshness stamp and length limits.

Every dynamic string goes through ``escape`` (or ``link`` for URLs) before it is placed in a
reply; the tags used are the ones Telegram's HTML parse mode allows.
"""
from __future__ import annotations

import html
import unicodedata
from datetime import datetime
from typing import Any, Iterable, Sequence

import pandas as pd

from shared.bot.splitting import MAX_MESSAGE, split_message  # noqa: F401 - re-exported: the pieces of a long reply
from shared.core.trading_calendar import NEW_YORK

#: Telegram's limit on ``callback_data``, in UTF-8 bytes.
MAX_CALLBACK_DATA = 64
MISSING = "—"
#: A phone shows about this many characters of a line; data lines outside ``<pre>`` fit in it.
LINE_WIDTH = 40
#: Monospace lines (``<pre>`` blocks: tables, charts) fit in this many columns.
PRE_WIDTH = 32
#: How many symbols a list names before it says "and N more".
NAMED = 10
_SOURCES = {"simulated": "simulated", "sim": "simulated", "csv": "CSV replay", "alpaca": "Alpaca"}


def escape(value: Any) -> str:
    """``value`` as text safe inside HTML parse mode (``&``, ``<``, ``>`` escaped)."""
    return html.escape(str(value), quote=False)


def bold(value: Any) -> str:
    """Escaped bold text."""
    return f"<b>{escape(value)}</b>"


def code(value: Any) -> str:
    """Escaped inline monospace text."""
    return f"<code>{escape(value)}</code>"


def pre(value: Any) -> str:
    """An escaped monospace block."""
    return f"<pre>{escape(value)}</pre>"


def link(url: str, label: Any) -> str:
    """A link with an escaped label and a quoted, escaped URL."""
    href = escape(url).replace('"', "&quot;")
    return f'<a href="{href}">{escape(label)}</a>'


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA and empty strings."""
    if isinstance(value, str):
        return value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or other non-scalar is a value
        return False


def percent(value: Any, digits: int = 1, signed: bool = True) -> str:
    """``-12.5`` -> ``−12.5%``; a missing value is ``—``."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if round(number, digits) == 0:
        number = 0.0  # no sign on a zero, and no "−0.0%"
        signed = False
    text = f"{number:+.{digits}f}%" if signed else f"{number:.{digits}f}%"
    return text.replace("-", "−")


def number(value: Any, digits: int = 2) -> str:
    """A price or ratio with thousands separators; a missing value is ``—``."""
    if is_missing(value):
        return MISSING
    return f"{float(value):,.{digits}f}".replace("-", "−")


def source_label(source: str | None) -> str:
    """How a market-data source is named to users."""
    text = str(source or "")
    return _SOURCES.get(text.split(":", 1)[0], text or "unknown source")


def stamp(latest: dict[str, Any]) -> str:
    """The freshness, coverage and source stamp every data reply carries, in italics, on as many
    lines of at most ``LINE_WIDTH`` as it needs."""
    covered = int(latest.get("ranked", 0) or 0) + int(latest.get("excluded", 0) or 0)
    parts = [f"as of {latest.get('as_of', '?')} close", f"{covered}/{latest.get('universe', '?')} symbols", source_label(latest.get("source"))]
    return "\n".join(f"<i>{escape(line)}</i>" for line in fit_parts(parts))


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen: wide characters (most emoji, CJK) count twice."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 0 if unicodedata.combining(char) or char == "\ufe0f" else 1 for char in text)


def fit_parts(parts: Sequence[str], width: int = LINE_WIDTH, separator: str = " · ") -> list[str]:
    """Plain-text ``parts`` joined by ``separator`` into as few lines of at most ``width`` as the
    order allows (a part longer than ``width`` gets a line of its own)."""
    lines: list[str] = []
    for part in parts:
        candidate = f"{lines[-1]}{separator}{part}" if lines else part
        if lines and display_width(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(part)
    return lines


def wrap_items(items: Iterable[str], width: int = LINE_WIDTH, lead: str = "") -> list[str]:
    """Plain-text words (symbols, commands) after ``lead``, wrapped into lines of at most ``width``."""
    lines = [lead.rstrip()] if lead else []
    for item in items:
        if lines and display_width(f"{lines[-1]} {item}") <= width:
            lines[-1] = f"{lines[-1]} {item}" if lines[-1] else item
        else:
            lines.append(item)
    return lines


def named(symbols: Sequence[str], limit: int = NAMED) -> list[str]:
    """The first ``limit`` of ``symbols`` and, past them, "+N more"."""
    shown = list(symbols[:limit])
    return shown + ([f"+{len(symbols) - limit} more"] if len(symbols) > limit else [])


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 day``, ``2 days`` (``many`` for an irregular plural)."""
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def stock_command(symbol: str) -> str:
    """The command that opens ``symbol`` in one tap: ``/s_AAPL``, ``/s_BRK_B`` (a tappable bot
    command may hold only letters, digits and underscores)."""
    return "/s_" + "".join(char if char.isalnum() else "_" for char in symbol)


def local_time(stamp_iso: Any, now: datetime) -> str:
    """An ISO timestamp as New York wall time relative to ``now``: ``today 06:00 New York``,
    ``yesterday 18:02 New York``, ``Mon 24 Nov 06:00 New York``."""
    try:
        moment = datetime.fromisoformat(str(stamp_iso))
    except ValueError:
        return "?"
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    local, today = moment.astimezone(NEW_YORK), now.astimezone(NEW_YORK).date()
    days = (today - local.date()).days
    day = "today" if days == 0 else "yesterday" if days == 1 else f"{local:%a %d %b}" if days < 300 else f"{local:%d %b %Y}"
    return f"{day} {local:%H:%M} New York"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (before escaping)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
