"""Alpaca's asset list (``GET /v2/assets``) for the emulator: about the size of the real one.

Each asset has the fields of Alpaca's Asset object (``id, class, exchange, symbol, name, status,
tradable, marginable, maintenance_margin_requirement, margin_requirement_long/short, shortable,
easy_to_borrow, fractionable, attributes``). ``generate_assets`` builds a deterministic list:
the packaged Russell 1000 with their names, then made-up tickers up to ``tradable`` active,
tradable US equities on the listing exchanges, plus what a real list also holds and a client must
leave out: inactive (delisted) assets, active ones that are not tradable, and OTC listings.
"""
from __future__ import annotations

import random
import string
import uuid
from typing import Any

from shared.adapters.universe import load_universe

#: Exchanges of the listed assets, with their rough share of the real list.
_EXCHANGES = (("NASDAQ", 0.55), ("NYSE", 0.25), ("ARCA", 0.12), ("AMEX", 0.05), ("BATS", 0.03))
_LENGTHS = ((1, 0.01), (2, 0.06), (3, 0.33), (4, 0.48), (5, 0.12))
_WORDS = ("Apex", "Harbor", "Summit", "Blue", "Granite", "Pioneer", "Atlas", "Cedar", "Nova", "Vertex", "Meridian", "Beacon")
_KINDS = ("Holdings Inc. Common Stock", "Corp. Class A Common Stock", "Inc. Common Stock", "Bancorp Common Stock", "Therapeutics Inc. Common Stock", "ETF")


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _asset(rng: random.Random, symbol: str, name: str, *, exchange: str, status: str = "active", tradable: bool = True) -> dict[str, Any]:
    marginable = tradable and exchange != "OTC" and rng.random() < 0.85
    shortable = marginable and rng.random() < 0.9
    margin = 30 if marginable else 100
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "class": "us_equity",
        "exchange": exchange,
        "symbol": symbol,
        "name": name,
        "status": status,
        "tradable": tradable,
        "marginable": marginable,
        "maintenance_margin_requirement": margin,
        "margin_requirement_long": str(margin),
        "margin_requirement_short": str(margin),
        "shortable": shortable,
        "easy_to_borrow": shortable and rng.random() < 0.8,
        "fractionable": tradable and rng.random() < 0.6,
        "attributes": ["has_options"] if rng.random() < 0.4 else [],
    }


def generate_assets(tradable: int = 10_000, *, inactive: int = 400, untradable: int = 300, otc: int = 300, seed: int = 15) -> list[dict[str, Any]]:
    """A deterministic asset list with ``tradable`` active, tradable, listed US equities."""
    rng = random.Random(seed)
    packaged = load_universe()
    taken = set(packaged["symbol"])
    assets = [
        _asset(rng, symbol, f"{name} Common Stock", exchange=_pick(rng, _EXCHANGES[:2]))
        for symbol, name in zip(packaged["symbol"], packaged["name"])
    ][:tradable]

    def new_symbol() -> str:
        while True:
            symbol = "".join(rng.choices(string.ascii_uppercase, k=_pick(rng, _LENGTHS)))
            if rng.random() < 0.01:
                symbol = f"{symbol[:3]}.{rng.choice('ABU')}"  # share classes and units (BRK.B, IPOD.U)
            if symbol not in taken:
                taken.add(symbol)
                return symbol

    def new_name() -> str:
        return f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_KINDS)}"

    while len(assets) < tradable:
        assets.append(_asset(rng, new_symbol(), new_name(), exchange=_pick(rng, _EXCHANGES)))
    assets += [_asset(rng, new_symbol(), new_name(), exchange=_pick(rng, _EXCHANGES), status="inactive", tradable=False) for _ in range(inactive)]
    assets += [_asset(rng, new_symbol(), new_name(), exchange=_pick(rng, _EXCHANGES), tradable=False) for _ in range(untradable)]
    assets += [_asset(rng, new_symbol(), new_name(), exchange="OTC", tradable=rng.random() < 0.3) for _ in range(otc)]
    rng.shuffle(assets)
    # Alpaca sorts by asset class, exchange and symbol.
    return sorted(assets, key=lambda asset: (asset["class"], asset["exchange"], asset["symbol"]))


def filter_assets(assets: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
    """``GET /v2/assets`` with its filters: ``status``, ``asset_class`` (default us_equity),
    ``exchange`` and ``attributes`` (a comma list; an asset matches if it has any)."""
    status = params.get("status")
    asset_class = params.get("asset_class") or "us_equity"
    exchange = params.get("exchange")
    attributes = {name for name in (params.get("attributes") or "").split(",") if name}
    return [
        asset
        for asset in assets
        if asset["class"] == asset_class
        and (not status or asset["status"] == status)
        and (not exchange or asset["exchange"] == exchange)
        and (not attributes or attributes.intersection(asset["attributes"]))
    ]
