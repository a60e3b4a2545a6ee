"""What one run did: the summary the CLI prints, the manifest it stores, and ``latest.json``."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from shared.core.analytics import ranked_rows

#: How many top rows ``latest.json`` carries for fast reads.
LATEST_TOP_ROWS = 20
_TOP_COLUMNS = ["rank", "symbol", "name", "sector", "close", "peak_close", "drawdown_pct", "days_since_peak", "flags"]


@dataclass
class RunSummary:
    """What one collection or backfill did; also the body of its manifest."""

    run_id: str
    as_of: str
    kind: str
    source: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    outcome: str = "failed"  # complete | partial | failed
    universe: int = 0
    ranked: int = 0
    excluded: int = 0
    missing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    days_fetched: list[str] = field(default_factory=list)
    days_written: list[str] = field(default_factory=list)
    report_key: str = ""
    report_written: bool = False
    positions: str = ""  # the snapshot's key, "" when no trading keys, or why it was not stored
    fetch: dict[str, float] = field(default_factory=dict)
    lookback_days: int = 180
    quality: dict[str, int] = field(default_factory=dict)
    changes_key: str = ""
    error: str = ""
    #: Days stored without symbols that kept failing (``omitted/D.json``), and the symbols.
    omitted: dict[str, list[str]] = field(default_factory=dict)
    #: Additions stored for such days, once their symbols came back.
    additions: list[str] = field(default_factory=list)
    #: Corrupt objects this run moved to quarantine (their new keys).
    quarantined: list[str] = field(default_factory=list)
    #: The seal (SHA-256 and rows) of every immutable object this run wrote.
    objects: dict[str, dict[str, object]] = field(default_factory=dict)

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        if self.kind == "backfill":
            text = (
                f"backfill to {self.as_of} [{self.source}]: {self.outcome} · {len(self.days_written)} new day(s)"
                f" of {len(self.days_fetched)} fetched · failed {len(self.failed)} · {self.duration_s:.1f}s"
            )
        else:
            text = (
                f"collect {self.as_of} [{self.source}]: {self.outcome} · ranked {self.ranked}/{self.universe}"
                f" · missing {len(self.missing)} · failed {len(self.failed)}"
                f" · {len(self.days_written)} new day(s) · {self.duration_s:.1f}s"
            )
        return f"{text} · {self.error}" if self.error else text

    def manifest(self) -> dict[str, Any]:
        """The manifest document."""
        return asdict(self)


def latest_document(summary: RunSummary, report: pd.DataFrame, changes: dict[str, Any] | None) -> dict[str, Any]:
    """The ``latest.json`` document of a collection: its summary and the report's top rows."""
    ranked = ranked_rows(report).head(LATEST_TOP_ROWS)
    top = ranked.loc[:, _TOP_COLUMNS]
    top = top.assign(rank=top["rank"].astype(int), drawdown_pct=top["drawdown_pct"].round(2))
    if "score_rank" in ranked:
        top = top.assign(score=ranked["score"].round(2), score_rank=ranked["score_rank"].astype("Int64").astype(object).where(ranked["score_rank"].notna(), None))
    excluded = report[report["rank"].isna()].loc[:, ["symbol", "flags"]]
    return {
        "as_of": summary.as_of,
        "report": summary.report_key,
        "run_id": summary.run_id,
        "source": summary.source,
        "generated_at": summary.finished_at or summary.started_at,
        "universe": summary.universe,
        "ranked": summary.ranked,
        "excluded": summary.excluded,
        "missing": len(summary.missing),
        "failed": len(summary.failed),
        "lookback_days": summary.lookback_days,
        "quality": dict(summary.quality),
        "changes": changes,
        # Left out of the ranking (split-suspect or bad prices), with the flags that say why.
        "excluded_symbols": excluded.to_dict(orient="records"),
        "top": top.to_dict(orient="records"),
    }
