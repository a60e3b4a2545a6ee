"""The bot's ``/changes`` reply and the digest's "what changed" lines: pure functions from a
stored changes document (``shared.core.changes``) to HTML lines."""
from __future__ import annotations

from typing import Any

from shared.bot.formatting import bold, escape, fit_parts, number, percent, stamp, stock_command, wrap_items
from shared.bot.views import Reply
from shared.core.changes import DEEPENING_SCOPE, legacy_rank_moves


#: The /changes arrow, said under the list it marks.
DEEPER = "↓"


def changes_lines(changes: dict[str, Any], limit: int = 10) -> list[str]:
    """What changed since the previous report, as reply lines (shared with the digest): entries to
    and exits from the top N, the largest deepenings among the top 100 (``DEEPER``, explained
    under them), new flags. A document stored before deepenings shows its rank moves in words."""
    if not changes.get("previous"):
        return ["No earlier report to compare with yet."]
    lines = [escape(f"since {changes['previous']}, top {changes.get('top_n', '?')}:")]
    for label, key in (("entered:", "entered"), ("left:", "left")):
        symbols = [stock_command(s) for s in (changes.get(key) or [])[:limit]]
        lines += [escape(line) for line in wrap_items(symbols or ["none"], lead=label)]
    if "deepened" in changes:
        scope = changes.get("deepened_scope", DEEPENING_SCOPE)
        deeper = [item for item in changes.get("deepened") or [] if isinstance(item, dict)][:limit]
        if deeper:
            lines.append(escape(f"fell further, of the top {scope}:"))
            for item in deeper:
                move = f"{percent(item.get('previous_drawdown_pct'))} → {percent(item.get('drawdown_pct'))}"
                lines += [escape(line) for line in fit_parts([f"{DEEPER} {stock_command(item['symbol'])} {move}", f"{number(abs(float(item.get('change_pts') or 0)), 1)} pts"], separator=", ")]
            lines.append(escape(f"{DEEPER} = fell further below its peak"))
        else:
            lines.append(escape(f"none of the top {scope} fell further"))
    moves = legacy_rank_moves(changes)
    if moves:
        lines.append(escape("rank moves (#1 = the deepest):"))
        lines += [escape(f"{stock_command(move['symbol'])} #{move.get('previous_rank')} → #{move.get('rank')}") for move in moves[:limit]]
    flagged = (changes.get("new_flags") or [])[:limit]
    if flagged:
        lines.append(escape("new flags:"))
    for item in flagged:
        lines += [escape(line) for line in fit_parts([f"⚠ {stock_command(item['symbol'])}", *(item.get("flags") or [])], separator=" ")]
    return lines


def changes(found: dict[str, Any], latest: dict[str, Any]) -> Reply:
    """Entries to and exits from the top list, the largest deepenings and new data flags."""
    return Reply("\n".join([bold(f"What changed · {found.get('as_of')}"), *changes_lines(found), stamp(latest)]))
