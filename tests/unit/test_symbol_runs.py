"""Symbol runs: the categorical coded from sorted runs of strings is exactly pandas' own."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from shared.core.quality import robust_z
from shared.core.symbol_runs import _categorical, run_medians, sorted_runs

NAMES = st.one_of(st.sampled_from(["A", "AA", "B", "BRK.B", "b", "Z"]), st.none(), st.integers(0, 3))


@given(st.lists(NAMES, max_size=30), st.booleans(), st.sampled_from([object, "str"]))
def test_the_symbol_categorical_is_pandas_own(names: list[object], in_order: bool, dtype: object) -> None:
    if in_order:  # as stored bars are: the runs' fast path (None or a number sends it to pandas)
        names = sorted(names, key=lambda name: (not isinstance(name, str), str(name)))
    try:
        symbol = pd.Series(names, dtype=dtype)
    except (TypeError, ValueError):
        return  # "str" takes no numbers
    got, expected = _categorical(symbol), pd.Categorical(symbol)
    assert got.categories.equals(expected.categories) and got.categories.dtype == expected.categories.dtype
    assert list(got.codes) == list(expected.codes)


RUN = st.lists(st.one_of(st.floats(-3, 3, allow_nan=False).map(lambda x: round(x, 1)), st.just(float("nan")), st.just(float("inf"))), min_size=1, max_size=9)


@given(st.lists(RUN, min_size=1, max_size=6))
def test_run_medians_are_pandas_groupby_medians(runs: list[list[float]]) -> None:
    values = np.array([value for run in runs for value in run], dtype=float)
    ends = np.cumsum([len(run) for run in runs])
    starts = ends - np.array([len(run) for run in runs])
    expected = pd.Series(values).groupby(np.repeat(np.arange(len(runs)), ends - starts)).median().to_numpy()
    got = run_medians(values, starts, ends)
    assert got is not None and np.array_equal(got, expected, equal_nan=True)


@given(st.lists(st.lists(st.one_of(st.floats(-0.2, 0.2, allow_nan=False), st.just(float("nan"))), min_size=1, max_size=40), min_size=1, max_size=5))
def test_robust_z_on_runs_is_the_grouped_one(runs: list[list[float]]) -> None:
    values = pd.Series([value for run in runs for value in run], dtype=float)
    names = np.repeat([f"S{index}" for index in range(len(runs))], [len(run) for run in runs])
    on_runs = robust_z(values, pd.Series(pd.Categorical(names)))  # categorical in runs: arrays
    grouped = robust_z(values, pd.Series(names, dtype=object))  # pandas' groupby
    pd.testing.assert_series_equal(on_runs, grouped)


def test_run_medians_decline_a_matrix_far_larger_than_the_values() -> None:
    starts, ends = np.arange(0, 10_001), np.r_[np.arange(1, 10_001), 20_000]
    assert run_medians(np.zeros(20_000), starts, ends) is None
    assert sorted_runs(pd.Series(pd.Categorical(["b", "a", "b"], categories=["a", "b"]))) is None
