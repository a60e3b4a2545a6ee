"""The webhook end to end: secret, bad input, every command per kind of user, paging, redelivery."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.storage import LocalStore
from shared.bootstrap import Container
from shared.errors import BrokerError
from shared.adapters.update_markers import MARKERS_PREFIX
from tests.bot.conftest import ALLOWED, SECRET, STRANGER, callback_update, client_of, message_update, sender
from tests.bot.html_check import check_call
from tests.conftest import collect_later

REFUSAL = "this command is private"
APOLOGY = "something went wrong"

#: A representative message for every command; the test below checks that none is left out.
SAMPLES = {
    "start": "/start",
    "help": "/help",
    "top": "/top 3",
    "stock": "/stock aapl",
    "daily": "/daily 2",
    "version": "/version",
    "download": "/download",
    "sectors": "/sectors",
    "changes": "/changes",
    "history": "/history",
    "status": "/status",
    "account": "/account",
    "positions": "/positions",
    "monitor": "/monitor",
    "subscribe": "/subscribe",
    "unsubscribe": "/unsubscribe",
    "watch": "/watch KO 15",
    "unwatch": "/unwatch KO",
    "watches": "/watches",
}


def reply_text(response) -> str:  # noqa: ANN001 - a Flask test response
    assert response.status_code == 200
    call = response.get_json()
    assert call["method"] == "sendMessage"
    return check_call(call)


def test_every_command_has_a_sample(bot_container: Container) -> None:
    assert set(SAMPLES) == set(bot_container.commands.table)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_allowed_user_gets_every_command(send, name: str) -> None:
    text = reply_text(send(message_update(SAMPLES[name], ALLOWED)))
    assert REFUSAL not in text and APOLOGY not in text
    assert "Usage" not in text and "I don't know" not in text


@pytest.mark.parametrize("user", [STRANGER, None], ids=["refused", "anonymous"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_closed_bot_refuses_all_but_help(bot_container: Container, send, name: str, user: int | None) -> None:
    text = reply_text(send(message_update(SAMPLES[name], user)))
    if bot_container.commands.table[name].level == "open":
        assert REFUSAL not in text
    else:
        assert text.startswith("Sorry") and REFUSAL in text


@pytest.mark.parametrize("user", [STRANGER, None], ids=["refused", "anonymous"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_public_bot_opens_market_commands_only(wire, bot_settings, name: str, user: int | None) -> None:
    public = wire(bot_settings.with_overrides(public_bot=True))
    text = reply_text(sender(client_of(public))(message_update(SAMPLES[name], user)))
    assert (REFUSAL in text) == (public.commands.table[name].level == "private")


def test_refused_attempt_changes_no_state(bot_container, send) -> None:
    reply_text(send(message_update("/subscribe", STRANGER)))
    assert bot_container.bot_state.subscribers() == []


def test_help_lists_what_the_user_may_use(send) -> None:
    allowed = reply_text(send(message_update("/help", ALLOWED)))
    stranger = reply_text(send(message_update("/help", STRANGER)))
    assert "/account" in allowed and "/stock SYMBOL" in allowed
    assert "/account" not in stranger and "need access" in stranger


def test_unknown_command_and_symbol_get_suggestions(send) -> None:
    assert "Did you mean /top" in reply_text(send(message_update("/tpo", ALLOWED)))
    assert "Did you mean AAPL" in reply_text(send(message_update("/s APPL", ALLOWED)))
    assert "Usage: /watch" in reply_text(send(message_update("/watch KO", ALLOWED)))


def test_top_reply_carries_the_stamp_and_sector_filter(send) -> None:
    text = reply_text(send(message_update("/top 5 financ", ALLOWED)))
    assert text.startswith("Financials · 1–2 of 2\n# rank symbol") and "as of 2026-11-27 close · 8/8 symbols\nsimulated" in text


def test_wrong_or_missing_secret_is_refused_and_nothing_is_processed(bot_container, send) -> None:
    assert send(message_update("/subscribe", ALLOWED), secret="wrong-secret").status_code == 403
    assert send(message_update("/subscribe", ALLOWED), secret=None).status_code == 403
    assert bot_container.bot_state.subscribers() == []
    assert bot_container.store.list(MARKERS_PREFIX) == []


def test_bad_bodies(bot_client, send) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    assert bot_client.post("/telegram/webhook", data=b"{not json", headers=headers).status_code == 400
    assert bot_client.post("/telegram/webhook", data=b"[1, 2]", headers=headers).status_code == 400
    assert bot_client.post("/telegram/webhook", data=b"x" * 300_000, headers=headers).status_code == 413
    old_style = message_update("/top", ALLOWED)
    del old_style["message"]["from"]["is_bot"]  # old sample updates lack it: PTB refuses them
    response = send(old_style)
    assert response.status_code == 200 and not response.data
    assert send({"update_id": 5, "poll": {"id": "1"}}).data == b""


def test_same_update_twice_is_handled_once(bot_container, wire, send) -> None:
    update = message_update("/subscribe", ALLOWED, update_id=777)
    assert "Subscribed" in reply_text(send(update))
    assert send(update).data == b""  # this process remembers it
    other_instance = sender(client_of(wire()))  # another Lambda instance over the same store
    again = other_instance(update)
    assert again.status_code == 200 and again.data == b""
    assert bot_container.bot_state.subscribers() == [ALLOWED]


def test_paging_round_trip(send, emulator) -> None:
    first = send(message_update("/top 3", ALLOWED)).get_json()
    check_call(first)
    *symbols, (forward,) = first["reply_markup"]["inline_keyboard"]
    assert forward["text"] == "▶" and [button["text"] for button in symbols[0]] == first_three(first["text"])

    def press(data: str, query_id: str) -> dict:
        response = send(callback_update(data, ALLOWED, query_id, 90_000 + int(query_id), message_id=55))
        assert response.status_code == 200
        return response.get_json()

    second = press(forward["callback_data"], "1")
    assert second["method"] == "editMessageText" and second["message_id"] == 55
    assert "Top 4–6 of 8" in check_call(second)
    back = [b for b in second["reply_markup"]["inline_keyboard"][-1] if b["text"] == "◀"][0]
    third = press(back["callback_data"], "2")
    assert third["text"] == first["text"]
    answered = [call.params["callback_query_id"] for call in emulator.of("answerCallbackQuery")]
    assert answered == ["1", "2"]


def first_three(text: str, skip: int = 0) -> list[str]:
    """The symbols of a /top table's first three rows (of the ``<pre>`` block's visible text)."""
    rows = [line.split() for line in text.split("\n") if line.split()[:1] and line.split()[0].isdigit()]
    return [row[1].rstrip("*") for row in rows[skip : skip + 3]]


def test_stale_button_is_answered(send, emulator) -> None:
    update = {
        "update_id": 95_000,
        "callback_query": {"id": "9", "from": {"id": ALLOWED, "is_bot": False, "first_name": "Ada"}, "chat_instance": "ci", "data": "nonsense"},
    }
    response = send(update).get_json()
    assert response["method"] == "answerCallbackQuery" and response["callback_query_id"] == "9"


class BuggyBroker:
    """A broker with a bug: not a domain error, so the bot must apologise, not explain."""

    def account(self) -> dict[str, Any]:
        raise RuntimeError("boom")

    positions = account


class DiskGoneStore(LocalStore):
    """A store whose reads fail with an OS error (a disk or network fault)."""

    def get(self, key: str) -> bytes:
        raise OSError("disk gone")

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        raise OSError("disk gone")


def test_handler_failure_apologises_with_200(wire, caplog: pytest.LogCaptureFixture) -> None:
    send = sender(client_of(wire(broker=BuggyBroker())))
    assert APOLOGY in reply_text(send(message_update("/account", ALLOWED)))
    assert "telegram handler failed" in caplog.text and "boom" in caplog.text


def test_storage_failure_apologises_with_200(wire, bot_settings) -> None:
    send = sender(client_of(wire(store=DiskGoneStore(bot_settings.storage))))
    assert APOLOGY in reply_text(send(message_update("/top", ALLOWED)))


def test_corrupt_stored_object_gets_a_logged_apology_naming_the_key(bot_container, send, caplog: pytest.LogCaptureFixture) -> None:
    Path(bot_container.store.location, "reports", "latest.json").write_text('{"as_of": "2026-11-27", trunc')
    assert APOLOGY in reply_text(send(message_update("/top", ALLOWED)))
    (logged,) = [record for record in caplog.records if record.getMessage() == "corrupt stored object"]
    assert logged.key == "reports/latest.json" and logged.levelname == "ERROR"


def test_per_chat_rate_limit(wire, bot_settings) -> None:
    send = sender(client_of(wire(bot_settings.with_overrides(bot_commands_per_minute=3))))
    texts = [send(message_update("/help", ALLOWED)) for _ in range(5)]
    assert all(response.status_code == 200 for response in texts)
    assert "at most 3 commands a minute" in reply_text(texts[3])
    assert texts[4].data == b""
    assert "Commands" in reply_text(send(message_update("/help", ALLOWED, chat_id=-5)))  # other chats unaffected


def test_changes_sectors_and_history_with_two_reports(bot_container, send) -> None:
    collect_later(bot_container, date(2026, 11, 30))
    changes = reply_text(send(message_update("/changes", ALLOWED)))
    assert "since 2026-11-27, top 10:" in changes and "as of 2026-11-30 close" in changes
    sectors = send(message_update("/sectors", ALLOWED)).get_json()
    table = check_call(sectors).split("\n")
    (tech,) = [line for line in table if line.startswith("Info Tech")]
    assert tech.split()[-1] == "3"  # AAPL, MSFT, NVDA
    buttons = [button for row in sectors["reply_markup"]["inline_keyboard"] for button in row]
    assert "Info Tech" in [button["text"] for button in buttons] and all(b["callback_data"].startswith("top:2026-11-30:0:10:") for b in buttons)
    assert "No track record yet" in reply_text(send(message_update("/history", ALLOWED)))


def test_history_shows_the_track_record(bot_container, send) -> None:
    bot_container.collection.collect(date(2026, 10, 27))  # an older report; latest.json stays on 2026-11-27
    text = reply_text(send(message_update("/history", ALLOWED)))
    rows = text.split("\n")
    assert any(row.split()[:2] == ["1m", "1"] for row in rows)  # one list a month old
    assert any(row.startswith("27 Oct 26 1m") for row in rows)


def test_group_chatter_is_ignored_but_private_text_gets_a_hint(send) -> None:
    assert send(message_update("nice dip on KO", ALLOWED, chat_id=-3003)).data == b""
    assert "/help" in reply_text(send(message_update("hello", ALLOWED)))
    assert "Top 1–2" in reply_text(send(message_update("/top@dipwatch_test_bot 2", ALLOWED, chat_id=-3003)))


def test_stock_without_a_chart_object_draws_from_the_bars(bot_container, send) -> None:
    Path(bot_container.store.location, "charts", "2026-11-27.json").unlink()
    text = reply_text(send(message_update("/stock KO", ALLOWED)))
    assert "high " in text and "low " in text and "27 Nov 26" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/top 0", "N must be a whole number from 1 to 25.\nUsage: /top [N] [sector] [sort=KEY]"),
        ("/top 99", "N must be a whole number from 1 to 25."),
        ("/top -3", "N must be a whole number from 1 to 25.\nUsage: /top"),
        ("/top 10 20", "“20” is not a sector; N comes first.\nUsage: /top"),
        ("/top tech 5", "“5” is not a sector"),
        ("/top 5 sort=price", "Unknown order “price”; sort: score, days, ret5 or ret20.\nUsage: /top"),
        ("/top 5 astrology", "No sector matches “astrology”. Try it, health, staples"),
        ("/top 5 consumer", "“consumer” could be Consumer Discretionary or Consumer Staples."),
        ("/stock", "Usage: /stock SYMBOL"),
        ("/daily 0", "N must be a whole number from 1 to 10.\nUsage: /daily [N]"),
        ("/daily 2 3", "Give at most one N.\nUsage: /daily [N]"),
        ("/download yesterday", "Usage: /download [YYYY-MM-DD]"),
        ("/download 2020-01-02", "no report for 2020-01-02"),
        ("/watch KO lots", "PCT must be a number.\nUsage: /watch"),
        ("/watch KO 150", "PCT must be between 0 and 100."),
        ("/watch ZZZZZ 10", "I don't know the symbol ZZZZZ"),
        ("/unwatch brk-b", "You were not watching BRK.B"),
    ],
)
def test_bad_arguments_get_a_clear_reply(send, text: str, expected: str) -> None:
    assert expected in reply_text(send(message_update(text, ALLOWED)))


def test_watch_round_trip(bot_container, send) -> None:
    drawdown = float(bot_container.archive.read_report(date(2026, 11, 27)).set_index("symbol").loc["BRK.B", "drawdown_pct"])
    now = f"{abs(drawdown):.1f}%"
    confirmed = reply_text(send(message_update("/watch brk-b 12.5%", ALLOWED)))
    assert "Watching BRK.B at −12.5%" in confirmed and f"Now {'−' if drawdown < 0 else ''}{now} from its peak" in confirmed
    watches = reply_text(send(message_update("/watches", ALLOWED)))
    assert f"/s_BRK_B at −12.5% · now {'−' if drawdown < 0 else ''}{now}" in watches and "as of 2026-11-27 close" in watches
    assert "Stopped watching BRK.B" in reply_text(send(message_update("/unwatch BRK.B", ALLOWED)))
    assert "No watches" in reply_text(send(message_update("/watches", ALLOWED)))


def test_download_link_fetches_the_report(bot_container, bot_client, send) -> None:
    import re

    call = send(message_update("/download 2026-11-27", ALLOWED)).get_json()
    check_call(call)
    href = re.search(r'href="([^"]+)"', call["text"]).group(1).replace("&amp;", "&")
    path = href.split("://", 1)[1].split("/", 1)[1]
    response = bot_client.get("/" + path)
    assert response.status_code == 200 and response.data == bot_container.store.get("reports/2026-11-27.csv")


def test_account_positions_and_monitor_show_the_broker(send) -> None:
    account = reply_text(send(message_update("/account", ALLOWED)))
    assert "equity 25,000.00 USD" in account and "today 500.00 (+2.04%)" in account
    positions = reply_text(send(message_update("/positions", ALLOWED)))
    assert positions.startswith("3 positions · 2,835") and "/s_AAPL +150.0% · 2,500.00 · #" in positions
    assert "/s_ZZZZ −50.0% · 5.00 · unranked" in positions and "as of 2026-11-27 close" in positions
    monitor = reply_text(send(message_update("/monitor", ALLOWED)))
    assert "target 100%" in monitor and "top 3 average +36.7% · not there yet" in monitor and "/s_KO +10.0%" in monitor


def test_no_trading_account_is_explained(wire) -> None:
    send = sender(client_of(wire(broker=None)))  # the test settings carry no Alpaca keys
    assert "no trading account is configured" in reply_text(send(message_update("/positions", ALLOWED)))


class DownBroker:
    """A broker that Alpaca's outage makes unavailable (a domain error the bot explains)."""

    def account(self) -> dict[str, Any]:
        raise BrokerError("Alpaca account is unavailable: server error 503")

    positions = account


def test_an_unavailable_trading_account_gets_a_clear_reply(wire) -> None:
    send = sender(client_of(wire(broker=DownBroker())))
    response = send(message_update("/account", ALLOWED))
    assert response.status_code == 200
    text = reply_text(response)
    assert "Alpaca account is unavailable: server error 503" in text and "try again" in text


def test_an_older_messages_buttons_page_the_report_it_showed(bot_container, send) -> None:
    bot_container.collection.collect(date(2026, 11, 25))  # an older report; latest stays on 2026-11-27
    older = bot_container.archive.read_report(date(2026, 11, 25))
    update = callback_update("top:2026-11-25:3:3:-", ALLOWED, "12", 96_000, message_id=56)
    text = check_call(send(update).get_json())
    assert "as of 2026-11-25 close" in text
    expected = older[older["rank"].between(4, 6)].sort_values("rank")["symbol"].tolist()
    assert first_three(text, skip=0) == expected
    gone = dict(update, update_id=96_001, callback_query=dict(update["callback_query"], id="13", data="top:2026-01-05:0:3:-"))
    assert "out of date" in check_call(send(gone).get_json())


def test_taps_from_a_list_to_a_stock_to_a_watch_and_back(bot_container, send, emulator) -> None:
    listed = send(message_update("/top 3", ALLOWED)).get_json()
    first_symbol = listed["reply_markup"]["inline_keyboard"][0][0]
    opened = send(callback_update(first_symbol["callback_data"], ALLOWED, "21", 97_000)).get_json()
    assert opened["method"] == "editMessageText" and opened["message_id"] == 60
    assert check_call(opened).startswith(f"{first_symbol['text']} · ")
    refresh, watch = opened["reply_markup"]["inline_keyboard"][0]
    (back,) = opened["reply_markup"]["inline_keyboard"][1]
    assert (refresh["text"], watch["text"], back["text"]) == ("↻ Refresh", "👀 Watch −20%", "◀ Back to the list")
    assert send(callback_update(refresh["callback_data"], ALLOWED, "22", 97_001)).get_json()["text"] == opened["text"]
    watched = send(callback_update(watch["callback_data"], ALLOWED, "23", 97_002)).get_json()
    assert watched["method"] == "sendMessage" and f"Watching {first_symbol['text']} at −20.0%" in check_call(watched)
    assert bot_container.bot_state.watches()[ALLOWED][first_symbol["text"]]["pct"] == 20.0
    returned = send(callback_update(back["callback_data"], ALLOWED, "24", 97_003)).get_json()
    assert returned["method"] == "editMessageText" and returned["text"] == listed["text"]
    answers = {call.params["callback_query_id"]: call.params.get("text") for call in emulator.of("answerCallbackQuery")}
    assert answers == {"21": None, "22": None, "23": f"Watching {first_symbol['text']} at −20%", "24": None}


def test_a_stranger_may_page_a_public_bot_but_not_watch(wire, bot_settings, emulator) -> None:
    send = sender(client_of(wire(bot_settings.with_overrides(public_bot=True))))
    opened = send(callback_update("s:KO", STRANGER, "31", 98_000)).get_json()
    assert check_call(opened).startswith("KO · ")
    (watch,) = [b for b in opened["reply_markup"]["inline_keyboard"][0] if b["text"].startswith("👀")]
    refused = send(callback_update(watch["callback_data"], STRANGER, "32", 98_001)).get_json()
    assert refused["method"] == "answerCallbackQuery" and f"user id is {STRANGER}" in refused["text"] and len(refused["text"]) <= 200


def test_list_symbols_are_one_tap_commands(send) -> None:
    assert reply_text(send(message_update("/s_BRK_B", ALLOWED))).startswith("BRK.B · Berkshire")
    assert reply_text(send(message_update("/s_brk_b@dipwatch_test_bot", ALLOWED, chat_id=-3003))).startswith("BRK.B · ")
    assert "I don't know the symbol" in reply_text(send(message_update("/s_NOPE", ALLOWED)))


def test_watch_refuses_a_symbol_without_data(wire, bot_settings, tmp_path: Path) -> None:
    from tests.fakes import RecordingMarketData

    container = wire(bot_settings.with_overrides(storage=str(tmp_path / "other")), market_data=RecordingMarketData(failing={"KO"}))
    container.collection.collect()  # KO fails: the report has no row for it
    send = sender(client_of(container))
    assert reply_text(send(message_update("/watch KO 5", ALLOWED))).startswith("Not watching: KO has no bar dated 2026-11-27")
    assert container.bot_state.watches() == {}
    assert "Watching JPM at −5.0%" in reply_text(send(message_update("/watch JPM 5", ALLOWED)))
