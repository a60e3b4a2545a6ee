"""Replies always valid: any reply is cut into pieces of valid Telegram HTML, each at most 4,096
characters (UTF-16), cut between lines where it can and never inside a tag or an entity; and any
input to any command gives such pieces."""
from __future__ import annotations

import html
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.bootstrap import Container
from shared.bot.formatting import escape, link
from shared.bot.splitting import MAX_MESSAGE, size, split_message
from tests.bot.conftest import ALLOWED, STRANGER, callback_update, message_update
from tests.bot.html_check import check_call, check_html

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
#: Lines of our replies' shapes: escaped text, bold/italic/code runs, links, long runs, emoji.
_LINE = st.one_of(
    _TEXT.map(escape),
    _TEXT.map(lambda t: f"<b>{escape(t)}</b>"),
    _TEXT.map(lambda t: f"<i>x <code>{escape(t)}</code> y</i>"),
    _TEXT.map(lambda t: link(f"https://example.test/download/{t[:40]}", t)),
    st.integers(1, 9000).map(lambda n: "&amp;<b>" + "a&lt;" * (n // 4) + "</b>"),
    st.integers(1, 5000).map(lambda n: "😀" * n),
    st.integers(1, 6000).map(lambda n: f"<b>{'x' * n}</b>"),
)
_REPLY = st.one_of(
    st.lists(_LINE, min_size=1, max_size=60).map("\n".join),
    st.lists(_LINE, min_size=1, max_size=8).map(lambda lines: "<pre>" + "\n".join(html.unescape(re.sub("<[^>]*>", "", l)) for l in lines).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</pre>"),
    st.lists(_LINE, min_size=1, max_size=20).map(lambda lines: "<blockquote>" + "\n".join(lines) + "</blockquote>"),
)


def _visible(text: str) -> str:
    return re.sub(r"\s", "", html.unescape(re.sub(r"<[^>]*>", "", text)))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_REPLY)
def test_any_reply_splits_into_valid_pieces_that_keep_its_text(reply: str) -> None:
    if not _visible(reply):
        return
    pieces = split_message(reply)
    for piece in pieces:
        check_html(piece)
        assert size(piece) <= MAX_MESSAGE
    assert _visible("".join(pieces)) == _visible(reply)


def test_a_single_line_over_the_limit_is_cut_between_entities_with_tags_reopened() -> None:
    line = "<b>" + "a&amp;" * 2000 + "</b>" + link("https://x.test/?a=1&b=2", "label " * 50)
    pieces = split_message(line)
    assert len(pieces) == 4  # 12,000 characters of bold text and a link
    for piece in pieces:
        check_html(piece)
    assert pieces[1].startswith("<b>") and pieces[0].endswith("</b>")
    assert _visible("".join(pieces)) == _visible(line)


def test_a_cut_falls_at_a_line_end_when_there_is_one() -> None:
    text = "\n".join([f"<b>head</b> {'y' * 3000}", "x" * 3000])
    assert split_message(text) == [f"<b>head</b> {'y' * 3000}", "x" * 3000]


def test_emoji_count_twice() -> None:
    pieces = split_message("😀" * 3000)
    assert [len(piece) for piece in pieces] == [2048, 952]


def test_the_old_cut_broke_entities() -> None:
    """The case of issue 11: a line over 4,096 characters was cut mid-entity."""
    text = "I don't know " + "&lt;" * 2000
    assert all("&" not in piece[-3:] or piece.endswith(";") for piece in split_message(text))
    for piece in split_message(text):
        check_html(piece)


# --- any input, any command: through the webhook's handler, every call it makes -----------------

_COMMANDS = ["start", "help", "top", "stock", "s_AAPL", "daily", "version", "download", "sectors", "changes", "history", "status",
             "account", "positions", "monitor", "subscribe", "unsubscribe", "watch", "unwatch", "watches", "nope"]
_ARGS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=5000)


def _calls(container: Container, update: dict[str, Any]) -> list[dict[str, Any]]:
    calls = container.webhook.handle(update, "http://127.0.0.1/")
    for call in calls:
        if call["method"] == "answerCallbackQuery":
            assert len(call.get("text", "")) <= 200  # Telegram's limit on a button's toast
    return [call for call in calls if call["method"] in ("sendMessage", "editMessageText")]


@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(command=st.sampled_from(_COMMANDS), args=_ARGS, user=st.sampled_from([ALLOWED, STRANGER, None]), number=st.integers(0, 10**9))
def test_any_input_to_any_command_gives_valid_html_within_the_limit(bot_container: Container, command: str, args: str, user: int | None, number: int) -> None:
    update = message_update(f"/{command} {args}", user, update_id=number + 10**10)
    for call in _calls(bot_container, update):
        check_call(call)
        assert size(call["text"]) <= MAX_MESSAGE


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.text(max_size=64), number=st.integers(0, 10**9))
def test_any_button_data_gives_valid_html(bot_container: Container, data: str, number: int) -> None:
    for call in _calls(bot_container, callback_update(data, ALLOWED, str(number), number + 2 * 10**10)):
        check_call(call)
