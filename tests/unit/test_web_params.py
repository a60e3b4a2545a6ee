"""Parsing request parameters, and the numbers and links the pages print."""
from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from app.params import parse_choice, parse_day, parse_int, parse_report_query, parse_text
from app.templating import count, duration, long_day, number, pct, price, query_url, sign_class, when
from shared.errors import BadInput


def test_days() -> None:
    assert parse_day("2026-11-27") == date(2026, 11, 27)
    assert parse_day("latest") is None and parse_day(None) is None
    for bad, phrase in (("2026-02-30", "not a date of the calendar"), ("27/11/2026", "not a date"), ("x" * 500, "not a date")):
        with pytest.raises(BadInput, match=f"^day: .*{phrase}"):
            parse_day(bad)


def test_numbers_choices_and_text() -> None:
    assert parse_int({}, "limit", 50, 1, 250) == 50
    assert parse_int({"limit": "7"}, "limit", 50, 1, 250) == 7
    with pytest.raises(BadInput, match="^limit: must be between 1 and 250, got 251$"):
        parse_int({"limit": "251"}, "limit", 50, 1, 250)
    with pytest.raises(BadInput, match="^offset: '1.5' is not a whole number$"):
        parse_int({"offset": "1.5"}, "offset", 0, 0, 10)
    assert parse_choice({"order": "asc"}, "order", ("asc", "desc")) == "asc"
    with pytest.raises(BadInput, match="^order: 'up' is not one of asc, desc$"):
        parse_choice({"order": "up"}, "order", ("asc", "desc"))
    assert parse_text({"sector": "  Energy "}, "sector") == "Energy" and parse_text({"sector": " "}, "sector") is None
    with pytest.raises(BadInput, match="^sector: at most 100 characters$"):
        parse_text({"sector": "x" * 101}, "sector")


def test_report_query() -> None:
    query = parse_report_query({"sort": "score", "order": "asc", "sector": "Energy", "flag": "stale", "offset": "5", "limit": "10"}, 50)
    assert (query.sort, query.is_descending, query.sector, query.flag, query.offset, query.limit) == ("score", False, "Energy", "stale", 5, 10)
    default = parse_report_query({}, None)
    assert (default.sort, default.is_descending, default.limit) == ("rank", False, None)
    with pytest.raises(BadInput, match="^sort: "):
        parse_report_query({"sort": "price"}, 50)


def test_figures_as_people_read_them() -> None:
    assert pct(-12.345) == "\u221212.3%" and pct(4, 2) == "+4.00%" and pct(None) == "\u2014" and pct(float("nan")) == "\u2014"
    assert pct(-0.04) == "0.0%" and sign_class(-0.04) == ""
    assert price(1234.5) == "1,234.50" and price(0.12345) == "0.1235" and price(None) == "\u2014"
    assert number(-0.891) == "\u22120.89" and count(12345) == "12,345"
    assert sign_class(-1) == "neg" and sign_class(2) == "pos" and sign_class(0) == "" and sign_class(None) == ""
    assert when("2026-11-28T12:00:00+00:00") == "2026-11-28 12:00 UTC" and when("2026-11-28T07:00:00-05:00") == "2026-11-28 12:00 UTC"
    assert duration(0.43) == "0.4 s" and duration(125) == "2 min 5 s"
    assert long_day("2026-11-27") == "Fri 27 Nov 2026" and long_day(date(2026, 5, 1)) == "Fri 01 May 2026"


def test_links_keep_the_other_parameters() -> None:
    app = Flask(__name__)
    app.add_url_rule("/", "home", lambda: "")
    with app.test_request_context("/?sort=score&sector=Energy&offset=50"):
        assert query_url(offset=None) == "/?sort=score&sector=Energy"
        assert query_url(sort="drawdown", order="desc") == "/?sort=drawdown&sector=Energy&offset=50&order=desc"


def test_every_sort_key_has_a_label_on_the_page() -> None:
    from app.templating import SORT_LABELS
    from shared.core.report_view import SORT_KEYS

    assert set(SORT_LABELS) == set(SORT_KEYS)
