"""A warm bot answers from views built once per stored report: the same replies as a cold one,
and a new report is shown as soon as it is stored."""
from __future__ import annotations

from datetime import date
from typing import Callable

from shared.bootstrap import Container
from shared.bot import callbacks
from tests.bot.conftest import ALLOWED, client_of, message_update, sender
from tests.conftest import collect_later

COMMANDS = ["/top", "/top 25", "/top 5 tech", "/top 7 sort=score", "/top 3 sort=ret5", "/stock KO", "/stock AAPL", "/stock BRK.B"]


def replies(container: Container, commands: list[str]) -> list[object]:
    """The JSON replies of ``container``'s webhook to ``commands``, in order."""
    post = sender(client_of(container))
    return [post(message_update(text, ALLOWED)).get_json() for text in commands]


def test_warm_replies_are_the_cold_ones(wire: Callable[..., Container]) -> None:
    warm = wire()
    first = replies(warm, COMMANDS)
    again = replies(warm, COMMANDS[::-1])[::-1]  # from the kept views, in another order
    cold = [replies(wire(), [text])[0] for text in COMMANDS]  # each from a fresh process's state
    assert first == again == cold


def test_a_report_stored_after_a_warm_reply_is_shown_at_once(wire: Callable[..., Container]) -> None:
    warm = wire()
    before = replies(warm, COMMANDS)
    collect_later(warm, date(2026, 11, 30))  # another process stores the next report
    after = replies(warm, COMMANDS)
    assert after == replies(wire(), COMMANDS)
    top_before, top_after = str(before[0]["text"]), str(after[0]["text"])  # type: ignore[index]
    assert "as of 2026-11-27" in top_before and "as of 2026-11-30" in top_after
    assert top_before.split("<pre>")[1] != top_after.split("<pre>")[1]  # the rows, not just the stamp
    assert all("as of 2026-11-30" in str(reply["text"]) for reply in after[5:])  # type: ignore[index]
    old = warm.market_commands.page(callbacks.TopPage(date(2026, 11, 27), 0, 10))
    assert old.text.split("<pre>")[1] == top_before.split("<pre>")[1]  # an old message's buttons page its own report
