"""A run leaves the objects older than it out of the garbage collector's walks, and only while it runs."""
from __future__ import annotations

import gc

import pytest

from shared.services.heap import older_objects_frozen


def test_objects_older_than_a_run_are_frozen_while_it_runs_and_handed_back_after() -> None:
    assert gc.get_freeze_count() == 0
    seen: list[int] = []

    @older_objects_frozen
    def run(depth: int) -> str:
        seen.append(gc.get_freeze_count())
        if depth:
            run(depth - 1)  # a run inside a run: frozen once, handed back by the outer one
            seen.append(gc.get_freeze_count())
        return "done"

    assert run(1) == "done"
    assert all(count > 0 for count in seen)
    assert gc.get_freeze_count() == 0


def test_a_failing_run_hands_the_objects_back_too() -> None:
    @older_objects_frozen
    def run() -> None:
        raise RuntimeError("the run failed")

    with pytest.raises(RuntimeError):
        run()
    assert gc.get_freeze_count() == 0


def test_garbage_made_during_a_run_is_still_collected() -> None:
    @older_objects_frozen
    def run() -> int:
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        return gc.collect()

    assert run() >= 1
