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


def _ranks(report: pd.DataFrame) -> pd.Series:
    return report.loc[:, ["symbol", "rank"]].drop_duplicates("symbol").set_index("symbol")["rank"].dropna().astype(int)


def deepenings(current: pd.DataFrame, previous: pd.DataFrame, scope: int = DEEPENING_SCOPE, listed: int = DEEPENINGS_LISTED) -> list[dict[str, Any]]:
    """Ranks 1..``scope`` of ``current`` whose drawdown is deeper than in ``previous``, the
    largest fall first (ties by rank): ``change_pts`` = drawdown now - drawdown before, in
    percentage points, negative. Rows without a drawdown in either report are left out."""
    needed = ["symbol", "rank", "drawdown_pct"]  # not the report's other columns, copied by each step
    now = current.loc[current["rank"].notna() & (current["rank"] <= scope), needed].drop_duplicates("symbol").set_index("symbol")
    before = previous.loc[:, needed].drop_duplicates("symbol").set_index("symbol")
    both = pd.DataFrame(
        {
            "rank": now["rank"].astype(int),
            "previous_rank": before["rank"].reindex(now.index),
            "drawdown_pct": now["drawdown_pct"].astype(float),
            "previous_drawdown_pct": pd.to_numeric(before["drawdown_pct"], errors="coerce").reindex(now.index),
        }
    ).dropna(subset=["drawdown_pct", "previous_drawdown_pct"])
    both = both.assign(change_pts=both["drawdown_pct"] - both["previous_drawdown_pct"])
    deeper = both[both["change_pts"] < 0].rename_axis("symbol").reset_index()
    deeper = deeper.sort_values(["change_pts", "rank", "symbol"], kind="stable").head(listed)
    return [
        {
            "symbol": str(row["symbol"]),
            "rank": int(row["rank"]),
            "previous_rank": None if pd.isna(row["previous_rank"]) else int(row["previous_rank"]),
            "drawdown_pct": round(float(row["drawdown_pct"]), 2),
            "previous_drawdown_pct": round(float(row["previous_drawdown_pct"]), 2),
            "change_pts": round(float(row["change_pts"]), 2),
        }
        for row in deeper.to_dict(orient="records")
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
    now_ranks, then_ranks = _ranks(current), _ranks(previous)
    top_now = now_ranks[now_ranks <= top_n].sort_values(kind="stable")
    top_then = then_ranks[then_ranks <= top_n].sort_values(kind="stable")
    return {
        "version": CHANGES_VERSION,
        "as_of": as_of.isoformat(),
        "previous": previous_day.isoformat(),
        "top_n": int(top_n),
        "deepened_scope": DEEPENING_SCOPE,
        "entered": [str(s) for s in top_now.index if s not in top_then.index],
        "left": [str(s) for s in top_then.index if s not in top_now.index],
        "deepened": deepenings(current, previous),
        "new_flags": new_flags(current, previous),
    }


def legacy_rank_moves(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``rank_moves`` of a document stored before version 2 (empty for newer ones): each with
    ``previous_rank`` and ``rank``, where a smaller rank means a deeper drawdown than the others."""
    if "deepened" in changes:
        return []
    return [move for move in changes.get("rank_moves") or [] if isinstance(move, dict) and move.get("change")]
