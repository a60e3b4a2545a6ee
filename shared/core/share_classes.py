"""Share classes of one company, grouped: one row per company, the most traded class leading.

Membership comes from the universe's company names, the reference data dipwatch has: the
packaged Russell 1000 list names classes as ``Under Armour (Class A)`` / ``(Class C)``,
``Liberty Broadband (Series A)`` / ``(Series C)`` and ``HEICO (Common)`` / ``(Class A)``, and Alpaca's asset names as ``Alphabet Inc.
Class A Common Stock``. Two or more names that are the same once the class (and a trailing
"Common Stock") is taken out, each with a different class letter, are one company. A name
without a class word is never grouped, nor are names that repeat a class (two unrelated
companies of one name).

Pure, no I/O; the input frames are not changed.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: The class word of a name: ``(Class A)``, ``Class C``, ``Series K``, and ``(Common)`` beside
#: a lettered class (``HEICO (Common)`` / ``HEICO (Class A)``).
_CLASS = re.compile(r"\(?\b(?:class|series)\s+([A-Z0-9]{1,2})\b\)?|\((common)\)", re.IGNORECASE)
#: A security's kind at the end of a name: "Common Stock", "Capital Stock", "Ordinary Shares".
_KIND = re.compile(r"\b(?:(?:common|capital|ordinary|voting|non-voting|subordinate)\s+)*(?:stock|shares)\s*$", re.IGNORECASE)
#: The column that lists a leading row's other classes, ``;``-joined (empty when none).
OTHER_CLASSES = "other_classes"


def share_class_keys(names: pd.Series) -> pd.DataFrame:
    """For each name: ``company`` (the name without its class, casefolded; NA without a class
    word) and ``share_class`` (the class letter, upper case; NA without one)."""
    text = names.fillna("").astype(str)
    found = text.str.extract(_CLASS, expand=True)
    letter = found[0].fillna(found[1]).str.upper()
    classed = letter.notna().to_numpy()  # only a name with a class word names a company: the rest stay NA
    words = text[classed].str.replace(_CLASS, " ", regex=True).str.replace(_KIND, "", regex=True)
    company = text.where(classed)
    company[classed] = words.str.replace(r"[\W_]+", " ", regex=True).str.strip().str.casefold().to_numpy()
    company = company.where(company != "")
    return pd.DataFrame({"company": company, "share_class": letter}, index=names.index)


def company_groups(frame: pd.DataFrame) -> pd.Series:
    """A company key per row of ``frame`` (``symbol``, ``name``): shared by the rows of one
    company's classes, the row's own symbol otherwise."""
    keys = share_class_keys(frame["name"])
    members = keys.groupby("company")["share_class"].transform("size")
    distinct = keys.groupby("company")["share_class"].transform("nunique")
    grouped = keys["company"].notna() & (members >= 2) & (members == distinct)
    return ("company:" + keys["company"].astype(str)).where(grouped, "symbol:" + frame["symbol"].astype(str))


def group_share_classes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with one row per company, in ``frame``'s order, plus ``OTHER_CLASSES``.

    A company's leading row is its most traded class: ranked rows before excluded ones, then the
    highest ``dollar_volume_20d`` (reports stored before that column: the best drawdown rank),
    then the symbol. The other classes, most traded first, are named in ``OTHER_CLASSES``.
    """
    if frame.empty:
        return frame.assign(**{OTHER_CLASSES: pd.Series(dtype=object)})
    key = company_groups(frame).to_numpy()
    position = np.arange(len(frame))
    missing = pd.Series(np.nan, index=frame.index)
    volume = pd.to_numeric(frame["dollar_volume_20d"], errors="coerce").astype(float) if "dollar_volume_20d" in frame else missing
    rank = pd.to_numeric(frame["rank"], errors="coerce").astype(float) if "rank" in frame else missing
    order = pd.DataFrame(
        {
            "key": key,
            "unranked": rank.isna().to_numpy(),
            "volume": -volume.fillna(-np.inf).to_numpy(dtype=float),
            "rank": rank.fillna(np.inf).to_numpy(dtype=float),
            "symbol": frame["symbol"].astype(str).to_numpy(),
            "position": position,
        }
    ).sort_values(["key", "unranked", "volume", "rank", "symbol"], kind="stable")
    leads = order.drop_duplicates("key", keep="first")
    others = order[~order["position"].isin(leads["position"])].groupby("key", sort=False)["symbol"].agg(";".join)
    kept = np.sort(leads["position"].to_numpy())
    result = frame.iloc[kept]
    named = others.to_dict()
    return result.assign(**{OTHER_CLASSES: pd.Series([named.get(company, "") for company in key[kept]], index=result.index, dtype=object)})


def classes_in_group(frame: pd.DataFrame, groups: pd.Series, position: int) -> list[str]:
    """The symbols of the other rows of ``frame`` in the company group of its row at
    ``position`` (``groups``: ``company_groups(frame)``), most traded first.

    A company's classes all share its first word, so its groups among the rows of that word
    are its groups in the whole report (tested)."""
    mine = groups.iloc[position]
    symbol = frame["symbol"].iloc[position]
    siblings = frame[(groups == mine).to_numpy() & (frame["symbol"] != symbol).to_numpy()]
    if "dollar_volume_20d" in siblings:
        siblings = siblings.sort_values(["dollar_volume_20d", "symbol"], ascending=[False, True], na_position="last", kind="stable")
    return [str(other) for other in siblings["symbol"]]


def other_classes_of(value: object) -> list[str]:
    """An ``OTHER_CLASSES`` cell as a list of symbols."""
    return [symbol for symbol in str(value or "").split(";") if symbol] if isinstance(value, str) else []
