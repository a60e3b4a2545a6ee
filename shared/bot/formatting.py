"""HTML for Telegram: escaping, number formats, the freshness stamp and length limits.

Every dynamic string goes through ``escape`` (or ``link`` for URLs) before it is placed in a
reply; the tags used are the ones Telegram's HTML parse mode allows.
"""
from __future__ import annotations

import html
from typing import Any

import pandas as pd

#: Telegram's limit on a message's text, in characters.
MAX_MESSAGE = 4096
#: Telegram's limit on ``callback_data``, in UTF-8 bytes.
MAX_CALLBACK_DATA = 64
MISSING = "—"
_SOURCES = {"simulated": "simulated", "sim": "simulated", "csv": "replayed CSV", "alpaca": "Alpaca"}


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
    text = f"{number:+.{digits}f}%" if signed else f"{number:.{digits}f}%"
    return text.replace("-", "−")


def number(value: Any, digits: int = 2) -> str:
    """A price or ratio with thousands separators; a missing value is ``—``."""
    if is_missing(value):
        return MISSING
    return f"{float(value):,.{digits}f}".replace("-", "−")


def source_label(source: str | None) -> str:
    """How a market-data source is named to users."""
    return _SOURCES.get(str(source or ""), str(source or "unknown source"))


def stamp(latest: dict[str, Any]) -> str:
    """The freshness and coverage line every data reply carries, in italics."""
    covered = int(latest.get("ranked", 0) or 0) + int(latest.get("excluded", 0) or 0)
    text = f"as of {latest.get('as_of', '?')} close · {covered}/{latest.get('universe', '?')} symbols · {source_label(latest.get('source'))}"
    return f"<i>{escape(text)}</i>"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (before escaping)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends.

    Replies are built line by line with every tag closed on its line (or inside one ``<pre>``
    block that is far shorter than the limit), so cutting between lines keeps the markup valid.
    """
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single overlong line (never produced by our replies)
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces
