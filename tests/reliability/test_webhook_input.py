"""Never a 5xx from input: bounded decoding, wrong-typed fields, hostile download links, and
10,000 generated updates (sound, mutated and garbage) that get no 5xx and no apology."""
from __future__ import annotations

import io
import json
import random
import time
from typing import Any, Callable

import pytest
from itsdangerous import URLSafeTimedSerializer
from werkzeug.test import TestResponse

from shared.adapters.links import _SALT
from shared.bootstrap import Container
from shared.bot.updates import MAX_DEPTH, decode, nesting_over, problem
from shared.errors import BadInput
from tests.bot.conftest import ALLOWED, STRANGER, callback_update, client_of, message_update, sender
from tests.bot.html_check import check_call
from tests.reliability.bot_fixtures import log_lines
from tests.reliability.figures import record

APOLOGY = "something went wrong"


@pytest.fixture
def post_raw(bot_container: Container) -> Callable[[bytes], TestResponse]:
    client = client_of(bot_container)

    def post(body: bytes) -> TestResponse:
        return client.post("/telegram/webhook", data=body, headers={"X-Telegram-Bot-Api-Secret-Token": "webhook-Secret_123", "Content-Type": "application/json"})

    return post


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000, "deeper"),
        (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "deeper"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "deeper"),
        (b'{"update_id": 1, "x": "' + b"[" * 100_000 + b'"}', None),  # brackets inside a string are text
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"\\ud800"', "not a JSON object"),
    ],
)
def test_bodies_are_bounded_in_depth_and_size(post_raw: Callable[[bytes], TestResponse], body: bytes, message: str | None) -> None:
    response = post_raw(body)
    if message is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400 and message in response.get_json()["error"]["message"]


def test_a_body_over_the_size_limit_is_413(post_raw: Callable[[bytes], TestResponse]) -> None:
    assert post_raw(b" " * (300 * 1024)).status_code == 413


def test_nesting_counts_brackets_outside_strings_only() -> None:
    assert not nesting_over(b'{"a": "[[[[[[[[", "b": [[1]]}', limit=3)
    assert nesting_over(b'{"a": [[[1]]]}', limit=3)
    assert not nesting_over(b'{"a": "\\"[[[[", "b": 1}', limit=1)
    with pytest.raises(BadInput):
        decode(b"{" * 40)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda u: u["message"].update(date=10**20),
        lambda u: u.update(edited_message="a string", message=None) or u.pop("message"),
        lambda u: u["message"].update(text=5),
        lambda u: u["message"]["chat"].update(id="abc"),
        lambda u: u["message"]["chat"].update(id=10**30),
        lambda u: u["message"].update({"from": "someone"}),
        lambda u: u["message"].update(date=True),
        lambda u: u.update(update_id=-1),
        lambda u: u.update(update_id="7"),
        lambda u: u["message"].update(edit_date=10**20),
        lambda u: u.update(callback_query=[1, 2]) or u.pop("message"),
    ],
)
def test_wrong_typed_fields_are_updates_we_do_not_handle(send: Callable[..., TestResponse], json_logs: io.StringIO, mutate: Callable[[dict[str, Any]], Any]) -> None:
    update = message_update("/top", ALLOWED)
    mutate(update)
    response = send(update)
    assert response.status_code == 200 and not response.data
    assert any("ignored" in line["message"] for line in log_lines(json_logs))


def test_problem_accepts_sound_updates() -> None:
    assert problem(message_update("/top", ALLOWED)) is None
    assert problem(message_update("/top", None, chat_id=-100123)) is None
    assert problem(callback_update("top:2026-11-27:0:10:-", ALLOWED, "q1", 5)) is None
    assert problem({"update_id": 3, "my_chat_member": {"anything": 1}}) is None  # not ours: ignored later


def _token(container: Container, key: str) -> str:
    """A link signed with the app's key at the app's time, for any key at all (the app's own
    signer refuses to sign a key that could escape the store)."""
    serializer: URLSafeTimedSerializer = container.downloads._signer._serializer  # noqa: SLF001
    assert serializer.salt == _SALT.encode()
    return str(serializer.dumps(key))


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "bars/2026-11-27.csv", "state/telegram-subscribers.json", "reports/latest.json", "reports/2020-01-02.csv", "reports/../bars/2026-11-27.csv"])
def test_signed_links_open_only_report_csvs_that_exist(bot_container: Container, key: str) -> None:
    client = client_of(bot_container)
    response = client.get(f"/download/{_token(bot_container, key)}")
    assert response.status_code == 404, response.data[:200]
    assert response.get_json()["error"]["status"] == 404


def test_a_signed_link_to_a_stored_report_downloads_it(bot_container: Container) -> None:
    response = client_of(bot_container).get(f"/download/{_token(bot_container, 'reports/2026-11-27.csv')}")
    assert response.status_code == 200 and b"symbol" in response.data.split(b"\n", 1)[0]


# --- 10,000 generated updates ------------------------------------------------------------------

COMMANDS = ["/start", "/help", "/top", "/top 3", "/top 500 tech sort=score", "/stock AAPL", "/stock", "/s_BRK_B", "/daily 2", "/version",
            "/download", "/sectors", "/changes", "/history", "/status", "/watch KO 15", "/watch", "/unwatch KO", "/watches", "/subscribe",
            "/unsubscribe", "/account", "/positions", "/monitor", "/nope", "/TOP@dipwatch_test_bot 2", "/", "hello", ""]
BUTTONS = ["top:2026-11-27:0:10:-", "top:2026-11-27:10:10:-:score", "s:AAPL", "s:KO:2026-11-27:0:10:-:dd", "w:KO:20", "w:KO:99999999999",
           "top:2026-11-27:99999999999999999999:10:-", "top:9999-99-99:0:10:-", "s:", "w::", "garbage", "", "top:2026-11-27:-1:10:-"]
ODD = [None, True, -1, 0, 10**20, -10**20, 1.5, float("1e308"), "", "x" * 5000, "<b>&amp;", "\u202e\u0000\ud7ff", [], {}, [[[]]], {"id": 1}]


def _text(rng: random.Random) -> str:
    base = rng.choice(COMMANDS)
    extra = rng.choice(["", " " + "A" * rng.randint(1, 6000), " <b>x</b> & <i>", " 😀" * rng.randint(1, 50), " \u0000\ufffe", " ../../etc"])
    return (base + extra)[: rng.choice([4096, 10_000])]


def _mutated(update: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``update`` with one field anywhere replaced by an odd value, or removed."""
    paths: list[list[Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append([*path, key])
                walk(value, [*path, key])

    walk(update, [])
    path = rng.choice(paths)
    target = update
    for key in path[:-1]:
        target = target[key]
    if rng.random() < 0.2:
        target.pop(path[-1])
    else:
        target[path[-1]] = rng.choice(ODD)
    return update


def generated_updates(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` updates: 60% sound (commands and buttons from many chats and users), 30% with
    one field mutated, 10% garbage objects."""
    rng = random.Random(seed)
    updates: list[dict[str, Any]] = []
    for number in range(count):
        roll = rng.random()
        user = rng.choice([ALLOWED, STRANGER, rng.randint(1, 10**12), None])
        if roll < 0.9:
            if rng.random() < 0.7 or user is None:
                update = message_update(_text(rng), user, chat_id=rng.choice([None, -100_000 - rng.randint(0, 50)]) if user else None, update_id=number)
                if rng.random() < 0.1:
                    update["edited_message"] = update.pop("message")
            else:
                update = callback_update(rng.choice(BUTTONS), user, str(number), number)
            if roll >= 0.6:
                update = _mutated(update, rng)
        else:
            update = {rng.choice(["update_id", "message", "callback_query", "x"]): rng.choice(ODD) for _ in range(rng.randint(0, 4))}
        updates.append(update)
    return updates


def test_ten_thousand_generated_updates_get_no_5xx_and_no_apology(wire: Callable[..., Container], bot_settings: Any, emulator: Any) -> None:
    container = wire(settings=bot_settings.with_overrides(bot_commands_per_minute=600, public_bot=True))
    post = sender(client_of(container))
    statuses: dict[int, int] = {}
    apologies, invalid, started = 0, 0, time.perf_counter()
    updates = generated_updates(10_000)
    for update in updates:
        response = post(update)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 200 and response.data:
            call = response.get_json()
            if call.get("method") in ("sendMessage", "editMessageText"):
                apologies += APOLOGY in call["text"]
                try:
                    check_call(call)
                except AssertionError:
                    invalid += 1
    fives = sum(count for status, count in statuses.items() if status >= 500)
    refused = len([call for call in emulator.calls if call.status == 400])  # follow-up calls Telegram would refuse
    record(
        "generated updates",
        f"{len(updates):,} in {time.perf_counter() - started:.0f} s; statuses {dict(sorted(statuses.items()))}; 5xx {fives}; apologies {apologies}; "
        f"invalid HTML {invalid}; follow-ups refused {refused}",
    )
    assert fives == 0 and apologies == 0 and invalid == 0 and refused == 0, statuses
