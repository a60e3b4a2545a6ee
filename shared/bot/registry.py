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
from shared.bot.formatting import code, escape
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


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Command:
    """A registered command."""

    name: str
    handler: Handler
    level: str
    usage: str
    summary: str
    aliases: tuple[str, ...] = ()


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
        return Reply(f"I don't know the symbol {code(error.symbol)}.{escape(hint)}")
    except (BadInput, NotFound, NoTradingAccount) as error:
        return Reply(escape(str(error)))
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
            Command("help", self._help, OPEN, "/help", "the commands"),
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

    def dispatch(self, text: str, chat_id: int, user_id: int | None, base_url: str) -> Reply:
        """The reply to one message's text: access checks, the handler, friendly errors."""
        parsed = parse_command(text)
        if parsed is None:
            return Reply("Send /help to see what I can do.")
        name, args = parsed
        item = self.resolve(name)
        if item is None:
            hints = self.suggest(name)
            hint = f" Did you mean {', '.join('/' + h for h in hints)}?" if hints else ""
            return Reply(f"I don't know /{escape(name)}.{escape(hint)} Send /help for the list.")
        if not self._access.allows(item.level, user_id):
            logger.info("telegram command refused", extra={"command": item.name, "user_id": user_id, "chat_id": chat_id})
            return Reply("Sorry, this command is private. Ask the bot's owner to add your Telegram user id to the allowed list.")
        request = Request(chat_id=chat_id, user_id=user_id, args=args, base_url=base_url)
        return run_safely(lambda: item.handler(request), item.name)

    def _start(self, request: Request) -> Reply:
        """Greet and list the commands."""
        intro = (
            "👋 <b>dipwatch</b> ranks the Russell 1000 by how far each stock has fallen from its "
            f"{self._lookback_days}-day peak close."
        )
        return Reply(f"{intro}\n\n{self.help_text(request.user_id)}")

    def _help(self, request: Request) -> Reply:
        """List the commands this user may use."""
        return Reply(self.help_text(request.user_id))

    def help_text(self, user_id: int | None) -> str:
        """One line per command the user may use, and a note about the others."""
        lines, locked = [], 0
        for item in self.table.values():
            if self._access.allows(item.level, user_id):
                lines.append(f"{escape(item.usage)} · {escape(item.summary)}")
            else:
                locked += 1
        if locked:
            lines.append(f"<i>{locked} more command(s) need access; ask the bot's owner.</i>")
        return "<b>Commands</b>\n" + "\n".join(lines)
