"""Filtering, sorting, paging and rounding a report for people."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.report_view import SORT_KEYS, ReportQuery, has_flag, report_flags, round_to_meaning, view_report


def report() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": pd.array([1, 2, 3, 4, None], dtype="Int64"),
            "symbol": ["AAA", "BBB", "CCC", "DDD", "EEE"],
            "sector": ["Energy", "Utilities", "Energy", "Utilities", "Energy"],
            "close": [10.123456, 0.123456, 55.5, 7.0, 3.0],
            "drawdown_pct": [-40.123456, -30.0, -20.0, -10.0, -80.0],
            "days_since_peak": [10, 50, 30, 5, 100],
            "score": [1.0, 35.0, None, 8.0, 99.0],
            "ret_5d_pct": [-1.0, 2.0, -3.0, 0.5, 0.0],
            "flags": ["", "stale", "stale;short_history", "", "split_suspect"],
        }
    )


def symbols(query: ReportQuery) -> list[str]:
    return view_report(report(), query).rows["symbol"].tolist()


def test_default_is_rank_order_with_excluded_rows_last() -> None:
    assert symbols(ReportQuery()) == ["AAA", "BBB", "CCC", "DDD", "EEE"]


def test_each_key_sorts_its_natural_way_and_keeps_excluded_rows_last() -> None:
    assert symbols(ReportQuery(sort="drawdown")) == ["AAA", "BBB", "CCC", "DDD", "EEE"]
    assert symbols(ReportQuery(sort="score")) == ["BBB", "DDD", "AAA", "CCC", "EEE"]  # no score: last
    assert symbols(ReportQuery(sort="days_since_peak")) == ["BBB", "CCC", "AAA", "DDD", "EEE"]
    assert symbols(ReportQuery(sort="ret_5d")) == ["CCC", "AAA", "DDD", "BBB", "EEE"]
    assert symbols(ReportQuery(sort="drawdown", descending=True)) == ["DDD", "CCC", "BBB", "AAA", "EEE"]
    assert symbols(ReportQuery(sort="score", descending=False)) == ["AAA", "DDD", "BBB", "CCC", "EEE"]


def test_sector_filter_is_case_blind_and_flag_filter_reads_joined_flags() -> None:
    assert symbols(ReportQuery(sector="energy")) == ["AAA", "CCC", "EEE"]
    assert symbols(ReportQuery(flag="stale")) == ["BBB", "CCC"]
    assert symbols(ReportQuery(flag="short_history", sector="Energy")) == ["CCC"]
    assert symbols(ReportQuery(flag="none")) == ["AAA", "DDD"]


def test_pages_cover_every_row_once() -> None:
    first = view_report(report(), ReportQuery(limit=2))
    assert first.rows["symbol"].tolist() == ["AAA", "BBB"] and first.total == 5
    assert first.next_offset == 2 and first.previous_offset is None
    last = view_report(report(), ReportQuery(limit=2, offset=4))
    assert last.rows["symbol"].tolist() == ["EEE"] and last.next_offset is None and last.previous_offset == 2
    beyond = view_report(report(), ReportQuery(limit=2, offset=9))
    assert beyond.rows.empty and beyond.total == 5


def test_choices_come_from_the_report() -> None:
    page = view_report(report(), ReportQuery(sector="Utilities"))
    assert page.sectors == ["Energy", "Utilities"]
    assert page.flags == ["stale", "split_suspect", "short_history"]
    odd = report().assign(flags=["", "zz_new", "", "", ""])
    assert report_flags(odd) == ["zz_new"]
    assert has_flag(odd["flags"], "zz_new").tolist() == [False, True, False, False, False]


def test_input_is_not_changed() -> None:
    frame = report()
    before = frame.copy()
    view_report(frame, ReportQuery(sort="score", sector="energy", flag="stale", limit=1))
    round_to_meaning(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_rounding_to_meaning() -> None:
    rounded = round_to_meaning(report())
    assert rounded["close"].tolist() == [10.12, 0.1235, 55.5, 7.0, 3.0]
    assert rounded["drawdown_pct"].iloc[0] == -40.12
    assert rounded["days_since_peak"].tolist() == [10, 50, 30, 5, 100]
    assert rounded["flags"].tolist() == report()["flags"].tolist()


@settings(max_examples=50, deadline=None)
@given(
    sort=st.sampled_from(sorted(SORT_KEYS)),
    descending=st.sampled_from([None, True, False]),
    limit=st.integers(min_value=1, max_value=6),
)
def test_paging_partitions_the_sorted_rows(sort: str, descending: bool | None, limit: int) -> None:
    whole = view_report(report(), ReportQuery(sort=sort, descending=descending))
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = view_report(report(), ReportQuery(sort=sort, descending=descending, limit=limit, offset=offset))
        seen += page.rows["symbol"].tolist()
        offset = page.next_offset
    assert seen == whole.rows["symbol"].tolist()
    ranked = whole.rows["rank"].notna().tolist()
    assert ranked == sorted(ranked, reverse=True)


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
def test_a_sort_key_missing_from_an_old_report_falls_back_to_rank(sort: str) -> None:
    old = report().drop(columns=["score", "ret_5d_pct"])
    assert len(view_report(old, ReportQuery(sort=sort)).rows) == 5
