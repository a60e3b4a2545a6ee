"""The pages in a real browser: Playwright driving Debian's chromium over real HTTP.

Screenshots land in build/screenshots/ (look at them after a change to the pages).
"""
from __future__ import annotations

import math
import os
import re
from typing import Any, Iterator

import pytest

from tests.e2e.browser import SCREENSHOTS, chromium_path, launch_chromium

pytestmark = pytest.mark.skipif(
    chromium_path() is None and not os.environ.get("CI"),
    reason="chromium is not installed (`.ci/run` installs it; under CI its absence fails)",
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def shoot(page: Any, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def rows(page: Any) -> list[dict[str, str]]:
    """The ranking table's rows as their data attributes."""
    return page.eval_on_selector_all("#ranking-table tbody tr[data-symbol]", "rows => rows.map(r => ({...r.dataset}))")


def numbers(values: list[str]) -> list[float]:
    return [float(value) if value not in ("", "None") else math.nan for value in values]


def no_sideways_scroll(page: Any) -> bool:
    """Neither the page nor any table in it needs scrolling sideways to be read."""
    return bool(
        page.evaluate(
            """() => document.documentElement.scrollWidth <= window.innerWidth
                && [...document.querySelectorAll('.table-wrap')].every(wrap => wrap.scrollWidth <= wrap.clientWidth + 1)"""
        )
    )


def test_dashboard_at_desktop_width(desktop: Any, web_url: str) -> None:
    desktop.goto(web_url + "/")
    assert desktop.locator("#run-outcome").inner_text() == "complete"
    assert "Simulated market data" in desktop.locator("#source-banner").inner_text()
    assert desktop.locator("#coverage").inner_text() == "66/66"
    listed = rows(desktop)
    # One row per company: Brown–Forman's BF.A and BF.B take one row, so 65 of the 66 symbols.
    assert len(listed) == 50 and desktop.locator("#page-position").inner_text() == "1–50 of 65"
    drawdowns = numbers([row["drawdown"] for row in listed])
    assert drawdowns == sorted(drawdowns)
    assert desktop.locator("#sectors tbody tr").count() == 11
    assert desktop.locator("#changes").get_by_text("Since the report of").is_visible()
    assert no_sideways_scroll(desktop)
    shoot(desktop, "dashboard-1280")


@pytest.mark.parametrize(("key", "attribute", "first_descending"), [("score", "score", True), ("days_since_peak", "days", True), ("drawdown", "drawdown", False)])
def test_sorting_by_a_column_and_back(desktop: Any, web_url: str, key: str, attribute: str, first_descending: bool) -> None:
    desktop.goto(web_url + "/?limit=100")
    with desktop.expect_navigation():
        desktop.click(f"#ranking-table thead a[data-sort='{key}']")
    assert f"sort={key}" in desktop.url
    values = numbers([row[attribute] for row in rows(desktop) if row["ranked"] == "yes" and row[attribute] not in ("", "None")])
    assert values == sorted(values, reverse=first_descending) and len(values) > 10
    with desktop.expect_navigation():
        desktop.click(f"#ranking-table thead a[data-sort='{key}']")
    assert "order=" in desktop.url
    again = numbers([row[attribute] for row in rows(desktop) if row["ranked"] == "yes" and row[attribute] not in ("", "None")])
    assert again == sorted(again, reverse=not first_descending)


def test_filter_by_sector_with_and_without_javascript(browser: Any, web_url: str) -> None:
    for javascript in (True, False):
        context = browser.new_context(viewport=DESKTOP, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(web_url + "/")
        page.select_option("#filter-sector", label="Energy")
        if javascript:
            page.wait_for_url(re.compile("sector=Energy"))
        else:
            with page.expect_navigation():
                page.click("form.filters button.apply")
        listed = rows(page)
        assert len(listed) == 6 and {row["sector"] for row in listed} == {"Energy"}
        assert page.locator("#ranking-heading").inner_text() == "6 stocks in Energy"
        context.close()


def test_paging_through_the_whole_universe(desktop: Any, web_url: str) -> None:
    from playwright.sync_api import expect

    desktop.goto(web_url + "/?limit=25")
    seen: list[str] = []
    for position in ("1–25 of 65", "26–50 of 65", "51–65 of 65"):
        expect(desktop.locator("#page-position")).to_have_text(position)
        seen += [row["symbol"] for row in rows(desktop)]
        if desktop.locator("#page-next").count():
            with desktop.expect_navigation():
                desktop.click("#page-next")
    assert len(seen) == 65 == len(set(seen))
    with desktop.expect_navigation():
        desktop.click("#page-prev")
    expect(desktop.locator("#page-position")).to_have_text("26–50 of 65")


def test_share_classes_one_row_per_company_or_every_symbol(desktop: Any, web_url: str) -> None:
    desktop.goto(web_url + "/?sector=Consumer%20Staples")
    listed = [row["symbol"] for row in rows(desktop)]
    assert len([symbol for symbol in listed if symbol.startswith("BF.")]) == 1
    lead = next(symbol for symbol in listed if symbol.startswith("BF."))
    other = "BF.B" if lead == "BF.A" else "BF.A"
    also = desktop.locator(f"#ranking-table tbody tr[data-symbol='{lead}'] .also")
    assert also.inner_text() == f"also {other}" and desktop.locator("#classes-note").is_visible()
    with desktop.expect_navigation():
        also.get_by_role("link", name=other).click()
    assert desktop.locator("#stock-heading").inner_text() == other
    desktop.goto(web_url + "/?sector=Consumer%20Staples")
    desktop.select_option("#filter-classes", value="all")
    desktop.wait_for_url(re.compile("classes=all"))
    assert {"BF.A", "BF.B"} <= {row["symbol"] for row in rows(desktop)} and len(rows(desktop)) == len(listed) + 1


def test_symbol_page_has_the_chart(desktop: Any, web_url: str) -> None:
    desktop.goto(web_url + "/")
    symbol = rows(desktop)[0]["symbol"]
    with desktop.expect_navigation():
        desktop.click(f"#ranking-table tbody tr[data-symbol='{symbol}'] td.symbol a")
    assert desktop.url.endswith(f"/stocks/{symbol}")
    assert desktop.locator("#stock-heading").inner_text() == symbol
    chart = desktop.locator("#chart svg")
    line = chart.locator("path.close").get_attribute("d") or ""
    points = [(float(x), float(y)) for x, y in re.findall(r"[ML]([\d.]+),([\d.]+)", line)]
    assert len(points) > 100
    peak = chart.locator("circle.peak")
    peak_xy = (float(peak.get_attribute("cx") or "nan"), float(peak.get_attribute("cy") or "nan"))
    assert peak_xy in points and peak_xy[1] == min(y for _x, y in points)  # the highest close
    area = chart.locator("path.drawdown").get_attribute("d") or ""
    assert area.startswith(f"M{peak_xy[0]:.1f},{peak_xy[1]:.1f}") and area.endswith("Z")
    assert chart.locator("path.ma50").count() == 1 and chart.locator("path.ma200").count() == 1
    assert chart.bounding_box()["width"] > 600  # type: ignore[index]
    assert desktop.locator("#rank-history tbody tr").count() == 3
    shoot(desktop, "stock-1280")


def test_phone_width_keeps_symbol_drawdown_and_days_on_screen(phone: Any, web_url: str) -> None:
    phone.goto(web_url + "/")
    assert no_sideways_scroll(phone)
    for row in phone.locator("#ranking-table tbody tr").all()[:10]:
        for cell in ("td.symbol a", "td.drawdown", "td.days"):
            box = row.locator(cell).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], cell
    shoot(phone, "dashboard-390")
    with phone.expect_navigation():
        phone.click("#ranking-table tbody tr td.symbol a >> nth=0")
    assert no_sideways_scroll(phone)
    box = phone.locator("#stock-drawdown").bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    shoot(phone, "stock-390")


def test_phone_sorts_by_score_from_the_form(phone: Any, web_url: str) -> None:
    phone.goto(web_url + "/")
    assert not phone.locator("#ranking-table thead a[data-sort='score']").is_visible()  # no room for the column
    with phone.expect_navigation():
        phone.select_option("#filter-sort", "score")
    assert "sort=score" in phone.url
    scores = numbers([row["score"] for row in rows(phone) if row["ranked"] == "yes" and row["score"] not in ("", "None")])
    assert scores == sorted(scores, reverse=True) and len(scores) > 10


@pytest.mark.parametrize("path", ["/runs", "/reports", "/track-record", "/api/docs"])
def test_other_pages_at_both_widths(desktop: Any, phone: Any, web_url: str, path: str) -> None:
    for page, width in ((desktop, 1280), (phone, 390)):
        response = page.goto(web_url + path)
        assert response is not None and response.status == 200
        assert no_sideways_scroll(page), (path, width)
        shoot(page, f"{path.strip('/').replace('/', '-')}-{width}")


def test_download_link_downloads_the_csv(desktop: Any, web_url: str, web_container: Any) -> None:
    desktop.goto(web_url + "/")
    with desktop.expect_download() as caught:
        desktop.click("#download-csv")
    download = caught.value
    assert download.suggested_filename == "2026-11-27.csv"
    assert open(download.path(), "rb").read() == web_container.store.get("reports/2026-11-27.csv")
