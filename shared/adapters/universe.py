"""The universe: which symbols dipwatch watches, with their names and sectors.

The packaged list is the Russell 1000 (``shared/data/russell1000.csv``; see SOURCES in README).
Share classes are written with a dot everywhere in dipwatch (``BRK.B``), as Alpaca writes them;
``normalise_symbol`` maps the dash and slash spellings (``BRK-B``, ``BRK/B``) to that form.
"""
from __future__ import annotations

import difflib
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from shared.config import ALPACA_US_EQUITY
from shared.errors import ConfigError, UnknownSymbol

UNIVERSE_COLUMNS = ["symbol", "name", "sector"]
#: Exchanges whose listings have consolidated (SIP) daily bars; OTC quotes come from another feed.
LISTING_EXCHANGES = frozenset({"NYSE", "NASDAQ", "ARCA", "AMEX", "BATS", "NYSEARCA"})
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{0,6}(\.[A-Z]{1,2})?$")
# Column spellings accepted on input, lower-cased, mapped to ours.
_ALIASES = {"symbol": "symbol", "ticker": "symbol", "name": "name", "company": "name", "sector": "sector", "gics_sector": "sector"}


def normalise_symbol(raw: str) -> str:
    """Upper-case, trimmed, share class with a dot: ``brk-b`` -> ``BRK.B``."""
    return re.sub(r"[-/]", ".", raw.strip().upper())


def is_valid_symbol(symbol: str) -> bool:
    """Whether ``symbol`` has the shape of a US equity ticker."""
    return bool(_SYMBOL.match(symbol))


def _read_table(path: str | Path | None, what: str, label: str) -> pd.DataFrame:
    """The CSV at ``path`` (None: the packaged Russell 1000 list), every cell a string; a missing
    or unreadable file is a ConfigError that starts with ``what`` and names ``label``."""
    try:
        if path is None:
            with resources.files("shared.data").joinpath("russell1000.csv").open("rb") as file:
                return pd.read_csv(file, dtype=str, keep_default_na=False)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ConfigError(f"{what}: no such file {label}") from None
    except (OSError, ValueError) as error:
        raise ConfigError(f"{what}: cannot read {label}: {error}") from error


def _refuse_invalid(symbols: pd.Series, what: str, label: str) -> None:
    """A ConfigError naming the first five symbols that do not have a ticker's shape, if any."""
    bad = symbols[~symbols.map(is_valid_symbol)].tolist()
    if bad:
        shown = ", ".join(repr(s) for s in bad[:5])
        raise ConfigError(f"{what}: {label} has invalid symbols: {shown}")


def load_universe(path: str | Path | None = None) -> pd.DataFrame:
    """The universe as a frame with ``symbol, name, sector``, one row per symbol, sorted.

    ``path`` None loads the packaged Russell 1000 list. A user file needs a ``symbol`` column;
    ``name`` and ``sector`` are optional.
    """
    label = str(path) if path else "the packaged Russell 1000 list"
    raw = _read_table(path, "DIPWATCH_UNIVERSE", label)
    if raw.empty:
        raise ConfigError(f"DIPWATCH_UNIVERSE: {label} lists no symbols")
    renamed = raw.rename(columns={c: _ALIASES[c.strip().lower()] for c in raw.columns if c.strip().lower() in _ALIASES})
    if "symbol" not in renamed.columns:
        raise ConfigError(f"DIPWATCH_UNIVERSE: {label} has no 'symbol' column")
    frame = renamed.reindex(columns=UNIVERSE_COLUMNS, fill_value="").fillna("")
    frame = frame.assign(
        symbol=frame["symbol"].map(normalise_symbol),
        name=frame["name"].str.strip(),
        sector=frame["sector"].str.strip().replace("", "Unknown"),
    )
    _refuse_invalid(frame["symbol"], "DIPWATCH_UNIVERSE", label)
    frame = frame.drop_duplicates("symbol", keep="first").sort_values("symbol", kind="stable")
    return frame.reset_index(drop=True)


def universe_from_assets(assets: list[dict[str, Any]], known: pd.DataFrame | None = None) -> pd.DataFrame:
    """The universe of Alpaca asset objects: every active, tradable US equity on a listing exchange
    whose symbol dipwatch can read, sorted, one row per symbol.

    Names are Alpaca's. Alpaca has no sectors: a symbol in ``known`` (the packaged Russell 1000
    by default) takes its sector from there, any other is ``Unknown``.
    """
    if not assets:
        raise ConfigError(f"DIPWATCH_UNIVERSE={ALPACA_US_EQUITY}: Alpaca's asset list is empty")
    frame = pd.DataFrame.from_records(assets).reindex(columns=["class", "exchange", "symbol", "name", "status", "tradable"])
    eligible = (
        (frame["class"] == "us_equity")
        & (frame["status"] == "active")
        & (frame["tradable"] == True)  # noqa: E712 - a missing field is not True either
        & frame["exchange"].isin(LISTING_EXCHANGES)
    )
    chosen = frame[eligible]
    symbols = chosen["symbol"].fillna("").astype(str).map(normalise_symbol)
    readable = symbols.map(is_valid_symbol)
    known = load_universe() if known is None else known
    sectors = dict(zip(known["symbol"], known["sector"]))
    universe = pd.DataFrame(
        {
            "symbol": symbols[readable],
            "name": chosen.loc[readable, "name"].fillna("").astype(str).str.strip(),
            "sector": symbols[readable].map(sectors).fillna("Unknown"),
        }
    )
    if universe.empty:
        raise ConfigError(f"DIPWATCH_UNIVERSE={ALPACA_US_EQUITY}: no active, tradable US equity in Alpaca's asset list")
    return universe.drop_duplicates("symbol", keep="first").sort_values("symbol", kind="stable").reset_index(drop=True)


def _closeness(wanted: str, symbol: str) -> float:
    """Similarity of two tickers; swapped letters (APPL for AAPL) count as very close."""
    if wanted.replace(".", "") == symbol.replace(".", ""):
        return 2.0  # BRKB for BRK.B
    score = difflib.SequenceMatcher(None, wanted, symbol).ratio()
    if sorted(wanted) == sorted(symbol):
        score += 0.3
    if len(wanted) == len(symbol):
        score += 0.15
    if symbol.startswith(wanted):
        score += 0.1
    return score


def suggest_symbols(query: str, symbols: list[str], limit: int = 3) -> list[str]:
    """The universe symbols closest to ``query``, for "did you mean" replies."""
    wanted = normalise_symbol(query)
    if not wanted:
        return []
    scored = sorted(((_closeness(wanted, s), s) for s in symbols), key=lambda pair: (-pair[0], pair[1]))
    return [symbol for score, symbol in scored[:limit] if score >= 0.5]


def find_symbol(query: str, universe: pd.DataFrame) -> str:
    """The universe symbol for ``query``, or UnknownSymbol with suggestions."""
    symbol = normalise_symbol(query)
    symbols = universe["symbol"].tolist()
    if symbol in set(symbols):
        return symbol
    raise UnknownSymbol(symbol, suggest_symbols(symbol, symbols))


#: Columns of a dated universe: a member from ``start`` to ``end`` (both inclusive; NaT = open).
DATED_COLUMNS = ["symbol", "start", "end"]


def load_dated_universe(path: str | Path) -> pd.DataFrame:
    """Point-in-time members from a CSV, as ``symbol, start, end`` (one row per membership spell).

    Two layouts are read: spells (``symbol,start,end``; an empty ``end`` means still a member)
    and snapshots (``date,symbol``: the members as of each date, each list valid until the next
    date's). Symbols are normalised like ``load_universe``'s; bad dates or symbols are a
    ConfigError naming the file.
    """
    label = str(path)
    raw = _read_table(path, "dated universe", label)
    columns = {c.strip().lower(): c for c in raw.columns}
    symbol_column = columns.get("symbol") or columns.get("ticker")
    if symbol_column is None or raw.empty:
        raise ConfigError(f"dated universe: {label} needs a 'symbol' column and at least one row")
    symbols = raw[symbol_column].map(normalise_symbol)
    _refuse_invalid(symbols, "dated universe", label)
    try:
        if "start" in columns:
            end = raw[columns["end"]] if "end" in columns else pd.Series("", index=raw.index)
            spells = pd.DataFrame(
                {"symbol": symbols, "start": pd.to_datetime(raw[columns["start"]], format="%Y-%m-%d"), "end": pd.to_datetime(end.replace("", None), format="%Y-%m-%d")}
            )
        elif "date" in columns:
            spells = _spells_of_snapshots(symbols, pd.to_datetime(raw[columns["date"]], format="%Y-%m-%d"))
        else:
            raise ConfigError(f"dated universe: {label} needs 'start' (and 'end') or 'date' columns")
    except ValueError as error:
        raise ConfigError(f"dated universe: {label} has a bad date: {error}") from error
    if (spells["end"].notna() & (spells["end"] < spells["start"])).any():
        raise ConfigError(f"dated universe: {label} has a spell that ends before it starts")
    return spells.sort_values(["symbol", "start"], kind="stable").reset_index(drop=True)


def _spells_of_snapshots(symbols: pd.Series, dates: pd.Series) -> pd.DataFrame:
    """Snapshot rows (``date, symbol``) as membership spells: a symbol listed on a snapshot is a
    member until the day before the next snapshot that leaves it out (open on the last one)."""
    snapshots = pd.DataFrame({"symbol": symbols, "date": dates}).drop_duplicates()
    days = pd.Index(sorted(snapshots["date"].unique()))
    position = days.get_indexer(snapshots["date"])
    snapshots = snapshots.assign(position=position).sort_values(["symbol", "position"])
    gap = snapshots["position"].diff().ne(1) | snapshots["symbol"].ne(snapshots["symbol"].shift())
    snapshots = snapshots.assign(spell=gap.cumsum())
    spells = snapshots.groupby("spell").agg(symbol=("symbol", "first"), first=("position", "min"), last=("position", "max"))
    following = spells["last"] + 1
    ends = pd.Series(pd.NaT, index=spells.index, dtype="datetime64[ns]")
    closed = following < len(days)
    ends[closed] = days[following[closed].to_numpy()] - pd.Timedelta(days=1)
    return pd.DataFrame({"symbol": spells["symbol"].to_numpy(), "start": days[spells["first"].to_numpy()], "end": ends.to_numpy()})


def members_on(spells: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """``as_of, symbol`` for every day of ``days`` and every member of ``spells`` on it."""
    pairs = pd.DataFrame({"as_of": days}).merge(spells, how="cross")
    inside = (pairs["start"] <= pairs["as_of"]) & (pairs["end"].isna() | (pairs["as_of"] <= pairs["end"]))
    return pairs.loc[inside, ["as_of", "symbol"]].reset_index(drop=True)
