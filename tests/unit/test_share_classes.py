"""Share classes grouped by company, on hand-made frames and the packaged universe."""
from __future__ import annotations

import numpy as np
import pandas as pd

from shared.adapters.universe import load_universe
from shared.core.share_classes import OTHER_CLASSES, classes_in_group, company_groups, group_share_classes, other_classes_of, share_class_keys
from tests.emulators.alpaca_assets import generate_assets


def frame(rows: list[tuple[str, str, object, float]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["symbol", "name", "rank", "dollar_volume_20d"])
    return table.assign(rank=table["rank"].astype("Int64"))


def sibling_classes(frame: pd.DataFrame, symbol: str) -> list[str]:
    """The reference: ``symbol``'s other classes grouped among only the rows whose name shares
    its company's first word (what /stock read before the whole report's groups were kept)."""
    own = frame[frame["symbol"] == symbol]
    if own.empty:
        return []
    company = share_class_keys(own["name"].head(1)).iloc[0]["company"]
    if pd.isna(company):
        return []
    candidates = frame[frame["name"].fillna("").astype(str).str.casefold().str.contains(str(company).split()[0], regex=False)]
    return classes_in_group(candidates, company_groups(candidates), int(np.flatnonzero((candidates["symbol"] == symbol).to_numpy())[0]))


def other_classes(frame: pd.DataFrame, symbol: str) -> list[str]:
    """What /stock answers: ``classes_in_group`` over the whole frame's groups (none for a symbol not in it)."""
    found = np.flatnonzero((frame["symbol"] == symbol).to_numpy())
    return classes_in_group(frame, company_groups(frame), int(found[0])) if len(found) else []


def test_class_words_of_the_packaged_list_and_of_alpaca_names() -> None:
    names = pd.Series(
        [
            "Under Armour (Class A)",
            "Under Armour (Class C)",
            "Liberty Broadband (Series C)",
            "HEICO (Common)",
            "Alphabet Inc. Class C Capital Stock",
            "Apple Inc. Common Stock",
        ]
    )
    keys = share_class_keys(names)
    assert keys["company"].tolist()[:5] == ["under armour", "under armour", "liberty broadband", "heico", "alphabet inc"]
    assert keys["share_class"].tolist()[:5] == ["A", "C", "C", "COMMON", "C"]
    assert pd.isna(keys["company"].iloc[5]) and pd.isna(keys["share_class"].iloc[5])  # no class word: never grouped


def test_the_packaged_universe_has_14_two_class_companies() -> None:
    universe = load_universe()
    groups = company_groups(universe)
    pairs = universe.assign(group=groups)[groups.duplicated(keep=False)].groupby("group")["symbol"].agg(lambda s: tuple(sorted(s)))
    assert len(pairs) == 14 and all(len(pair) == 2 for pair in pairs)
    assert {("UA", "UAA"), ("PARA", "PARAA"), ("LBRDA", "LBRDK"), ("GOOG", "GOOGL"), ("BF.A", "BF.B"), ("HEI", "HEI.A")} <= set(pairs)
    assert "BRK.B" not in set(universe.loc[groups.duplicated(keep=False), "symbol"])  # one class listed


def test_one_row_per_company_the_most_traded_class_leads_in_place() -> None:
    report = frame(
        [
            ("UA", "Under Armour (Class C)", 1, 5e6),  # deepest, less traded
            ("AAA", "Alpha Corp", 2, 1e9),
            ("UAA", "Under Armour (Class A)", 3, 9e6),  # the most traded class: leads, at its place
            ("BBB", "Beta (Class A)", 4, 1e6),  # one class only: alone
            ("XA", "Twin Co. Class A Common Stock", 5, 1e6),  # two names with the same class: not grouped
            ("XB", "Twin Co. Class A Common Stock", 6, 2e6),
        ]
    )
    grouped = group_share_classes(report)
    assert grouped["symbol"].tolist() == ["AAA", "UAA", "BBB", "XA", "XB"]
    assert grouped[OTHER_CLASSES].tolist() == ["", "UA", "", "", ""]
    assert list(report.columns) == ["symbol", "name", "rank", "dollar_volume_20d"]  # input unchanged


def test_a_ranked_class_leads_an_excluded_one_and_old_reports_lead_by_rank() -> None:
    report = frame([("FOXA", "Fox Corporation (Class A)", None, 9e9), ("FOX", "Fox Corporation (Class B)", 7, 1e6)])
    grouped = group_share_classes(report)
    assert grouped["symbol"].tolist() == ["FOX"] and other_classes_of(grouped[OTHER_CLASSES].iloc[0]) == ["FOXA"]
    old = frame([("NWSA", "News Corp (Class A)", 9, 0.0), ("NWS", "News Corp (Class B)", 4, 0.0)]).drop(columns="dollar_volume_20d")
    assert group_share_classes(old)["symbol"].tolist() == ["NWS"]  # before dollar volume: the deeper rank
    assert group_share_classes(old.iloc[0:0]).empty and OTHER_CLASSES in group_share_classes(old.iloc[0:0])


def test_a_symbols_other_classes_most_traded_first() -> None:
    report = frame(
        [
            ("LBTYA", "Liberty Global (Series A)", 1, 5e6),
            ("LBTYK", "Liberty Global (Series C)", 2, 9e6),
            ("LBRDA", "Liberty Broadband (Series A)", 3, 1e6),  # another Liberty company
            ("KO", "Coca-Cola", 4, 1e9),
        ]
    )
    for answer in (sibling_classes, other_classes):
        assert answer(report, "LBTYA") == ["LBTYK"] and answer(report, "LBTYK") == ["LBTYA"]
        assert answer(report, "LBRDA") == [] and answer(report, "KO") == [] and answer(report, "NONE") == []
        universe = load_universe()
        assert answer(universe, "UA") == ["UAA"] and answer(universe, "HEI.A") == ["HEI"]


def test_the_whole_reports_groups_name_the_same_classes_as_sibling_classes() -> None:
    """``classes_in_group`` over ``company_groups`` of a whole list (what a warm /stock reads)
    answers as ``sibling_classes``, on the packaged list and on 10,000 Alpaca asset names: every
    grouped class, about 60 other class-named symbols and 30 others of each."""
    for names in (load_universe(), pd.DataFrame(generate_assets())):
        listing = names.loc[:, ["symbol", "name"]].reset_index(drop=True).assign(dollar_volume_20d=lambda f: (f.index * 7919 % 1000).astype(float))
        groups = company_groups(listing)
        classed = share_class_keys(listing["name"])["company"].notna().to_numpy()
        named, grouped = np.flatnonzero(classed), np.flatnonzero(groups.str.startswith("company:").to_numpy())
        positions = [int(p) for p in (*grouped, *named[:: max(1, len(named) // 60)])] + list(range(0, len(listing), len(listing) // 30))
        answers = [(classes_in_group(listing, groups, p), sibling_classes(listing, str(listing["symbol"].iloc[p]))) for p in positions]
        assert all(ours == theirs for ours, theirs in answers) and sum(bool(ours) for ours, _ in answers) >= 20
