"""Parsing what a request asks for: days, symbols, page and filter parameters.

Every malformed value is a ``BadInput`` whose message starts with the parameter's name, so the
400 reply says which one to fix. Light on purpose: no pandas at import time.
"""
from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Mapping

from shared.errors import BadInput

if TYPE_CHECKING:
    from shared.core.report_view import ReportQuery

#: A day in a path or query: YYYY-MM-DD, or ``latest``.
DAY_PATTERN = r"^(latest|\d{4}-\d{2}-\d{2})$"
#: The most rows one JSON page carries (a whole Russell 1000 report fits in one).
MAX_PAGE_ROWS = 2000
#: The most runs ``/api/runs`` lists.
MAX_RUNS = 200
#: Rows per page on the dashboard.
PAGE_SIZES = (25, 50, 100, 250)
DEFAULT_PAGE_ROWS = 50
_DAY = re.compile(DAY_PATTERN)
_MAX_TEXT = 100


def parse_day(text: str | None, name: str = "day") -> date | None:
    """A YYYY-MM-DD value, or None for ``latest`` or no value."""
    if text is None or text == "" or text == "latest":
        return None
    if not _DAY.match(text):
        raise BadInput(f"{name}: {text[:40]!r} is not a date; use YYYY-MM-DD or latest")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{name}: {text!r} is not a date of the calendar; use YYYY-MM-DD or latest") from None


def parse_int(args: Mapping[str, str], name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole number between ``low`` and ``high``, or ``default`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"{name}: {raw[:40]!r} is not a whole number") from None
    if not low <= value <= high:
        raise BadInput(f"{name}: must be between {low} and {high}, got {value}")
    return value


def parse_text(args: Mapping[str, str], name: str) -> str | None:
    """A short free-text value (trimmed), or None when absent or empty."""
    raw = (args.get(name) or "").strip()
    if len(raw) > _MAX_TEXT:
        raise BadInput(f"{name}: at most {_MAX_TEXT} characters")
    return raw or None


def parse_choice(args: Mapping[str, str], name: str, choices: tuple[str, ...] | list[str], default: str | None = None) -> str | None:
    """One of ``choices``, or ``default`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadInput(f"{name}: {raw[:40]!r} is not one of {', '.join(choices)}")
    return raw


#: ``classes=``: one row per company (the default of pages and JSON), or every symbol (of a CSV).
CLASS_CHOICES = ("grouped", "all")


def parse_report_query(args: Mapping[str, str], default_limit: int | None, max_limit: int = MAX_PAGE_ROWS, grouped: bool = True) -> "ReportQuery":
    """``sort, order, sector, flag, offset, limit, classes`` of a report request; ``grouped`` is
    the default of ``classes``."""
    from shared.core.report_view import SORT_KEYS, ReportQuery

    order = parse_choice(args, "order", ("asc", "desc"))
    return ReportQuery(
        sort=parse_choice(args, "sort", list(SORT_KEYS), "rank") or "rank",
        descending=None if order is None else order == "desc",
        sector=parse_text(args, "sector"),
        flag=parse_text(args, "flag"),
        offset=parse_int(args, "offset", 0, 0, 10_000_000) or 0,
        limit=parse_int(args, "limit", default_limit, 1, max_limit),
        grouped=parse_choice(args, "classes", CLASS_CHOICES, "grouped" if grouped else "all") == "grouped",
    )
