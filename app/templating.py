"""Jinja filters and globals for the pages: numbers as people read them, links that keep the
page's filters. Registered by ``create_app``."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import Flask, current_app, request, url_for

from shared.core.glossary import flag_meaning

_MINUS = "\u2212"
#: The dashboard's "Sort by" choices, in the words of the page (keys of ``shared.core.report_view.SORT_KEYS``).
SORT_LABELS = {
    "rank": "Rank (deepest first)",
    "score": "Score (best first)",
    "days_since_peak": "Days since peak (longest first)",
    "ret_1d": "1-day return (worst first)",
    "ret_5d": "5-day return (worst first)",
    "ret_20d": "20-day return (worst first)",
    "drawdown": "Drawdown (deepest first)",
    "symbol": "Symbol (A to Z)",
}
_EMPTY = "\u2014"


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def pct(value: Any, digits: int = 1) -> str:
    """``-12.345`` -> ``−12.3%``; an empty value -> an em dash."""
    number = _finite(value)
    if number is None:
        return _EMPTY
    if round(number, digits) == 0:
        return f"{0:.{digits}f}%"  # no sign on a value that rounds to zero
    return f"{number:+.{digits}f}%".replace("-", _MINUS)


def price(value: Any) -> str:
    """Cents, with thousands separators; four decimals below a dollar."""
    number = _finite(value)
    if number is None:
        return _EMPTY
    return f"{number:,.2f}" if abs(number) >= 1 else f"{number:.4f}"


def number(value: Any, digits: int = 2) -> str:
    """A plain number to ``digits`` decimals, minus sign typeset."""
    figure = _finite(value)
    if figure is None:
        return _EMPTY
    return f"{figure:,.{digits}f}".replace("-", _MINUS)


def money(value: Any) -> str:
    """Dollars in a compact form: ``$1.2B``, ``$34.5M``, ``$980K``, ``$512``."""
    from shared.core.report_view import compact_dollars  # pandas: only once a page renders

    figure = _finite(value)
    return _EMPTY if figure is None else compact_dollars(figure)


def count(value: Any) -> str:
    """A whole number with thousands separators."""
    figure = _finite(value)
    return _EMPTY if figure is None else f"{int(figure):,}"


def sign_class(value: Any) -> str:
    """``neg`` or ``pos`` for colouring a signed value."""
    figure = _finite(value)
    if figure is None or round(figure, 1) == 0:
        return ""
    return "neg" if figure < 0 else "pos"


def when(value: Any) -> str:
    """An ISO timestamp as ``2026-11-28 12:00 UTC``."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or _EMPTY)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def duration(value: Any) -> str:
    """Seconds as ``0.4 s`` or ``2 min 5 s``."""
    seconds = _finite(value)
    if seconds is None:
        return _EMPTY
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest} s"


def long_day(value: Any) -> str:
    """A day as ``Fri 27 Nov 2026``."""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return day.strftime("%a %d %b %Y")


def query_url(**changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    for key, value in changes.items():
        if value is None or value == "":
            values.pop(key, None)
        else:
            values[key] = str(value)
    return url_for(str(request.endpoint), **values)


def is_excluding(flag: str) -> bool:
    """Whether ``flag`` keeps a stock out of the ranking."""
    from shared.core.analytics import EXCLUDING_FLAGS  # pandas: only once a page renders

    return flag in EXCLUDING_FLAGS


def _per_request() -> dict[str, Any]:
    from app.access import is_signed_in

    from app import container_of

    from shared.core.context import EDGE_SESSIONS

    return {"lookback_days": container_of(current_app).settings.lookback_days, "edge_sessions": EDGE_SESSIONS, "signed_in": is_signed_in()}


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    filters = {
        "pct": pct,
        "price": price,
        "number": number,
        "count": count,
        "money": money,
        "sign_class": sign_class,
        "when": when,
        "duration": duration,
        "long_day": long_day,
        "flag_meaning": flag_meaning,
    }
    from app.params import PAGE_SIZES

    app.jinja_env.filters.update(filters)
    # Globals reach imported macros too (a context processor's values do not).
    app.jinja_env.globals.update(query_url=query_url, is_excluding=is_excluding, page_sizes=PAGE_SIZES, sort_labels=SORT_LABELS)
    app.context_processor(_per_request)
