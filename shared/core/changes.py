"""What changed since the previous report, for a dip-buyer: names entering and leaving the top
``top_n``, the largest deepenings of drawdown among the top ``DEEPENING_SCOPE``, and new flags.

Pure, no I/O. The result is plain JSON-ready data, stored as ``reports/D.changes.json``.
Documents stored before ``CHANGES_VERSION`` 2 carry ``rank_moves`` instead of ``deepened``;
readers show whichever a document has (``legacy_rank_moves``).
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from shared.core.quality import FLAG_SEPARATOR

#: The layout of a changes document: 2 has ``deepened``; 1 (no ``version``) had ``rank_moves``.
CHANGES_VERSION = 2
#: Deepenings are looked for among the report's best ranks 1..DEEPENING_SCOPE.
DEEPENING_SCOPE = 100
#: How many deepenings a document lists.
DEEPENINGS_LISTED = 10


def _first_rows(report: pd.DataFrame, columns: list[str]) -> dict[Any, tuple[Any, ...]]:
    """Each symbol's first row of ``report`` as a tuple of ``columns`` (as ``drop_duplicates``
    keeps it), in row order. Plain Python: the changes read a few hundred rows, and each frame
    operation would cost more than the arithmetic."""
    values = [report[column].tolist() for column in columns]
    first: dict[Any, tuple[Any, ...]] = {}
    for symbol, *row in zip(report["symbol"].tolist(), *values):
        first.setdefault(symbol, tuple(row))
    return first


def _top(report: pd.DataFrame, top_n: int) -> list[Any]:
    """The symbols ranked 1..``top_n`` (by each symbol's first row), in rank order."""
    ranked = [(int(rank), symbol) for symbol, (rank,) in _first_rows(report, ["rank"]).items() if not pd.isna(rank) and int(rank) <= top_n]
    return [symbol for _rank, symbol in sorted(ranked, key=lambda pair: pair[0])]  # stable: ties keep row order


def deepenings(current: pd.DataFrame, previous: pd.DataFrame, scope: int = DEEPENING_SCOPE, listed: int = DEEPENINGS_LISTED) -> list[dict[str, Any]]:
    """Ranks 1..``scope`` of ``current`` whose drawdown is deeper than in ``previous``, the
    largest fall first (ties by rank): ``change_pts`` = drawdown now - drawdown before, in
    percentage points, negative. Rows without a drawdown in either report are left out."""
    in_scope = current[current["rank"].notna() & (current["rank"] <= scope)]
    now = _first_rows(in_scope, ["rank", "drawdown_pct"])
    before = _first_rows(previous.assign(drawdown_pct=pd.to_numeric(previous["drawdown_pct"], errors="coerce")), ["rank", "drawdown_pct"])
    deeper = []
    for symbol, (rank, drawdown) in now.items():
        previous_rank, previous_drawdown = before.get(symbol, (None, float("nan")))
        drawdown, previous_drawdown = float(drawdown), float(previous_drawdown)
        change = drawdown - previous_drawdown  # NaN when either is missing: not "< 0"
        if change < 0:
            deeper.append((change, int(rank), str(symbol), None if pd.isna(previous_rank) else int(previous_rank), drawdown, previous_drawdown))
    deeper.sort(key=lambda row: row[:3])
    return [
        {
            "symbol": symbol,
            "rank": rank,
            "previous_rank": previous_rank,
            "drawdown_pct": round(drawdown, 2),
            "previous_drawdown_pct": round(previous_drawdown, 2),
            "change_pts": round(change, 2),
        }
        for change, rank, symbol, previous_rank, drawdown, previous_drawdown in deeper[:listed]
    ]


def _flag_pairs(report: pd.DataFrame) -> list[tuple[Any, str]]:
    """(symbol, flag name) for every flag of every row, in row order (``explode_flags``'s rows)."""
    flags = report["flags"].fillna("").astype(str).tolist()
    return [(symbol, name) for symbol, text in zip(report["symbol"].tolist(), flags) if text for name in text.split(FLAG_SEPARATOR) if name]


def new_flags(current: pd.DataFrame, previous: pd.DataFrame) -> list[dict[str, Any]]:
    """Per symbol (sorted), the flags ``current`` has that ``previous`` did not. In plain
    Python: a report's few thousand flags do not pay for frames, a merge and a groupby."""
    before = set(_flag_pairs(previous))
    fresh: dict[Any, list[str]] = {}
    for symbol, name in _flag_pairs(current):
        if (symbol, name) not in before and not pd.isna(symbol):
            fresh.setdefault(symbol, []).append(name)
    return [{"symbol": str(symbol), "flags": fresh[symbol]} for symbol in sorted(fresh)]


def compare_reports(current: pd.DataFrame, previous: pd.DataFrame | None, as_of: date, previous_day: date | None, top_n: int = 10) -> dict[str, Any]:
    """What changed since ``previous`` (the report of ``previous_day``; None for the first report):

    - ``entered``/``left``: symbols that came into or dropped out of ranks 1..``top_n``, in rank
      order (``left`` in their previous order);
    - ``deepened``: the largest deepenings of drawdown among ranks 1..``DEEPENING_SCOPE``
      (see ``deepenings``);
    - ``new_flags``: flags a symbol did not have before.
    """
    if previous is None or previous_day is None:
        return {
            "version": CHANGES_VERSION,
            "as_of": as_of.isoformat(),
            "previous": None,
            "top_n": int(top_n),
            "deepened_scope": DEEPENING_SCOPE,
            "entered": [],
            "left": [],
            "deepened": [],
            "new_flags": [],
        }
    top_now, top_then = _top(current, top_n), _top(previous, top_n)
    return {
        "version": CHANGES_VERSION,
        "as_of": as_of.isoformat(),
        "previous": previous_day.isoformat(),
        "top_n": int(top_n),
        "deepened_scope": DEEPENING_SCOPE,
        "entered": [str(s) for s in top_now if s not in top_then],
        "left": [str(s) for s in top_then if s not in top_now],
        "deepened": deepenings(current, previous),
        "new_flags": new_flags(current, previous),
    }


def legacy_rank_moves(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``rank_moves`` of a document stored before version 2 (empty for newer ones): each with
    ``previous_rank`` and ``rank``, where a smaller rank means a deeper drawdown than the others."""
    if "deepened" in changes:
        return []
    return [move for move in changes.get("rank_moves") or [] if isinstance(move, dict) and move.get("change")]
