"""Symbol runs: the categorical coded from sorted runs of strings is exactly pandas' own."""
from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from shared.core.symbol_runs import _categorical

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
