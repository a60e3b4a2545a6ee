"""The command registry and dispatch: one table of commands, access checks, friendly errors.

A handler takes a ``Request`` and returns a ``Reply``. Handlers raise domain errors
(UnknownSymbol, BadInput, NotFound, NoTradingAccount, BrokerError, CorruptObject);
``run_safely`` turns each into a reply, and anything else into a logged apology.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable, Iterable

from shared.bot.access import OPEN, Access
from shared.bot.formatting import code, escape, shorten
from shared.bot.views import APOLOGY, Reply
from shared.errors import BadInput, BrokerError, CorruptObject, NotFound, NoTradingAccount, UnknownSymbol
from shared.telemetry import logger


@dataclass
class Request:
    """One command as the handlers see it."""

    chat_id: int
    user_id: int | None
    args: list[str] = field(default_factory=list)
    base_url: str = ""
    owner: bool = False  # the operator at the shell (``flask bot``): every command allowed


Handler = Callable[[Request], Reply]

#: The groups /help shows, in order, each with one example.
MARKET_GROUP, ALERTS_GROUP, ACCOUNT_GROUP = "Market", "Alerts", "Account"
GROUP_EXAMPLES = {MARKET_GROUP: "/top 10 tech sort=score", ALERTS_GROUP: "/watch AAPL 20", ACCOUNT_GROUP: "/positions"}
#: User text echoed back in a reply is cut to this many characters before escaping.
ECHOED = 32
#: An error reply is cut to this many characters (it holds the problem and one line of usage).
MAX_ERROR = 1000
#: ``/s_AAPL``, ``/s_BRK_B``: one tap from a list to a stock (see ``formatting.stock_command``).
STOCK_SHORTCUT = "s_"


@dataclass(frozen=True)
class Command:
    """A registered command."""

    name: str
    handler: Handler
    level: str
    usage: str
    summary: str
    aliases: tuple[str, ...] = ()
    group: str = ""


def parse_command(text: str) -> tuple[str, list[str]] | None:
    """``"/top@dipwatch_bot 5 tech"`` -> ``("top", ["5", "tech"])``; None when not a command."""
    words = text.strip().split()
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        return None
    return words[0][1:].split("@", 1)[0].lower(), words[1:]


def run_safely(action: Callable[[], Reply], label: str) -> Reply:
    """Run a handler; domain errors become replies, anything else a logged apology."""
    try:
        return action()
    except UnknownSymbol as error:
        hint = f" Did you mean {', '.join(error.suggestions)}?" if error.suggestions else ""
        return Reply(f"I don't know the symbol {code(shorten(error.symbol, ECHOED))}.{escape(hint)}")
    except (BadInput, NotFound, NoTradingAccount) as error:
        return Reply(escape(shorten(str(error), MAX_ERROR)))
    except BrokerError as error:
        logger.warning("trading account unavailable", extra={"command": label, "error": str(error)})
        return Reply(escape(f"{error}. Please try again in a minute."))
    except CorruptObject as error:
        logger.error("corrupt stored object", extra={"command": label, "key": error.key, "error": str(error)})
        return APOLOGY
    except Exception:  # noqa: BLE001 - the edge: log once, apologise, never fail the webhook
        logger.exception("telegram handler failed", extra={"command": label})
        return APOLOGY


class Commands:
    """Every command the bot knows, in one table, with ``/start`` and ``/help`` built in."""

    def __init__(self, groups: Iterable[Command], access: Access, *, lookback_days: int) -> None:
        self._access = access
        self._lookback_days = lookback_days
        built_in = [
            Command("start", self._start, OPEN, "/start", "what this bot does"),
            Command("help", self._help, OPEN, "/help", "the commands, grouped, with examples"),
        ]
        self.table: dict[str, Command] = {item.name: item for item in (*built_in, *groups)}
        self._names = {alias: item.name for item in self.table.values() for alias in (item.name, *item.aliases)}

    def resolve(self, name: str) -> Command | None:
        """The command for a name or alias (without the slash), or None."""
        target = self._names.get(name.lower())
        return self.table.get(target) if target else None

    def suggest(self, name: str) -> list[str]:
        """The registered command names closest to ``name``."""
        return difflib.get_close_matches(name.lower(), list(self._names), n=2, cutoff=0.5)

    def dispatch(self, text: str, chat_id: int, user_id: int | None, base_url: str, *, owner: bool = False) -> Reply:
        """The reply to one message's text: access checks (none for the ``owner`` at the shell),
        the handler, friendly errors."""
        parsed = parse_command(text)
        if parsed is None:
            return Reply("Send /help to see what I can do.")
        name, args = parsed
        item = self.resolve(name)
        if item is None and name.startswith(STOCK_SHORTCUT) and len(name) > len(STOCK_SHORTCUT):
            item, args = self.resolve("stock"), [name[len(STOCK_SHORTCUT) :].replace("_", "."), *args]
        if item is None:
            hints = self.suggest(name)
            hint = f" Did you mean {', '.join('/' + h for h in hints)}?" if hints else ""
            return Reply(f"I don't know /{escape(shorten(name, ECHOED))}.{escape(hint)} Send /help for the list.")
        if not owner and not self._access.allows(item.level, user_id):
            logger.info("telegram command refused", extra={"command": item.name, "user_id": user_id, "chat_id": chat_id})
            return Reply(refusal(user_id))
        request = Request(chat_id=chat_id, user_id=user_id, args=args, base_url=base_url, owner=owner)
        return run_safely(lambda: item.handler(request), item.name)

    def _start(self, request: Request) -> Reply:
        """Greet and list the commands."""
        intro = (
            "👋 <b>dipwatch</b> ranks the Russell 1000 by how far each stock has fallen from its "
            f"{self._lookback_days}-day peak close."
        )
        return Reply(f"{intro}\n\n{self.help_text(request.user_id, owner=request.owner)}")

    def _help(self, request: Request) -> Reply:
        """List the commands this user may use."""
        return Reply(self.help_text(request.user_id, owner=request.owner))

    def menu(self, user_id: int | None, *, owner: bool = False) -> list[Command]:
        """The commands a user may use (all of them for an owner), in table order."""
        return [item for item in self.table.values() if owner or self._access.allows(item.level, user_id)]

    def help_text(self, user_id: int | None, *, owner: bool = False) -> str:
        """The commands the user may use, grouped (Market, Alerts, Account) with one example per
        group, and a note with the user's id when some are locked."""
        usable = self.menu(user_id, owner=owner)
        lines = []
        for group, example in GROUP_EXAMPLES.items():
            items = [item for item in usable if item.group == group]
            if items:
                lines += ["", f"<b>{escape(group)}</b> · e.g. {escape(example)}"]
                lines += [f"{escape(item.usage)} · {escape(item.summary)}" for item in items]
        locked = len(self.table) - len(usable)
        if locked:
            lines += ["", f"<i>{locked} more command(s) need access. {escape(your_id(user_id))}</i>"]
        return "<b>Commands</b>" + "\n".join(lines)


def your_id(user_id: int | None) -> str:
    """What the owner needs to let this user in."""
    if user_id is None:
        return "You are writing anonymously (as a channel or an anonymous admin), so there is no user id to allow."
    return f"Your Telegram user id is {user_id}: the bot's owner can add it to TELEGRAM_ALLOWED_USERS."


def refusal(user_id: int | None) -> str:
    """The reply to a command the user may not use, with their id for the owner."""
    return f"Sorry, this command is private. {escape(your_id(user_id))}"
