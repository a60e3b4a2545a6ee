"""Dates are checked at the edge: no session after the last completed one, nothing before 1990,
and ``latest.json`` follows the newest valid report (issue 11, item 1)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from app import create_app
from shared.core.trading_calendar import NEW_YORK, check_requested_day, last_completed_session, previous_trading_day
from shared.errors import BadInput
from shared.services import collection as collection_module
from tests.conftest import AS_OF
from tests.reliability.store_kit import audit_clean, empty_store, print_figures, record, store, wired  # noqa: F401 - fixtures

#: Monday 30 November 2026, 09:29 in New York: the session has not opened.
BEFORE_THE_OPEN = datetime(2026, 11, 30, 9, 29, tzinfo=NEW_YORK)


def cli(container):  # noqa: ANN001, ANN201
    app = create_app(container=container)
    return app.test_cli_runner()


REFUSALS = [
        (["collect", "--as-of", "2027-03-01"], "--as-of 2027-03-01 is after the last completed session, 2026-11-27"),
        (["collect", "--as-of", "9999-12-31"], "--as-of 9999-12-31 is after the last completed session, 2026-11-27"),
        (["backfill", "--end", "2030-01-02", "--days", "5"], "--end 2030-01-02 is after the last completed session, 2026-11-27"),
        (["backfill", "--start", "2026-11-20", "--end", "2026-12-01"], "--end 2026-12-01 is after the last completed session, 2026-11-27"),
        (["collect", "--as-of", "1989-12-29"], "--as-of 1989-12-29 is before 1990-01-01"),
        (["backfill", "--start", "1985-01-02", "--end", "1990-01-05"], "--start 1985-01-02 is before 1990-01-01"),
        (["backfill", "--days", "3650", "--end", "1990-01-05"], "is before 1990-01-01"),
]
CASES = [("local", args, named) for args, named in REFUSALS] + [("s3", *REFUSALS[0])]


@pytest.mark.parametrize(("kind", "args", "named"), CASES, ids=[f"{kind}-{' '.join(args)}" for kind, args, _named in CASES])
def test_a_day_outside_the_collectable_range_is_refused_in_one_line(settings, request, tmp_path, kind, args, named) -> None:
    store = empty_store(kind, request, tmp_path)
    container = wired(settings, store)
    result = cli(container).invoke(args=args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    record(__name__, failures=int(result.exit_code != 1 or len(lines) != 1 or named not in result.output))
    assert result.exit_code == 1 and len(lines) == 1 and named in lines[0], result.output
    assert "Traceback" not in result.output
    assert store.list("") == []  # refused before anything was written, not even a manifest


def test_a_session_that_has_not_opened_is_refused_by_the_new_york_clock(settings, store) -> None:
    container = wired(settings, store, clock=lambda: BEFORE_THE_OPEN)
    with pytest.raises(BadInput, match="--as-of 2026-11-30 is after the last completed session, 2026-11-27"):
        container.collection.collect(date(2026, 11, 30))
    with pytest.raises(BadInput, match="2026-11-27"):
        container.collection.backfill(end=date(2026, 11, 30), days=3)
    record(__name__, cases=2)
    assert store.list("") == []


def test_a_weekend_after_the_last_session_means_that_session(settings, store) -> None:
    container = wired(settings, store)  # Saturday 28 November 2026
    assert container.collection.collect(date(2026, 11, 28)).as_of == "2026-11-27"
    record(__name__)


@hypothesis_settings(max_examples=200)
@given(
    now=st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(timezone.utc)),
    offset=st.integers(min_value=-4000, max_value=4000),
)
def test_a_day_is_accepted_exactly_when_its_session_is_complete(now: datetime, offset: int) -> None:
    day = now.date() + timedelta(days=offset)
    last = last_completed_session(now)
    try:
        check_requested_day(day, now, "--as-of")
        accepted = True
    except BadInput as error:
        accepted = False
        assert last.isoformat() in str(error) or "1990" in str(error)
    expected = day >= date(1990, 1, 1) and day <= now.astimezone(NEW_YORK).date() and previous_trading_day(day) <= last
    record(__name__, failures=int(accepted != expected))
    assert accepted == expected


def test_a_pointer_stuck_in_the_future_is_repaired_and_store_check_finds_the_future_days(settings, store, monkeypatch) -> None:
    # What an earlier version did: collect --as-of 2027-03-01 stored future bars and moved latest.json there.
    monkeypatch.setattr(collection_module, "check_requested_day", lambda *_args: None)
    wired(settings, store).collection.collect(date(2027, 3, 1))
    monkeypatch.undo()
    container = wired(settings, store)
    found = container.store_audit.check()
    assert any(key.startswith("bars/2027-") for key in found.future) and "reports/2027-03-01.csv" in found.future
    assert "2027-03-01" in found.latest
    summary = container.collection.collect()
    assert summary.as_of == AS_OF.isoformat()
    assert container.archive.read_latest()["as_of"] == AS_OF.isoformat()  # the run repaired the pointer
    repaired = container.store_audit.check(repair=True)
    assert repaired.repaired and not repaired.unrepaired
    audit_clean(container)
    assert not [key for key in store.list("bars/") if key.startswith("bars/2027-")]
    assert [key for key in store.list("quarantine/") if key.startswith("quarantine/bars/2027-") and key.endswith(".note.json")]
    record(__name__, cases=3)


def test_a_pointer_ahead_is_repaired_by_a_run_of_an_older_day(settings, store, monkeypatch) -> None:
    monkeypatch.setattr(collection_module, "check_requested_day", lambda *_args: None)
    wired(settings, store).collection.collect(date(2026, 12, 1))
    monkeypatch.undo()
    container = wired(settings, store)
    container.collection.collect(date(2026, 11, 27))
    container.store_audit.check(repair=True)  # the future days go to quarantine
    container.collection.collect(date(2026, 11, 25))
    assert container.archive.read_latest()["as_of"] == "2026-11-27"
    audit_clean(container)
    record(__name__)


def test_a_session_stored_before_it_completed_is_found_by_its_manifest(settings, store, monkeypatch) -> None:
    # An earlier version at 09:29 on Monday stored Monday's "bars" before the session opened.
    monkeypatch.setattr(collection_module, "check_requested_day", lambda *_args: None)
    wired(settings, store, clock=lambda: BEFORE_THE_OPEN).collection.collect(date(2026, 11, 30))
    monkeypatch.undo()
    a_week_later = wired(settings, store, clock=lambda: datetime(2026, 12, 7, 12, tzinfo=timezone.utc))
    found = a_week_later.store_audit.check()
    assert "bars/2026-11-30.csv" in found.future and "before its session completed" in found.future["bars/2026-11-30.csv"]
    a_week_later.store_audit.check(repair=True)
    audit_clean(a_week_later)
    assert store.exists("bars/2026-11-30.csv")  # fetched again, now that the session is complete
    record(__name__)
